"""Pure renderers for deploy requests, their diff and the deploy queue.

View models in, `Message`s out. Lists say how many there are in all and how many are shown, never cutting silently;
times are Slack dates so every reader sees their own time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.cards.states import state_label
from bot.render.help import escape
from bot.render.message import Message

APP_URL = "https://app.planetscale.com"
SECTION_LIMIT = 3000


def slack_date(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def slack_ago(moment: datetime | None) -> str:
    """"5 hours ago" in each reader's Slack, for ages; the fallback (old clients, notifications) is the UTC time."""
    if moment is None:
        return "at an unknown time"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{ago}}|{fallback}>"


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


@dataclass(frozen=True)
class DeployRequestView:
    number: int
    branch: str
    into_branch: str
    state: str
    deployment_state: str
    approved: bool
    author: str | None
    notes: str | None
    created_at: datetime | None
    html_url: str | None


def _dr_line(item: DeployRequestView) -> str:
    approval = "approved" if item.approved else "not approved"
    return (
        f"• *#{item.number}* `{escape(item.branch)}` → `{escape(item.into_branch)}` — "
        f"{escape(item.deployment_state.replace('_', ' '))}, {approval}"
        f"{', by ' + escape(item.author) if item.author else ''}, opened {slack_date(item.created_at)}"
    )


def deploy_requests(org: str, db: str, items: Sequence[DeployRequestView], *, total: int | None, state: str) -> Message:
    footer = _count_line(
        shown=len(items), total=total, noun=f"{state} deploy request", link=f"{APP_URL}/{org}/{db}/deploy-requests"
    )
    lines = [_dr_line(item) for item in items] or [f"No {state} deploy requests."]
    return _list_message(title=f"Deploy requests of {org}/{db}", lines=lines, footer=footer)


def deploy_request(org: str, db: str, item: DeployRequestView) -> Message:
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


def deploy_request_done(*, what: str, db: str, item: DeployRequestView) -> Message:
    link = f" <{item.html_url}|Open in PlanetScale>." if item.html_url else ""
    return Message(
        text=f":white_check_mark: {what} `{escape(db)}` #{item.number} (`{escape(item.branch)}` → "
        f"`{escape(item.into_branch)}`). Now: "
        f"{escape(state_label(state=item.state, deployment_state=item.deployment_state).lower())}.{link}"
    )


@dataclass(frozen=True)
class QueueEntryView:
    number: int
    state: str
    into_branch: str | None
    queued_at: datetime | None


def deploy_queue(org: str, db: str, items: Sequence[QueueEntryView]) -> Message:
    lines = [
        f"{position}. #{item.number} — {escape(item.state.replace('_', ' '))}"
        f"{' into `' + escape(item.into_branch) + '`' if item.into_branch else ''}, queued {slack_date(item.queued_at)}"
        for position, item in enumerate(items, start=1)
    ]
    footer = f"{len(items)} in the queue, in the order they will deploy." if items else "Nothing is queued."
    return _list_message(title=f"Deploy queue of {org}/{db}", lines=lines or ["The queue is empty."], footer=footer)


@dataclass(frozen=True)
class OperationView:
    table: str | None
    operation: str | None
    ddl: str | None


DDL_SHOWN = 2500


def diff(db: str, number: int, operations: Sequence[OperationView], *, html_url: str | None) -> Message:
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
