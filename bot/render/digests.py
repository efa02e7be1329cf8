"""The digest message and the subscription notices (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import Block, DividerBlock

from bot.deploy_requests.lifecycle import Need, is_queued
from bot.deploy_requests.summary import QueueEntry, Summary
from bot.render.budget import SECTION_TEXT, Budget, pack_lines
from bot.render.listing import APP_URL, app_link, context, header, more_line, section
from bot.render.message import Message
from bot.render.mrkdwn import escape, slack_date
from bot.render.resources import queue_lines

PER_GROUP = 10
GROUP_MORE = 40  # room in a group's section for its "…and N more"
QUEUE_ROOM = 1500  # characters of the message kept for the deploy queue
MORE_ROOM = 300  # a "…and N more" line with its link
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


def weekly(at: str, tz: str, daily: bool) -> str:
    """When a digest posts, in words: "weekdays at 09:00 Europe/Paris"."""
    return f"{'every day' if daily else 'weekdays'} at {at} {tz}"


def _group(title: str, items: Sequence[Summary]) -> str:
    """One group's section: its title and count, then up to PER_GROUP deploy requests as fit one section."""
    text = f"*{title}* ({len(items)})"
    listed = 0
    for item in items[:PER_GROUP]:
        line = (
            f"• <{item.html_url or APP_URL}|#{item.number}> `{escape(item.branch)}` → `{escape(item.into_branch)}`"
            f"{' by ' + escape(item.author) if item.author else ''}, opened {slack_date(item.created_at)}"
        )
        if len(text) + 1 + len(line) > SECTION_TEXT - GROUP_MORE:
            break
        text += "\n" + line
        listed += 1
    if listed < len(items):
        text += f"\n…and {len(items) - listed} more"
    return text


def digest(
    *, org: str, db: str, groups: Mapping[Need, Sequence[Summary]], total_open: int | None,
    queue: Sequence[QueueEntry],
) -> Message:
    """Open deploy requests grouped by what they need next, in `Need`'s order, then the deploy queue; as much as
    one message holds, and how many more there are with the link to all of them."""
    title = f"Daily digest: {org}/{db}"
    budget = Budget().keep(len(title) + QUEUE_ROOM + 2 * MORE_ROOM, blocks=5)
    blocks: list[Block] = [header(title)]
    given = sum(len(items) for items in groups.values())
    left_out = 0
    for need in Need:
        items = groups.get(need, ())
        if not items:
            continue
        text = _group(GROUP_TITLES[need], items)
        if budget.take(len(text)):
            blocks.append(section(text))
        else:
            left_out += len(items)
    if not given:
        blocks.append(section(":sparkles: Nothing open. Quiet day."))
    hidden = left_out + max(0, (total_open or 0) - given)
    if hidden:
        blocks.append(context(more_line(hidden, link=app_link(org, db, "deploy-requests"))))
    blocks.append(DividerBlock())
    entries, counted = queue_lines(queue)
    queued = pack_lines(["*Deploy queue*", *(entries or ["The deploy queue is empty."])],
                        Budget(text=QUEUE_ROOM, blocks=1))
    blocks.extend(section(text) for text in queued.sections)
    unlisted = len(entries) - max(0, queued.shown - 1)
    if entries:
        blocks.append(context(counted + (f" …and {unlisted:,} more in the queue." if unlisted else "")))
    waiting = sum(1 for entry in queue if is_queued(entry))
    text = f"Daily digest of {org}/{db}: {given} open deploy request(s), {waiting} queued"
    return Message(text=text, blocks=tuple(block.to_dict() for block in blocks), visibility="in_channel")


def grant_gone(*, org: str, db: str, owner_id: str) -> Message:
    return Message(
        text=(
            f":warning: The daily digest of `{escape(org)}/{escape(db)}` could not be read: <@{owner_id}>, who "
            "subscribed this channel, no longer has a working PlanetScale link. Run `/pscale login` to fix it, "
            "or subscribe again yourself with `/pscale digest subscribe`."
        ),
        visibility="in_channel",
    )


@dataclass(frozen=True)
class Replaced:
    """The subscription a `digest subscribe` replaced: who set it up (the digest was read with their grant) and when
    it posted."""

    owner_id: str
    at: str
    tz: str
    daily: bool


def _was(replaced: Replaced, now: str) -> str:
    before = weekly(replaced.at, replaced.tz, replaced.daily)
    return "" if before == now else f" (it was {before})"


def subscribed_notice(
    *, user_id: str, db: str, at: str, tz: str, daily: bool, next_at: datetime, replaced: Replaced | None = None
) -> Message:
    """In the channel. Subscribing again replaces the channel's digest of `db` and makes it the subscriber's: the
    notice says so, naming (and so telling) whose it was, since it is now read with another person's access."""
    when = weekly(at, tz, daily)
    if replaced is None:
        what = f"<@{user_id}> subscribed this channel to a digest of `{escape(db)}`, {when}"
    elif replaced.owner_id == user_id:
        what = f"<@{user_id}> changed this channel's digest of `{escape(db)}`: {when}{_was(replaced, when)}"
    else:
        what = (
            f"<@{user_id}> took over this channel's digest of `{escape(db)}` from <@{replaced.owner_id}>: it is read "
            f"with <@{user_id}>'s PlanetScale access from now on instead of <@{replaced.owner_id}>'s, "
            f"{when}{_was(replaced, when)}"
        )
    return Message(text=f"{what}; the next one comes {slack_date(next_at)}.", visibility="in_channel")


def subscribed_reply(
    *, user_id: str, db: str, at: str, tz: str, daily: bool, replaced: Replaced | None = None
) -> Message:
    """To the subscriber: whose access the digest is read with now, and whose it was."""
    when = weekly(at, tz, daily)
    if replaced is None:
        text = f":white_check_mark: Subscribed. The digest of `{escape(db)}` is read with your PlanetScale access."
    elif replaced.owner_id == user_id:
        text = (
            f":white_check_mark: Changed this channel's digest of `{escape(db)}`: {when}{_was(replaced, when)}. "
            "It is still read with your PlanetScale access."
        )
    else:
        text = (
            f":white_check_mark: This channel's digest of `{escape(db)}` was already subscribed by "
            f"<@{replaced.owner_id}>, read with their PlanetScale access. It is yours now: read with your access "
            f"(it shows what you can see), {when}{_was(replaced, when)}, and listed in your App Home instead of theirs."
        )
    return Message(text=text)


def unsubscribed_notice(*, user_id: str, db: str) -> Message:
    return Message(text=f"<@{user_id}> stopped this channel's digest of `{escape(db)}`.", visibility="in_channel")


def subscriptions(items: Sequence[tuple[str, str, str, bool, str]]) -> Message:
    """(database, at, tz, daily, owner) per subscription of this channel."""
    if not items:
        return Message(text="This channel has no digests. Start one with `/pscale digest subscribe DB`.")
    lines = [f"• `{escape(db)}`: {weekly(at, tz, daily)}, read as <@{owner}>" for db, at, tz, daily, owner in items]
    return Message(text="Digests in this channel:\n" + "\n".join(lines))
