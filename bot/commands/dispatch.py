"""From a slash command's text to either an immediate answer or follow-up work — with no Slack and no HTTP here.

The transport calls `accept` on the ack path, so it must be fast and do no network I/O: parsing, help and usage
errors are answered in the ack itself; anything that needs PlanetScale becomes a follow-up coroutine that the
transport runs after the ack and whose `Message` it delivers through `response_url`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.commands.grammar import Invocation, ParseFailure, parse
from bot.render.help import render_help, render_parse_failure
from bot.render.message import Message


@dataclass(frozen=True)
class CommandRequest:
    """One `/pscale` invocation, as the transport received it."""

    team_id: str
    user_id: str
    channel_id: str
    text: str
    trigger_id: str | None = None


FollowUp = Callable[[], Awaitable[Message]]


@dataclass(frozen=True)
class Accepted:
    """What to answer in the ack (if anything) and what to run after it (if anything)."""

    command: str
    ack: Message | None = None
    followup: FollowUp | None = None


Handler = Callable[[CommandRequest, Invocation], Accepted]
DefaultDatabaseLookup = Callable[[str, str], str | None]


class CommandDispatcher:
    """Parses, answers help and usage errors, and routes each command to its handler."""

    def __init__(
        self,
        *,
        handlers: Mapping[str, Handler],
        default_database: DefaultDatabaseLookup,
    ) -> None:
        self._handlers = dict(handlers)
        self._default_database = default_database

    def accept(self, request: CommandRequest) -> Accepted:
        parsed = parse(request.text, default_database=self._default_database(request.team_id, request.channel_id))
        if isinstance(parsed, ParseFailure):
            return Accepted(command="(usage error)", ack=render_parse_failure(parsed))
        if parsed.key == "help":
            return Accepted(command="help", ack=render_help(parsed.topic))
        handler = self._handlers.get(parsed.key)
        if handler is None:
            return Accepted(command=parsed.key, ack=_not_available(parsed))
        return handler(request, parsed)


def _not_available(invocation: Invocation) -> Message:
    return Message(
        text=(
            f"`/pscale {invocation.key}` is part of the command set but is not available in this version of the "
            "bot yet. `/pscale help` lists what is."
        )
    )
