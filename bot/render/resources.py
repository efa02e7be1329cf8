"""Pure renderers for deploy requests, their diff and the deploy queue.

View models in, `Message`s out. Lists say how many there are in all and how many are shown, never cutting silently;
times are Slack dates so every reader sees their own time zone.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.deploy_requests import lifecycle
from bot.deploy_requests.actions import Action
from bot.deploy_requests.lifecycle import Stage
from bot.deploy_requests.summary import Operation, QueueEntry, Summary
from bot.planetscale.models import DeploymentState
from bot.render.message import Message
from bot.render.mrkdwn import escape, slack_date

APP_URL = "https://app.planetscale.com"
SECTION_LIMIT = 3000


def _count_line(*, shown: int, total: int | None, noun: str, link: str, plural: str | None = None) -> str:
    nouns = plural or f"{noun}s"
    if total is None or total <= shown:
        return f"{shown} {noun if shown == 1 else nouns}."
    return f"Showing {shown} of {total:,} {nouns}. <{link}|See them all in PlanetScale>."


def _list_message(*, title: str, lines: Sequence[str], footer: str) -> Message:
    blocks: list[Block] = [HeaderBlock(text=title[:150])]
    chunk: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > SECTION_LIMIT:
            blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    text = f"{title}: " + "; ".join(line.replace("\n", " ") for line in lines[:10])
    return Message(text=text[:3000], blocks=tuple(block.to_dict() for block in blocks))


def _facts_message(*, title: str, facts: Sequence[tuple[str, str]], link: str | None = None) -> Message:
    body = "\n".join(f"*{name}:* {value}" for name, value in facts)
    blocks: list[Block] = [HeaderBlock(text=title[:150]), SectionBlock(text=MarkdownTextObject(text=body))]
    if link:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"<{link}|Open in PlanetScale>")]))
    return Message(text=f"{title}\n{body}"[:3000], blocks=tuple(block.to_dict() for block in blocks))


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
        f"{escape(item.deployment_state.replace('_', ' '))}, {approval}"
        f"{', by ' + escape(item.author) if item.author else ''}, opened {slack_date(item.created_at)}"
    )


def deploy_requests(org: str, db: str, items: Sequence[Summary], *, total: int | None, state: str) -> Message:
    footer = _count_line(
        shown=len(items), total=total, noun=f"{state} deploy request", link=f"{APP_URL}/{org}/{db}/deploy-requests"
    )
    lines = [_dr_line(item) for item in items] or [f"No {state} deploy requests."]
    return _list_message(title=f"Deploy requests of {org}/{db}", lines=lines, footer=footer)


def deploy_request(org: str, db: str, item: Summary) -> Message:
    facts = [
        ("Branch", f"`{escape(item.branch)}` → `{escape(item.into_branch)}`"),
        ("State", f"{escape(item.state)}, deployment {escape(item.deployment_state.replace('_', ' '))}"),
        ("Approval", "approved" if item.approved else "not approved yet"),
        ("Opened", f"{slack_date(item.created_at)}{' by ' + escape(item.author) if item.author else ''}"),
    ]
    if item.notes:
        facts.append(("Notes", escape(item.notes[:1000])))
    return _facts_message(title=f"{db} #{item.number} {item.branch} → {item.into_branch}", facts=facts,
                          link=item.html_url)


def deploy_request_done(*, what: str, db: str, item: Summary) -> Message:
    link = f" <{item.html_url}|Open in PlanetScale>." if item.html_url else ""
    return Message(
        text=f":white_check_mark: {what} `{escape(db)}` #{item.number} (`{escape(item.branch)}` → "
        f"`{escape(item.into_branch)}`). Now: {escape(state_label(item).lower())}.{link}"
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
}


def deploy_request_changed(action: Action, *, db: str, item: Summary) -> Message:
    """The reply to a command that changed a deploy request; `item` is the deploy request as PlanetScale left it."""
    return deploy_request_done(what=_DONE[action], db=db, item=item)


def deploy_request_approved(*, db: str, number: int) -> Message:
    return Message(text=f":white_check_mark: Approved `{db}` #{number}.")


def deploy_queue(org: str, db: str, items: Sequence[QueueEntry]) -> Message:
    lines = [
        f"{position}. #{item.number} — {escape(item.state.replace('_', ' '))}"
        f"{' into `' + escape(item.into_branch) + '`' if item.into_branch else ''}, queued {slack_date(item.queued_at)}"
        for position, item in enumerate(items, start=1)
    ]
    footer = f"{len(items)} in the queue, in the order they will deploy." if items else "Nothing is queued."
    return _list_message(title=f"Deploy queue of {org}/{db}", lines=lines or ["The queue is empty."], footer=footer)


DDL_SHOWN = 2500


def diff(db: str, number: int, operations: Sequence[Operation], *, html_url: str | None) -> Message:
    blocks: list[Block] = [HeaderBlock(text=f"{db} #{number}: schema changes"[:150])]
    for operation in operations[:40]:
        # Slack reads `&`, `<` and `>` as markup even inside code, so they are escaped there too; the cut comes after,
        # since escaping can make the text up to five times longer.
        ddl = escape(operation.ddl or "(no DDL)")
        cut = ddl if len(ddl) <= DDL_SHOWN else ddl[:DDL_SHOWN] + "\n… (truncated; see PlanetScale for all of it)"
        title = f"*{escape(operation.operation or 'change')}* `{escape(operation.table or '?')}`"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{title}\n```{cut}```")))
    if len(operations) > 40:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"and {len(operations) - 40} more changes")]))
    if not operations:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No schema changes.")))
    if html_url:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"<{html_url}|Open in PlanetScale>")]))
    text = f"{db} #{number}: {len(operations)} schema change(s)"
    return Message(text=text, blocks=tuple(block.to_dict() for block in blocks))
