"""The live deploy-request card, its diff modal and the short notes around it: pure functions of view models.

The card shows only the buttons the deploy request's stage allows (bot/deploy_requests/lifecycle.py). Every button's
`value` is `CARD_ID.VERSION`: the version is what makes a double click, or a click on a card that has moved on,
recognisable (docs/architecture.md, "Exactly once").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.deploy_requests import lifecycle
from bot.deploy_requests.actions import Action
from bot.deploy_requests.lifecycle import Stage
from bot.deploy_requests.losses import Loss, LossKind
from bot.deploy_requests.summary import Operation, Person, Snapshot
from bot.planetscale.models import DeploymentState, DeployRequestState
from bot.render.budget import SECTION_TEXT, Budget
from bot.render.errors import slack_not_reached
from bot.render.message import Message
from bot.render.mrkdwn import code_block, escape, slack_ago, slack_date
from bot.render.resources import diff, post_command, state_emoji, state_label

DDL_ON_CARD = 400  # characters of each operation's DDL on the card; Show diff has all of it
DDL_LINES_ON_CARD = 6
OPERATIONS_ON_CARD = 5
NOTES_ON_CARD = 600
CONFIRM_LIMIT = 300  # Slack's limit on a confirm dialog's text

# The buttons' `action_id`s (docs/interface.md §5): Slack sends them back with every click, so they never change.
# Forcing a cutover ends other people's queries: an emergency measure, offered as a command and not as a button.
ACTION_IDS: dict[Action, str] = {
    Action.APPROVE: "dr_approve",
    Action.DEPLOY: "dr_deploy",
    Action.APPLY: "dr_apply",
    Action.CANCEL: "dr_cancel",
    Action.CLOSE: "dr_close",
    Action.REVERT: "dr_revert",
    Action.SKIP_REVERT: "dr_skip_revert",
    Action.UNBLOCK: "dr_unblock",
}
DIFF_ID = "dr_diff"
REFRESH_ID = "dr_refresh"
# The link button to PlanetScale still sends a payload when clicked; it needs a listener that only acks.
OPEN_IN_PLANETSCALE_ID = "dr_open"

_BUTTON_TEXT: dict[Action, str] = {
    Action.APPROVE: "Approve",
    Action.DEPLOY: "Deploy",
    Action.APPLY: "Apply changes",
    Action.CANCEL: "Cancel deploy",
    Action.CLOSE: "Close",
    Action.REVERT: "Revert",
    Action.SKIP_REVERT: "Skip revert",
    Action.UNBLOCK: "Unblock queue",
    Action.FORCE_CUTOVER: "Force cutover",
}
_PRIMARY = frozenset({Action.APPROVE, Action.DEPLOY, Action.APPLY})
# Red in the dialog that asks first; red on the card only for what undoes work under way (a Close beside Approve
# would shout louder than the choice it is).
_DANGER = frozenset({Action.REVERT, Action.CLOSE, Action.CANCEL})
_RED = frozenset({Action.REVERT, Action.CANCEL})
# Data is lost when the new tables are swapped in: after Deploy (auto-apply) or at Apply (a gated deploy).
_LOSES_DATA = frozenset({Action.DEPLOY, Action.APPLY})

# Slack's own confirm dialog before acting. docs/interface.md §5 asks it of deploy, apply and revert; cancel, close
# and skip-revert give up something that cannot be had back, so they ask too.
_CONFIRM: dict[Action, tuple[str, str, str]] = {
    Action.DEPLOY: ("Deploy?", "Add {target} to the deploy queue? Its schema changes go to `{into}`.", "Deploy"),
    Action.APPLY: ("Apply changes?", "Cut over {target} now? Its changes go live on `{into}`.", "Apply"),
    Action.REVERT: ("Revert?", "Revert the schema changes of {target} on `{into}`?", "Revert"),
    Action.CANCEL: ("Cancel the deploy?", "Stop deploying {target}? It can be deployed again later.", "Stop it"),
    Action.CLOSE: ("Close?", "Close {target} without deploying it?", "Close it"),
    Action.SKIP_REVERT: (
        "Skip the revert window?",
        "Keep the changes of {target} for good? It can no longer be reverted afterwards.",
        "Skip it",
    ),
}


# For the card's thread: "Deployed by @alice".
_PAST_TENSE: dict[Action, str] = {
    Action.APPROVE: "Approved",
    Action.DEPLOY: "Added to the deploy queue",
    Action.APPLY: "Applied the gated deploy",
    Action.CANCEL: "Cancelled the deployment",
    Action.CLOSE: "Closed",
    Action.REVERT: "Started the revert",
    Action.SKIP_REVERT: "Skipped the revert window",
    Action.UNBLOCK: "Unblocked the deploy queue",
    Action.FORCE_CUTOVER: "Forced the cutover",
}

STALE_REASON = (
    "Nobody who posted or used this card has a PlanetScale link any more, so it is no longer updated. "
    "Link with `/pscale login` and click Refresh."
)


@dataclass(frozen=True)
class CardView:
    """A card's drawing: the deploy request as last read, and the card's id and version that ride in its buttons.
    `stale`: nobody's grant is left to read it with, so it can no longer be kept current. `people`: PlanetScale user
    id → Slack user id of those who linked their accounts; they are named as Slack mentions."""

    card_id: str
    version: int
    request: Snapshot
    stale: bool = False
    people: Mapping[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        request = self.request
        return f"{request.database} #{request.number} {request.branch} → {request.into_branch}"

    @property
    def button_value(self) -> str:
        return f"{self.card_id}.{self.version}"

    def name(self, person: Person) -> str:
        """A person as Slack shows them: a mention where they linked their account, else their PlanetScale name."""
        slack_id = self.people.get(person.id) if person.id else None
        return f"<@{slack_id}>" if slack_id else escape(person.name)


def card(view: CardView) -> Message:
    """The card as posted to the channel and as every `chat.update` leaves it."""
    request = view.request
    label = state_label(request)
    blocks: list[Block] = [_section(_headline(view, label)), _section(_people(view))]
    following = _what_next(view)
    if following:
        blocks.append(_section(following))
    if request.losses and lifecycle.before_cutover(request):
        blocks.append(_section(f":warning: *Deploying this loses data:* {_losses(request.losses)}."))
    if request.notes:
        notes = request.notes if len(request.notes) <= NOTES_ON_CARD else request.notes[:NOTES_ON_CARD] + "…"
        blocks.append(_section(f"*Notes*\n{escape(notes)}"))
    problems = _problems(request)
    if problems:
        blocks.append(_section(problems))
    if request.operations:
        blocks.append(_section(_changes(request)))
    blocks.append(ActionsBlock(block_id="dr_card_actions", elements=_buttons(view)))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_footer(view))]))
    approval = "approved" if request.approved else "not approved"
    text = f"{view.title}: {label}, {approval}."
    if view.stale:
        text += " (This card is no longer kept up to date.)"
    return Message(text=text, blocks=tuple(block.to_dict() for block in blocks), visibility="in_channel")


def _section(text: str) -> SectionBlock:
    """Slack refuses a section over 3,000 characters; escaping can triple text (`&` → `&amp;`), so cut after it."""
    if len(text) > SECTION_TEXT:
        text = text[: SECTION_TEXT - 2] + " …"
    return SectionBlock(text=MarkdownTextObject(text=text))


def _headline(view: CardView, label: str) -> str:
    """The state's emoji, the title linking to the deploy request in PlanetScale, and the state in words (what it
    waits for, when that is a person's approval rather than PlanetScale)."""
    request = view.request
    title = f"<{request.html_url}|{escape(view.title)}>" if request.html_url else escape(view.title)
    if lifecycle.waits_for_approval(request):
        label = "Waits for an administrator's approval"
    return f"{state_emoji(request)} *{title}*\n*{escape(label)}*{_progress(request)}"


def _people(view: CardView) -> str:
    """Who opened it, who approved it, who deployed it."""
    request = view.request
    opened = f"Opened {slack_ago(request.created_at)}"
    if request.author:
        opened += " by " + view.name(Person(request.author_id, request.author))
    lines = [opened]
    if request.approvers:
        lines.append(":white_check_mark: Approved by " + ", ".join(view.name(person) for person in request.approvers))
    elif request.approved:
        lines.append(":white_check_mark: Approved")
    elif lifecycle.awaits_review(request) and not lifecycle.waits_for_approval(request):
        lines.append(":hourglass_flowing_sand: Not approved yet")  # (when approval is required, the next line says)
    if request.deployed_by is not None:
        done = "Queued to deploy" if lifecycle.before_cutover(request) else "Deployed"
        lines.append(f":rocket: {done} by {view.name(request.deployed_by)}")
    if request.applied_by is not None and not lifecycle.before_cutover(request):
        lines.append(f":arrow_right: Applied by {view.name(request.applied_by)}")
    if request.closed_by is not None and lifecycle.closed_undeployed(request):
        lines.append(f"Closed by {view.name(request.closed_by)}")
    if request.instant_eligible and lifecycle.offers(Action.DEPLOY, request):
        lines.append(
            f":zap: Can deploy instantly: `/pscale dr deploy {escape(request.database)} {request.number} --instant` "
            "(an instant deploy cannot be reverted)"
        )
    return "\n".join(lines)


def _what_next(view: CardView) -> str:
    """What the deploy request waits for, and who or what moves it on."""
    request = view.request
    state = request.deployment_state
    if lifecycle.waits_for_approval(request):
        who = " or ".join(view.name(person) for person in request.admins) or "an administrator of the organization"
        then = " *Deploy* appears once it is approved." if state == DeploymentState.READY else ""
        return f":raised_hand: Who can approve it: {who}.{then}"
    if request.cutover_blocked:
        return (
            ":lock: *The cutover waits for a table lock* that other queries hold; PlanetScale keeps trying for up to "
            f"an hour. `/pscale dr force-cutover {escape(request.database)} {request.number}` ends those queries."
        )
    if request.revert_deadline is not None and lifecycle.in_revert_window(request):
        return (
            f":rewind: Can be reverted until {slack_date(request.revert_deadline)}: *Revert* undoes it and keeps the "
            "rows written since; *Skip revert* keeps it for good and frees the deploy queue."
        )
    if request.gated and request.state == DeployRequestState.OPEN and state == DeploymentState.READY:
        return "*Next:* *Deploy* copies the changed tables; then they wait for *Apply changes* (auto-apply is off)."
    if request.gated and (lifecycle.is_copying(request) or lifecycle.is_queued(request)):
        return "*Next:* once copied, the changes wait for *Apply changes* (auto-apply is off)."
    if request.state != DeployRequestState.OPEN and state not in _NEXT_WHEN_CLOSED:
        return ""
    return _NEXT.get(state, "")


_NEXT: dict[str, str] = {
    DeploymentState.PENDING: "*Next:* PlanetScale checks whether it can be deployed.",
    DeploymentState.READY: "*Next:* *Deploy* adds it to the deploy queue.",
    DeploymentState.NO_CHANGES: "Nothing to deploy: the branch has no schema changes.",
    DeploymentState.ERROR: "*Next:* fix the problems below on the branch; PlanetScale checks it again after a change.",
    DeploymentState.PENDING_CUTOVER: "*Next:* *Apply changes* swaps the new tables in; the deploy queue waits for it.",
    DeploymentState.COMPLETE_ERROR: "*Next:* the deploy queue is blocked until someone clicks *Unblock queue*.",
    DeploymentState.COMPLETE_REVERT_ERROR: "*Next:* the deploy queue is blocked until someone clicks *Unblock queue*.",
    DeploymentState.CANCELLED: "*Next:* *Deploy* queues it again, or *Close* it.",
    DeploymentState.COMPLETE_CANCEL: "*Next:* *Deploy* queues it again, or *Close* it.",
}
# A failed deploy or revert blocks the queue whether or not its deploy request is still open.
_NEXT_WHEN_CLOSED = frozenset({DeploymentState.COMPLETE_ERROR, DeploymentState.COMPLETE_REVERT_ERROR})


def _losses(losses: Sequence[Loss], *, limit: int | None = None) -> str:
    """"drops table `a` and every row in it; drops column `b` of `c` and its values" (the first `limit`)."""
    parts: list[str] = []
    for loss in losses:
        table = f"`{escape(loss.table)}`"
        columns = ", ".join(f"`{escape(column)}`" for column in loss.columns)
        several = len(loss.columns) > 1
        match loss.kind:
            case LossKind.TABLE:
                parts.append(f"drops table {table} and every row in it")
            case LossKind.COLUMNS:
                noun, values = ("columns", "their") if several else ("column", "its")
                parts.append(f"drops {noun} {columns} of {table} and {values} values")
            case LossKind.NARROWED:
                parts.append(f"narrows {columns} of {table}: values the new type cannot hold are lost")
            case _:
                parts.append(f"changes {table} in a way PlanetScale says can lose data")
    if limit is not None and len(parts) > limit:
        return "; ".join(parts[:limit]) + f"; and {len(parts) - limit} more (see the card)"
    return "; ".join(parts)


def _progress(request: Snapshot) -> str:
    parts = []
    if request.queue_position is not None:
        ahead = request.queue_position - 1
        parts.append("next in the queue" if ahead == 0 else f"{ahead} ahead of it in the queue")
    if request.progress_percentage is not None:
        parts.append(f"{request.progress_percentage:.0f}% done")
    if request.eta_seconds is not None and request.eta_seconds > 0:
        parts.append(f"about {_duration(request.eta_seconds)} left")
    return f" ({', '.join(parts)})" if parts else ""


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _problems(request: Snapshot) -> str:
    lines = []
    if request.deploy_check_errors:
        lines.append(f":x: *Deploy checks:* {escape(request.deploy_check_errors[:800])}")
    for error in request.lint_errors[:5]:
        lines.append(f":warning: {escape(error[:300])}")
    if len(request.lint_errors) > 5:
        lines.append(f"and {len(request.lint_errors) - 5} more lint errors")
    return "\n".join(lines)


def _changes(request: Snapshot) -> str:
    count = f"{len(request.operations)}{' or more' if request.more_operations else ''}"
    lines = [f"*Schema changes* ({count})"]
    folded = False
    for operation in request.operations[:OPERATIONS_ON_CARD]:
        ddl, cut = _fold(operation.ddl or "(no DDL)")
        folded = folded or cut
        what = escape((operation.operation or "change").upper())
        # Slack reads `&`, `<` and `>` as markup even in code (`CHECK (a < b)`).
        lines.append(f"{what} `{escape(operation.table or '?')}`\n{code_block(escape(ddl))}")
    if len(request.operations) > OPERATIONS_ON_CARD:
        lines.append(f"and {len(request.operations) - OPERATIONS_ON_CARD} more: *Show diff* has them all")
    elif folded:
        lines.append("*Show diff* has the whole statements.")
    return "\n".join(lines)


def _fold(ddl: str) -> tuple[str, bool]:
    """A long statement's first lines, and whether it was cut."""
    shown = ddl.strip("\n")
    lines = shown.splitlines()
    cut = False
    if len(lines) > DDL_LINES_ON_CARD:
        shown, cut = "\n".join(lines[:DDL_LINES_ON_CARD]), True
    if len(shown) > DDL_ON_CARD:
        shown, cut = shown[:DDL_ON_CARD], True
    return (shown + "\n…" if cut else shown), cut


def _buttons(view: CardView) -> list[ButtonElement]:
    request = view.request
    actions = [] if view.stale else [action for action in lifecycle.offered(request) if action in ACTION_IDS]
    buttons = [_action_button(action, view) for action in actions]
    if request.operations:
        buttons.append(ButtonElement(text="Show diff", action_id=DIFF_ID, value=view.button_value))
    buttons.append(ButtonElement(text="Refresh", action_id=REFRESH_ID, value=view.button_value))
    if request.html_url:
        link = ButtonElement(text="Open in PlanetScale", action_id=OPEN_IN_PLANETSCALE_ID, url=request.html_url)
        buttons.append(link)
    return buttons


def _action_button(action: Action, view: CardView) -> ButtonElement:
    style = "primary" if action in _PRIMARY else "danger" if action in _RED else None
    confirm = None
    if action in _CONFIRM:
        title, question, yes = _CONFIRM[action]
        request = view.request
        target = f"`{escape(request.database)}` #{request.number} (`{escape(request.branch)}`)"
        text = question.format(target=target, into=escape(request.into_branch))
        danger = action in _DANGER
        if action in _LOSES_DATA and request.losses:
            text, danger = _with_losses(text, request.losses), True
        confirm = ConfirmObject(
            title=title,
            text=MarkdownTextObject(text=text),
            confirm=yes,
            deny="Not now",
            style="danger" if danger else "primary",
        )
    return ButtonElement(
        text=_BUTTON_TEXT[action], action_id=ACTION_IDS[action], value=view.button_value, style=style, confirm=confirm
    )


def _with_losses(question: str, losses: Sequence[Loss]) -> str:
    """The question and what is lost, in as much detail as Slack's 300 characters allow."""
    for limit in range(len(losses), 0, -1):
        text = f"{question} *It loses data:* {_losses(losses, limit=limit)}."
        if len(text) <= CONFIRM_LIMIT:
            return text
    return f"{question} *It loses data* (the card says what)."[:CONFIRM_LIMIT]


def _footer(view: CardView) -> str:
    if view.stale:
        return f":warning: {escape(STALE_REASON)} Last checked {slack_date(view.request.as_of)}."
    return f"Updated {slack_date(view.request.as_of)}"


# --- what goes around the card -------------------------------------------------------------------------------------


def history_note(action: Action, *, user_id: str) -> Message:
    """One line in the card's thread: who did what, instead of a new message in the channel."""
    return Message(text=f"{_PAST_TENSE[action]} by <@{user_id}>.", visibility="in_channel")


def state_note(request: Stage) -> Message:
    """A change the card saw happen without a click here (PlanetScale moving on, or a change made elsewhere)."""
    return Message(text=f"Now: {escape(state_label(request))}.", visibility="in_channel")


def already_clicked(action: Action, *, by_user_id: str | None, clicker_id: str) -> Message:
    """Someone's identical click won (it may still be on its way to PlanetScale): this one sent nothing."""
    who = "You" if by_user_id == clicker_id else f"<@{by_user_id}>" if by_user_id else "Someone"
    return Message(
        text=f":ok_hand: {who} already clicked *{_BUTTON_TEXT[action]}* for this deploy request, so nothing more "
        "was sent to PlanetScale. The card shows how it went."
    )


def card_moved_on(action: Action, *, now: Stage) -> Message:
    return Message(
        text=":arrows_counterclockwise: The deploy request has changed since this card was drawn "
        f"(now: {escape(state_label(now))}), so *{_BUTTON_TEXT[action]}* was not sent. The card shows its current "
        "state now; click again if it still applies."
    )


def request_moved_on(action: Action, *, now: Stage) -> Message:
    """A button outside any card (App Home, a direct message) on a deploy request that no longer offers it."""
    return Message(
        text=f":arrows_counterclockwise: The deploy request is now {escape(state_label(now).lower())}, so "
        f"*{_BUTTON_TEXT[action]}* was not sent."
    )


def request_done(action: Action, *, database: str, number: int) -> Message:
    """A button outside any card did what it says; its cards (if any) show the rest."""
    return Message(text=f":white_check_mark: {_PAST_TENSE[action]} {escape(database)} #{number}.")


def card_unknown() -> Message:
    return Message(
        text=":grey_question: I no longer know this card, so nothing was sent to PlanetScale. Post it again with "
        "`/pscale deploy-request post DB NUMBER`."
    )


def card_stale() -> Message:
    return Message(
        text=":warning: Nobody who posted or used this card has a PlanetScale link any more, so I can't read it. "
        "Link your account with `/pscale login`, then click *Refresh*."
    )


def posted(*, database: str, number: int, link: str | None) -> Message:
    suffix = f" <{link}|Open in PlanetScale>." if link else ""
    return Message(text=f":white_check_mark: Posted `{escape(database)}` #{number} in this channel.{suffix}")


def post_not_reached(*, database: str, number: int) -> Message:
    """Slack's Web API could not be reached for the card's post: it is certainly not in the channel."""
    again = slack_not_reached(retry=f"try {post_command(database, number)} again")
    return Message(text=f":electric_plug: The card of `{escape(database)}` #{number} is not posted: {again}")


def post_unconfirmed(*, database: str, number: int) -> Message:
    """Slack did not answer the card's post in time, or its connection broke after the post was sent: the card may
    be in the channel, and works there if it is."""
    return Message(
        text=f":hourglass: Slack did not confirm that it posted the card of `{escape(database)}` #{number}. If it is "
        f"in this channel, it works as any card; if not, {post_command(database, number)} posts it."
    )


# --- the diff modal ------------------------------------------------------------------------------------------------


def diff_loading(*, database: str, number: int) -> dict[str, Any]:
    return _modal(title=f"{database} #{number}",
                  blocks=[SectionBlock(text=MarkdownTextObject(text=":hourglass: Reading the schema changes…"))])


def diff_modal(
    *, database: str, number: int, operations: Sequence[Operation], html_url: str | None
) -> dict[str, Any]:
    message = diff(database, number, operations, html_url=html_url, budget=Budget.for_view(), ddl_shown=SECTION_TEXT)
    return _modal(title=f"{database} #{number}", blocks=list(message.blocks))


def diff_failed(*, database: str, number: int, message: Message) -> dict[str, Any]:
    return _modal(title=f"{database} #{number}", blocks=[SectionBlock(text=MarkdownTextObject(text=message.text))])


def _modal(*, title: str, blocks: Sequence[Block | dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "dr_diff",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [block.to_dict() if isinstance(block, Block) else block for block in blocks],
    }
