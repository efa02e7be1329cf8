"""App Home: what one person sees on the app's Home tab (pure; a view model in, a `home` view out).

Slack takes at most 100 blocks in a view (bot/render/budget.py). Each list shows its first `ITEMS_SHOWN` and counts
the rest ("…and N more"), so a Home for someone with fifty databases stays within the limit however much is open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.deploy_requests.summary import Summary
from bot.render.digests import weekly
from bot.render.linking import LINK_ACTION
from bot.render.listing import context, header, more_line, section
from bot.render.message import Message
from bot.render.mrkdwn import escape, slack_ago, slack_date
from bot.render.requests import RequestRef, request_buttons
from bot.render.resources import state_emoji, state_label

# The Home's toggle of direct messages about one's own deploy requests; its value is what it turns them to.
NOTIFY_MINE_ACTION = "home_notify_mine"
# Remove buttons beside each digest subscription and watch the viewer set up; the value names which
# (`digest_value`, `watch_value`), so a click acts on that one only.
DIGEST_REMOVE_ACTION = "home_digest_remove"
WATCH_REMOVE_ACTION = "home_watch_remove"
# Per list: two blocks an item awaiting review, one of one's own; one a digest or watch. A full Home is
# 73 blocks for the deploy requests and settings, and 24 for digests and watches: 97 of Slack's 100.
ITEMS_SHOWN = 20
SET_UP_SHOWN = 10


@dataclass(frozen=True)
class HomeDigest:
    """A digest subscription the viewer made: `at` is "HH:MM" in `tz`."""

    channel_id: str
    org: str
    database: str
    at: str
    tz: str
    daily: bool


@dataclass(frozen=True)
class HomeWatch:
    hook_id: str
    channel_id: str
    org: str
    database: str


def digest_value(channel_id: str, org: str, database: str) -> str:
    return f"{channel_id}/{org}/{database}"


def watch_value(hook_id: str, org: str, database: str) -> str:
    return f"{hook_id}/{org}/{database}"


def parse_value(value: str) -> tuple[str, str, str] | None:
    """(channel id or hook id, org, database) from a Remove button's value; None for anything else. Neither
    a channel id, a hook id (URL-safe base64) nor an organization name holds a `/`."""
    first, _, rest = value.partition("/")
    org, _, database = rest.partition("/")
    return (first, org, database) if first and org and database else None


@dataclass(frozen=True)
class HomeItem:
    """A deploy request as the Home lists it; `can_approve`: the viewer may approve it now."""

    org: str
    database: str
    request: Summary
    can_approve: bool = False

    @property
    def ref(self) -> RequestRef:
        return RequestRef(org=self.org, database=self.database, number=self.request.number)


@dataclass(frozen=True)
class HomeView:
    """`link_url`: set when the viewer has no working PlanetScale link (the rest is then empty)."""

    link_url: str | None = None
    planetscale_name: str | None = None
    waiting: Sequence[HomeItem] = ()
    mine: Sequence[HomeItem] = ()
    mine_notifications: bool = True
    review_notifications: Sequence[str] = ()  # "org/database"
    unread: Sequence[str] = ()  # "org/database" that could not be read just now
    people: Mapping[str, str] = field(default_factory=dict)  # PlanetScale user id → Slack user id
    digests: Sequence[HomeDigest] = ()  # the digest subscriptions the viewer made
    watches: Sequence[HomeWatch] = ()  # the watches the viewer made
    notice: str | None = None  # the answer to a click on this Home (Slack gives a Home's clicks no response_url)


def home(view: HomeView) -> dict[str, Any]:
    blocks: list[Block] = [header("PlanetScale")]
    if view.notice:
        blocks.append(section(view.notice))
    if view.link_url is not None:
        blocks += [
            section(
                ":link: Link your PlanetScale account to see the deploy requests waiting for your review and your "
                "own, and to hear about them in direct messages."
            ),
            ActionsBlock(
                block_id="link_account",
                elements=[
                    ButtonElement(
                        text="Link PlanetScale account", action_id=LINK_ACTION, url=view.link_url, style="primary"
                    )
                ],
            ),
        ]
        return _view(blocks)
    blocks.append(context(f":white_check_mark: Linked as {escape(view.planetscale_name or 'you')} on PlanetScale."))
    blocks += [DividerBlock(), header("Waiting for your review")]
    if not view.waiting:
        blocks.append(section("Nothing waits for your review."))
    for item in view.waiting[:ITEMS_SHOWN]:
        blocks.append(section(_line(item, view.people)))
        blocks.append(
            ActionsBlock(
                elements=request_buttons(
                    item.ref, approve=item.can_approve, diff=True, html_url=item.request.html_url
                )
            )
        )
    if len(view.waiting) > ITEMS_SHOWN:
        blocks.append(context(more_line(len(view.waiting) - ITEMS_SHOWN)))
    blocks += [DividerBlock(), header("Your deploy requests")]
    if not view.mine:
        blocks.append(section("You have no open deploy requests."))
    blocks += [section(_line(item, view.people, own=True)) for item in view.mine[:ITEMS_SHOWN]]
    if len(view.mine) > ITEMS_SHOWN:
        blocks.append(context(more_line(len(view.mine) - ITEMS_SHOWN)))
    if view.unread:
        blocks.append(context(":warning: Could not read " + _names(view.unread) + " just now."))
    blocks += _set_up(view)
    turn_to = "off" if view.mine_notifications else "on"
    toggle = ButtonElement(text=f"Turn {turn_to}", action_id=NOTIFY_MINE_ACTION, value=turn_to)
    blocks += [
        DividerBlock(),
        header("Direct messages"),
        SectionBlock(text=MarkdownTextObject(text=_settings(view)), accessory=toggle),
    ]
    return _view(blocks)


def _set_up(view: HomeView) -> list[Block]:
    """The digests and watches the viewer set up, each with its Remove button."""
    blocks: list[Block] = [DividerBlock(), header("Your digests and watches")]
    if not view.digests and not view.watches:
        blocks.append(section(
            "You have set up no digests or watches. In a channel, `/pscale digest subscribe DB` posts a daily "
            "digest there and `/pscale watch DB` posts deploy request events as they happen."
        ))
    for digest in view.digests[:SET_UP_SHOWN]:
        line = (f":newspaper: Digest of `{escape(digest.org)}/{escape(digest.database)}` in <#{digest.channel_id}>, "
                f"{weekly(digest.at, digest.tz, digest.daily)}")
        value = digest_value(digest.channel_id, digest.org, digest.database)
        blocks.append(_removable(line, DIGEST_REMOVE_ACTION, value))
    if len(view.digests) > SET_UP_SHOWN:
        blocks.append(context(more_line(len(view.digests) - SET_UP_SHOWN)))
    for watch in view.watches[:SET_UP_SHOWN]:
        line = f":eyes: Watching `{escape(watch.org)}/{escape(watch.database)}` in <#{watch.channel_id}>"
        blocks.append(_removable(line, WATCH_REMOVE_ACTION, watch_value(watch.hook_id, watch.org, watch.database)))
    if len(view.watches) > SET_UP_SHOWN:
        blocks.append(context(more_line(len(view.watches) - SET_UP_SHOWN)))
    return blocks


def _removable(line: str, action_id: str, value: str) -> SectionBlock:
    remove = ButtonElement(text="Remove", action_id=action_id, value=value, style="danger")
    return SectionBlock(text=MarkdownTextObject(text=line), accessory=remove)


def _view(blocks: list[Block]) -> dict[str, Any]:
    return {"type": "home", "blocks": [block.to_dict() for block in blocks]}


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"`{escape(name)}`" for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _line(item: HomeItem, people: Mapping[str, str], *, own: bool = False) -> str:
    request = item.request
    title = f"*{escape(item.database)} #{request.number}* `{escape(request.branch)}` → `{escape(request.into_branch)}`"
    if request.html_url:
        title = f"<{request.html_url}|{escape(item.database)} #{request.number}> `{escape(request.branch)}` → " \
            f"`{escape(request.into_branch)}`"
    facts = [f"{state_emoji(request)} {escape(state_label(request))}"]
    if request.queue_position is not None:
        facts.append(f"number {request.queue_position} in the deploy queue")
    if request.revert_deadline is not None:
        facts.append(f"can be reverted until {slack_date(request.revert_deadline)}")
    if not own:
        author = people.get(request.author_id or "")
        facts.append(f"by <@{author}>" if author else f"by {escape(request.author or 'someone')}")
    facts.append(f"opened {slack_ago(request.created_at)}")
    if request.approved:
        facts.append("approved")
    return f"{title}\n{' · '.join(facts)}"


def _settings(view: HomeView) -> str:
    mine = "on" if view.mine_notifications else "off"
    reviews = _names(view.review_notifications) if view.review_notifications else "none"
    return (
        f"About your own deploy requests: *{mine}*.\n"
        f"New deploy requests in: {reviews} (`/pscale notify on|off reviews DB`)."
    )


def nothing_to_remove() -> Message:
    return Message(text="That button names nothing that can be removed; nothing changed.")


def digest_gone(channel_id: str, database: str) -> Message:
    return Message(text=f"You have no digest of `{escape(database)}` in <#{channel_id}> any more; nothing changed.")


def watch_gone(database: str) -> Message:
    return Message(text=f"That watch of `{escape(database)}` is gone already; nothing changed.")
