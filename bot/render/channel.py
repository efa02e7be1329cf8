"""A channel's default database: set and cleared."""

from __future__ import annotations

from bot.render.message import Message
from bot.render.mrkdwn import escape


def database_set(db: str, *, previous: str | None) -> Message:
    replaced = f" (instead of `{escape(previous)}`)" if previous and previous != db else ""
    return Message(
        text=f":white_check_mark: This channel now uses `{escape(db)}`{replaced} when a command leaves out its "
        f"database, so commands here may omit it: `/pscale branch list` works like "
        f"`/pscale branch list {escape(db)}`. `/pscale channel db --clear` undoes it."
    )


def database_cleared(previous: str | None) -> Message:
    if previous is None:
        return Message(text="This channel had no default database; nothing changed.")
    return Message(
        text=f":white_check_mark: This channel no longer has a default database (it was `{escape(previous)}`). "
        "Commands here name their database again."
    )
