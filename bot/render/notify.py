"""Direct messages about deploy requests (docs/interface.md §8) and the `/pscale notify` replies: pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from slack_sdk.models.blocks import ActionsBlock, SectionBlock

from bot.deploy_requests.summary import Summary
from bot.render.listing import section
from bot.render.message import Message
from bot.render.mrkdwn import escape, slack_date
from bot.render.requests import RequestRef, request_buttons


class Happened(StrEnum):
    """What a deploy request's author hears of; each value is also the event's key in the record of messages sent
    (an approval adds whose it is)."""

    APPROVED = "approved"
    DEPLOYED = "deployed"
    FAILED = "failed"
    REVERT_WINDOW_CLOSED = "revert_window_closed"
    REVERTED = "reverted"
    CLOSED = "closed"


@dataclass(frozen=True)
class RequestNews:
    """`by`: who did it, as Slack shows them (a mention, or their PlanetScale name), where PlanetScale says."""

    happened: Happened
    org: str
    database: str
    request: Summary
    by: str | None = None


def _title(database: str, request: Summary) -> str:
    name = f"{escape(database)} #{request.number}"
    linked = f"<{request.html_url}|{name}>" if request.html_url else f"*{name}*"
    return f"{linked} `{escape(request.branch)}` → `{escape(request.into_branch)}`"


def news(item: RequestNews) -> Message:
    """To the author of a deploy request: one thing that happened to it."""
    title = _title(item.database, item.request)
    by = f" by {item.by}" if item.by else ""
    text = {
        Happened.APPROVED: f":white_check_mark: Your deploy request {title} was approved{by}.",
        Happened.DEPLOYED: f":rocket: Your deploy request {title} is deployed"
        + (
            f"; it can be reverted until {slack_date(item.request.revert_deadline)}."
            if item.request.revert_deadline else "."
        ),
        Happened.FAILED: f":x: The deployment of your deploy request {title} failed"
        " (PlanetScale shows why). The deploy queue waits until it is dealt with.",
        Happened.REVERT_WINDOW_CLOSED: f":lock: The revert window of your deploy request {title} has closed: its "
        "changes stay.",
        Happened.REVERTED: f":leftwards_arrow_with_hook: Your deploy request {title} was reverted{by}.",
        Happened.CLOSED: f":no_entry: Your deploy request {title} was closed{by}.",
    }[item.happened]
    return Message(text=text, blocks=(section(text).to_dict(),))


def review_wanted(*, org: str, database: str, request: Summary, author: str | None, diff: bool) -> Message:
    """To someone who follows a database's reviews: a new deploy request, with Approve and Show diff."""
    who = f" by {author}" if author else ""
    text = f":eyes: New deploy request in `{escape(database)}`{who}: {_title(database, request)}."
    ref = RequestRef(org=org, database=database, number=request.number)
    blocks = (
        SectionBlock(text=text).to_dict(),
        ActionsBlock(elements=request_buttons(ref, approve=True, diff=diff, html_url=request.html_url)).to_dict(),
    )
    return Message(text=text, blocks=blocks)


def settings_changed(*, on: bool, topic: str, database: str | None) -> Message:
    if topic == "mine":
        what = "your own deploy requests (approved, deployed, failed, reverted, closed)"
    else:
        what = f"new deploy requests in `{escape(database or '')}`"
    verb = "I'll send you a direct message about" if on else "No more direct messages about"
    return Message(text=f":bell: {verb} {what}." if on else f":no_bell: {verb} {what}.")


def settings(*, mine: bool, reviews: Sequence[str]) -> Message:
    followed = ", ".join(f"`{escape(name)}`" for name in reviews) or "none"
    return Message(
        text=f"Direct messages about your own deploy requests: *{'on' if mine else 'off'}*.\n"
        f"New deploy requests in: {followed}.\n"
        "Change with `/pscale notify on|off mine` or `/pscale notify on|off reviews DB`."
    )
