"""Slack mrkdwn, the text format of messages: escaping, code spans, cutting to a limit, dates in the reader's zone.

Every renderer builds its text with these, so user input (names, notes, command text) always shows as typed,
pings nobody and cannot break out of the formatting around it. Pure functions of strings and times.
"""

from __future__ import annotations

from datetime import UTC, datetime

# How much of a value `inline` shows: enough to recognise it, little enough to keep a sentence readable.
INLINE_LIMIT = 80


def escape(text: str) -> str:
    """Slack's three control characters, so text (user input included) shows as typed and pings nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline(text: str) -> str:
    """Text inside backticks: escaped, one line, and unable to close the backticks early."""
    return escape(" ".join(text.split())).replace("`", "ˋ")[:INLINE_LIMIT]


def code_block(escaped: str) -> str:
    """Already escaped text as a code block. The fences get lines of their own (a statement ending in a backtick
    would otherwise close the block early and leave a stray backtick), and a fence inside the text cannot end it."""
    return "```\n" + escaped.replace("```", "'''") + "\n```"


def truncate(text: str, limit: int, *, mark: str = "…") -> str:
    """At most `limit` characters; a cut shows as `mark`, so nobody takes a shortened value for the whole."""
    return text if len(text) <= limit else text[: max(0, limit - len(mark))] + mark


def slack_date(moment: datetime | None) -> str:
    """A date each reader sees in their own time zone; the fallback (UTC) is what clients without support show."""
    if moment is None:
        return "unknown"
    return unix_date(int(moment.timestamp()))


def unix_date(seconds: int) -> str:
    return f"<!date^{seconds}^{{date_short_pretty}} {{time}}|{utc_time(seconds)}>"


def slack_ago(moment: datetime | None) -> str:
    """"5 hours ago" in each reader's Slack, for ages; the fallback (old clients, notifications) is the UTC time."""
    if moment is None:
        return "at an unknown time"
    seconds = int(moment.timestamp())
    return f"<!date^{seconds}^{{ago}}|{utc_time(seconds)}>"


def utc_time(seconds: int) -> str:
    """The fallback shown where Slack cannot show a date in the reader's zone."""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
