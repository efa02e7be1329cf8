"""`/pscale audit DB`: what was changed from Slack in a database — who, what, when, and how it ended."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render import listing
from bot.render.message import Message
from bot.render.mrkdwn import escape, truncate, unix_date
from bot.storage.audit import STARTED

RESULT_SHOWN = 200


@dataclass(frozen=True)
class AuditView:
    at: int
    user_id: str
    action: str
    target: str
    result: str


def _result(result: str) -> str:
    if result == STARTED:
        return ":hourglass: started, no outcome recorded: still running, or the bot stopped mid-way (check it)"
    icon = ":white_check_mark:" if result == "ok" else ":x:"
    shown = truncate(result, RESULT_SHOWN)
    return f"{icon} {escape(shown)}"


def audit(org: str, db: str, entries: Sequence[AuditView], *, more: bool) -> Message:
    """`more`: older entries exist beyond those shown."""
    lines = [
        f"• {unix_date(entry.at)} <@{entry.user_id}> `{escape(entry.action)}` {escape(entry.target)} — "
        f"{_result(entry.result)}"
        for entry in entries
    ]
    if not entries:
        footer = "Changes made with /pscale commands appear here."
    elif more:
        footer = f"The {len(entries)} most recent changes, newest first; older ones are not shown."
    else:
        footer = f"All {len(entries)} changes made from Slack, newest first."
    return listing.list_message(
        title=f"Changes to {org}/{db} made from Slack",
        lines=lines,
        empty="Nothing has been changed in this database from Slack yet.",
        footer=footer,
    )
