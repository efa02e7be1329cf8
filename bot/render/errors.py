"""Replies for failures the user did not cause: plain words, what happened, what to do. Never a traceback."""

from __future__ import annotations

from bot.render.message import Message


def unexpected_error(reference: str) -> Message:
    return Message(
        text=(
            ":warning: Something went wrong on our side while handling that command, and it may not have finished. "
            f"Check its result before trying again. (Reference: `{reference}`; give it to whoever runs this bot.)"
        )
    )


def too_slow(seconds: int) -> Message:
    return Message(
        text=(
            f":hourglass: That took longer than {seconds} seconds, so I stopped waiting. If it changed something, "
            "it may still have happened: check with a `show` or `list` command before trying again."
        )
    )
