"""The digest message and the subscription notices (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.deploy_requests.lifecycle import Need
from bot.deploy_requests.summary import QueueEntry, Summary
from bot.render.message import Message
from bot.render.mrkdwn import escape, slack_date
from bot.render.resources import APP_URL

PER_GROUP = 10
GROUP_TITLES: dict[Need, str] = {
    Need.REVIEW: "Awaiting review",
    Need.DEPLOY: "Approved, not deployed",
    Need.DEPLOYING: "Deploying",
    Need.APPLY: "Waiting to be applied",
    Need.REVERT_WINDOW: "In the revert window",
    Need.BLOCKED: "Blocked",
    Need.STALE: "Stale",
    Need.OTHER: "Other",
}


def _weekly(at: str, tz: str, daily: bool) -> str:
    return f"{'every day' if daily else 'weekdays'} at {at} {tz}"


def digest(
    *, org: str, db: str, groups: Mapping[Need, Sequence[Summary]], total_open: int | None,
    queue: Sequence[QueueEntry],
) -> Message:
    """Open deploy requests grouped by what they need next, in `Need`'s order, then the deploy queue."""
    blocks: list[Block] = [HeaderBlock(text=f"Daily digest: {org}/{db}"[:150])]
    shown = sum(len(items) for items in groups.values())
    if not shown:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=":sparkles: Nothing open. Quiet day.")))
    for need in Need:
        items = groups.get(need, ())
        if not items:
            continue
        lines = [
            f"• <{item.html_url or APP_URL}|#{item.number}> `{escape(item.branch)}` → `{escape(item.into_branch)}`"
            f"{' by ' + escape(item.author) if item.author else ''}, opened {slack_date(item.created_at)}"
            for item in items[:PER_GROUP]
        ]
        if len(items) > PER_GROUP:
            lines.append(f"…and {len(items) - PER_GROUP} more")
        heading = f"*{GROUP_TITLES[need]}* ({len(items)})"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=heading + "\n" + "\n".join(lines))))
    if total_open is not None and total_open > shown:
        more = f"{total_open - shown} more open deploy requests are not shown."
        link = f"<{APP_URL}/{org}/{db}/deploy-requests|See them all in PlanetScale>"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"{more} {link}")]))
    blocks.append(DividerBlock())
    queue_text = (
        "\n".join(f"{n}. #{entry.number} — {entry.state.replace('_', ' ')}" for n, entry in enumerate(queue, 1))
        if queue else "The deploy queue is empty."
    )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Deploy queue*\n{queue_text}"[:3000])))
    text = f"Daily digest of {org}/{db}: {shown} open deploy request(s), {len(queue)} in the queue"
    return Message(text=text, blocks=tuple(block.to_dict() for block in blocks[:50]), visibility="in_channel")


def grant_gone(*, org: str, db: str, owner_id: str) -> Message:
    return Message(
        text=(
            f":warning: The daily digest of `{escape(org)}/{escape(db)}` could not be read: <@{owner_id}>, who "
            "subscribed this channel, no longer has a working PlanetScale link. Run `/pscale login` to fix it, "
            "or subscribe again yourself with `/pscale digest subscribe`."
        ),
        visibility="in_channel",
    )


def subscribed_notice(*, user_id: str, db: str, at: str, tz: str, daily: bool, next_at: datetime) -> Message:
    return Message(
        text=f"<@{user_id}> subscribed this channel to a digest of `{escape(db)}`, {_weekly(at, tz, daily)}; "
        f"the next one comes {slack_date(next_at)}.",
        visibility="in_channel",
    )


def unsubscribed_notice(*, user_id: str, db: str) -> Message:
    return Message(text=f"<@{user_id}> stopped this channel's digest of `{escape(db)}`.", visibility="in_channel")


def subscriptions(items: Sequence[tuple[str, str, str, bool, str]]) -> Message:
    """(database, at, tz, daily, owner) per subscription of this channel."""
    if not items:
        return Message(text="This channel has no digests. Start one with `/pscale digest subscribe DB`.")
    lines = [f"• `{escape(db)}`: {_weekly(at, tz, daily)}, read as <@{owner}>" for db, at, tz, daily, owner in items]
    return Message(text="Digests in this channel:\n" + "\n".join(lines))
