"""Pure renderers for deploy requests, their diff and the deploy queue.

View models in, `Message`s out. Lists say how many there are in all and how many are shown, never cutting silently;
times are Slack dates so every reader sees their own time zone.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.deploy_requests import lifecycle
from bot.deploy_requests.actions import Action
from bot.deploy_requests.lifecycle import Reviewed, Stage
from bot.deploy_requests.summary import Operation, QueueEntry, Summary
from bot.planetscale.models import DeploymentState
from bot.render.budget import SECTION_TEXT, Budget, pack_lines
from bot.render.errors import slack_not_reached, slack_refusal
from bot.render.listing import (
    app_link,
    context,
    count_line,
    facts_message,
    header,
    list_message,
    message,
    more_line,
    section,
)
from bot.render.message import Message
from bot.render.mrkdwn import code_block, escape, slack_date, truncate

# --- deploy requests and the queue --------------------------------------------------------------------------------


STATE_LABELS: dict[str, str] = {
    DeploymentState.PENDING: "Checking whether it can be deployed",
    DeploymentState.READY: "Ready to deploy",
    DeploymentState.NO_CHANGES: "No schema changes to deploy",
    DeploymentState.ERROR: "Failed its deploy checks",
    DeploymentState.QUEUED: "Queued for deployment",
    DeploymentState.SUBMITTING: "Starting the deployment",
    DeploymentState.IN_PROGRESS: "Deploying",
    DeploymentState.PENDING_CUTOVER: "Waiting to be applied (gated deploy)",
    DeploymentState.IN_PROGRESS_VSCHEMA: "Applying",
    DeploymentState.IN_PROGRESS_CUTOVER: "Applying",
    DeploymentState.IN_PROGRESS_CANCEL: "Cancelling",
    DeploymentState.COMPLETE: "Deployed",
    DeploymentState.COMPLETE_CANCEL: "Deployment cancelled",
    DeploymentState.CANCELLED: "Deployment cancelled",
    DeploymentState.COMPLETE_ERROR: "Deployment failed; the deploy queue is blocked",
    DeploymentState.COMPLETE_PENDING_REVERT: "Deployed; can still be reverted",
    DeploymentState.IN_PROGRESS_REVERT: "Reverting",
    DeploymentState.IN_PROGRESS_REVERT_VSCHEMA: "Reverting",
    DeploymentState.COMPLETE_REVERT: "Reverted",
    DeploymentState.COMPLETE_REVERT_ERROR: "Revert failed; the deploy queue is blocked",
}


# A glance at the state, as a PR's colour: green can go, yellow waits for a person, blue moves, red is stuck.
STATE_EMOJI: dict[str, str] = {
    DeploymentState.PENDING: ":hourglass_flowing_sand:",
    DeploymentState.READY: ":large_green_circle:",
    DeploymentState.NO_CHANGES: ":white_circle:",
    DeploymentState.ERROR: ":red_circle:",
    DeploymentState.QUEUED: ":large_blue_circle:",
    DeploymentState.SUBMITTING: ":arrows_counterclockwise:",
    DeploymentState.IN_PROGRESS: ":arrows_counterclockwise:",
    DeploymentState.PENDING_CUTOVER: ":large_yellow_circle:",
    DeploymentState.IN_PROGRESS_VSCHEMA: ":arrows_counterclockwise:",
    DeploymentState.IN_PROGRESS_CUTOVER: ":arrows_counterclockwise:",
    DeploymentState.IN_PROGRESS_CANCEL: ":no_entry_sign:",
    DeploymentState.COMPLETE: ":white_check_mark:",
    DeploymentState.COMPLETE_CANCEL: ":no_entry_sign:",
    DeploymentState.CANCELLED: ":no_entry_sign:",
    DeploymentState.COMPLETE_ERROR: ":red_circle:",
    DeploymentState.COMPLETE_PENDING_REVERT: ":white_check_mark:",
    DeploymentState.IN_PROGRESS_REVERT: ":leftwards_arrow_with_hook:",
    DeploymentState.IN_PROGRESS_REVERT_VSCHEMA: ":leftwards_arrow_with_hook:",
    DeploymentState.COMPLETE_REVERT: ":leftwards_arrow_with_hook:",
    DeploymentState.COMPLETE_REVERT_ERROR: ":red_circle:",
}


def state_emoji(request: Reviewed) -> str:
    """The state at a glance; a deploy request that waits for an approval is yellow, whatever its state."""
    if lifecycle.closed_undeployed(request):
        return ":no_entry:"
    if lifecycle.waits_for_approval(request):
        return ":large_yellow_circle:"
    return STATE_EMOJI.get(request.deployment_state, ":grey_question:")


def state_label(request: Stage) -> str:
    """Where a deploy request stands, in words; a state PlanetScale added later reads as its own name."""
    if lifecycle.closed_undeployed(request):
        return "Closed"
    state = request.deployment_state
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())


def _dr_line(item: Summary) -> str:
    approval = "approved" if item.approved else "not approved"
    return (
        f"• *#{item.number}* `{escape(item.branch)}` → `{escape(item.into_branch)}` — "
        f"{escape(state_label(item).lower())}, {approval}"
        f"{', by ' + escape(item.author) if item.author else ''}, opened {slack_date(item.created_at)}"
    )


def deploy_requests(
    org: str, db: str, items: Sequence[Summary], *, total: int | None, state: str, whose: str | None = None,
    waiting: bool = False,
) -> Message:
    """`whose` ("your "): only some people's; `waiting`: those waiting for the reader's review."""
    link = app_link(org, db, "deploy-requests")
    kind = f"{whose or ''}{state} deploy request"
    if waiting:
        kind = "deploy request waiting for your review"
    plural = kind.replace("deploy request", "deploy requests")
    footer = count_line(shown=len(items), total=total, more=False, noun=kind, plural=plural, link=link)
    title = f"Deploy requests of {org}/{db}"
    if waiting:
        title = f"Waiting for your review in {org}/{db}"
    elif whose:
        title = f"Your deploy requests in {org}/{db}"
    return list_message(title=title, lines=[_dr_line(item) for item in items], empty=f"No {plural}.",
                        footer=footer, link=link)


def deploy_request(org: str, db: str, item: Summary) -> Message:
    facts = [
        ("Branch", f"`{escape(item.branch)}` → `{escape(item.into_branch)}`"),
        ("State", escape(state_label(item))),
        ("Approval", "approved" if item.approved else "not approved yet"),
        ("Opened", f"{slack_date(item.created_at)}{' by ' + escape(item.author) if item.author else ''}"),
    ]
    if item.notes:
        facts.append(("Notes", escape(item.notes[:1000])))
    return facts_message(title=f"{db} #{item.number} {item.branch} → {item.into_branch}", facts=facts,
                         link=item.html_url)


def deploy_request_done(*, what: str, db: str, item: Summary) -> Message:
    link = f" <{item.html_url}|Open in PlanetScale>." if item.html_url else ""
    return Message(
        text=f":white_check_mark: {what} `{escape(db)}` #{item.number} (`{escape(item.branch)}` → "
        f"`{escape(item.into_branch)}`). Now: {escape(state_label(item).lower())}.{link}"
    )


def _opened_but(db: str, item: Summary, rest: str) -> Message:
    """`dr create` opened the deploy request, but something is to be said of its card."""
    return Message(
        text=f":white_check_mark: Opened `{escape(db)}` #{item.number} (`{escape(item.branch)}` → "
        f"`{escape(item.into_branch)}`), but {rest}"
    )


def post_command(db: str, number: int) -> str:
    """The command that posts a deploy request's card, as the replies whose card did not (or may not) get posted
    quote it."""
    return f"`/pscale dr post {escape(db)} {number}`"


def _post_its_card(db: str, item: Summary) -> str:
    return f"{post_command(db, item.number)} posts its card"


def opened_card_not_posted(*, db: str, item: Summary, why: str, method: str, needed: str | None) -> Message:
    """`dr create` opened the deploy request, but Slack would not take its card in this channel."""
    refusal = slack_refusal(why, method=method, needed=needed, retry=_post_its_card(db, item))
    return _opened_but(db, item, f"its card is not posted here: {refusal}")


def opened_card_not_reached(*, db: str, item: Summary) -> Message:
    """`dr create` opened the deploy request, but Slack's Web API could not be reached for its card. Said so that
    nobody creates the deploy request again to get a card."""
    return _opened_but(
        db, item, f"its card is not posted here: {slack_not_reached(retry=_post_its_card(db, item))} The deploy "
        "request is open all the same: no need to create it again."
    )


def opened_card_unconfirmed(*, db: str, item: Summary) -> Message:
    """`dr create` opened the deploy request, but Slack did not confirm that it posted its card (no answer in time,
    or the connection broke after the post was sent): the card may be in the channel."""
    return _opened_but(
        db, item, "Slack did not confirm that it posted its card here. If the card is not in this channel, "
        f"{post_command(db, item.number)} posts it."
    )


# What a command did, before the deploy request it did it to ("Closed `shop` #7 …").
_DONE: dict[Action, str] = {
    Action.DEPLOY: "Queued for deployment:",
    Action.APPLY: "Applied the gated deploy of",
    Action.CANCEL: "Cancelled the deployment of",
    Action.CLOSE: "Closed",
    Action.REVERT: "Reverting",
    Action.SKIP_REVERT: "Skipped the revert window of",
    Action.UNBLOCK: "Completed the errored deployment of",
    Action.FORCE_CUTOVER: "Forced the cutover of",
}


def deploy_request_changed(action: Action, *, db: str, item: Summary) -> Message:
    """The reply to a command that changed a deploy request; `item` is the deploy request as PlanetScale left it."""
    return deploy_request_done(what=_DONE[action], db=db, item=item)


def auto_apply_changed(*, db: str, item: Summary, enabled: bool) -> Message:
    what = "Auto-apply is on for" if enabled else "Auto-apply is off (a gated deploy) for"
    return deploy_request_done(what=what, db=db, item=item)


def deploy_request_approved(*, db: str, number: int) -> Message:
    return Message(text=f":white_check_mark: Approved `{db}` #{number}.")


def queue_lines(items: Sequence[QueueEntry]) -> tuple[list[str], str]:
    """The deploy queue as PlanetScale lists it: the deployments holding it (running, waiting to be applied, in their
    revert window, failed), then those queued behind them, in the order they will deploy. Only the second are
    counted as queued: a deployed request in its revert window holds the queue, it is not waiting in it."""
    holding = [item for item in items if not lifecycle.is_queued(item)]
    waiting = [item for item in items if lifecycle.is_queued(item)]
    lines = [f"{STATE_EMOJI.get(item.deployment_state, ':grey_question:')} #{item.number} holds the queue: "
             f"{escape(state_label(item).lower())}{_into(item)}" for item in holding]
    lines += [
        f"{position}. #{item.number} queued {slack_date(item.queued_at)}{_into(item)}"
        for position, item in enumerate(waiting, start=1)
    ]
    if not waiting:
        summary = "Nothing is queued." if not holding else "Nothing is queued behind it."
    else:
        summary = f"{len(waiting)} queued, in the order they will deploy."
    return lines, summary


def _into(item: QueueEntry) -> str:
    return f" into `{escape(item.into_branch)}`" if item.into_branch else ""


def deploy_queue(org: str, db: str, items: Sequence[QueueEntry]) -> Message:
    lines, footer = queue_lines(items)
    return list_message(title=f"Deploy queue of {org}/{db}", lines=lines, empty="The queue is empty.",
                        footer=footer, link=app_link(org, db, "deploy-requests"))


MORE_ROOM = 300  # what a "…and N more" line with its link may take
DDL_SHOWN = 1500  # characters of one change's DDL in a message; the rest is in PlanetScale (and the diff modal)
# A change shown with its DDL takes a section: at least this much of the budget must be left to start one.
DDL_MINIMUM = 400


def _change_title(operation: Operation) -> str:
    return f"*{escape(operation.operation or 'change')}* `{escape(operation.table or '?')}`"


def _change(operation: Operation, room: int) -> str:
    """One change with its DDL in a code block, cut to `room` characters in all."""
    title = _change_title(operation)
    # Slack reads `&`, `<` and `>` as markup even inside code, so they are escaped there too; the cut comes after,
    # since escaping can make the text up to five times longer.
    ddl = truncate(escape(operation.ddl or "(no DDL)"), max(0, room - len(title) - 10), mark="\n… (cut)")
    return f"{title}\n{code_block(ddl)}"


def diff(
    db: str, number: int, operations: Sequence[Operation], *, html_url: str | None, budget: Budget | None = None,
    ddl_shown: int = DDL_SHOWN,
) -> Message:
    """The schema changes of a deploy request: the first ones with their DDL (each cut to `ddl_shown`), then the
    names of the others, as many as `budget` (default: one message) holds, then "…and N more" with the link to
    all of them."""
    title = f"{db} #{number}: schema changes"
    room = (budget or Budget()).keep(len(title) + 2 * MORE_ROOM, blocks=3)
    blocks: list[Block] = [header(title)]
    names = [f"• {_change_title(operation)}" for operation in operations]
    # Naming every change matters more than showing more DDL: the names keep up to half of the room.
    for_names = min(sum(len(name) + 1 for name in names), room.text // 2)
    with_ddl = 0
    for operation in operations:
        share = min(ddl_shown, SECTION_TEXT, room.text - for_names)
        text = _change(operation, share)
        if share < DDL_MINIMUM or not room.take(len(text)):
            break
        blocks.append(section(text))
        with_ddl += 1
    listed = pack_lines(names[with_ddl:], room)
    blocks.extend(section(text) for text in listed.sections)
    hidden = len(operations) - with_ddl - listed.shown
    if not operations:
        blocks.append(section("No schema changes."))
    if listed.shown:
        blocks.append(context(f"{listed.shown:,} more changes are listed without their DDL."))
    if hidden:
        blocks.append(context(more_line(hidden, link=html_url)))
    elif html_url:
        blocks.append(context(f"<{html_url}|Open in PlanetScale>"))
    return message(f"{db} #{number}: {len(operations)} schema change(s)", blocks)
