"""From a slash command's text to either an immediate answer or follow-up work — with no Slack and no HTTP here.

The transport calls `accept` on the ack path, so it must be fast and do no network I/O: parsing, help, usage errors
and the link prompt are answered in the ack itself (local SQLite reads only); anything that needs PlanetScale becomes
a follow-up coroutine that the transport runs after the ack and whose `Message` it delivers through `response_url`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace

from bot.commands.context import CommandContext, CommandHandler, CommandRefused
from bot.commands.grammar import Invocation, ParseFailure, default_database_could_apply, parse
from bot.commands.help import help_reply, usage_view
from bot.planetscale import PlanetScaleClient, PlanetScaleError, Unauthorized
from bot.ports import SLACK_MAY_HAVE_ACTED, Accounts, Caller, SlackNotReached, SlackPort, SlackRefused, unconfirmed
from bot.render import linking as render_linking
from bot.render.confirm import cancelled, confirmation_prompt, expired, not_yours
from bot.render.errors import (
    describe_target,
    planetscale_backlog,
    planetscale_failure,
    slack_refused,
    slack_unconfirmed,
    slack_unreachable,
)
from bot.render.help import render_usage_error
from bot.render.message import Message
from bot.storage import AuditLog, ChannelPreferences, PendingCommands, UserPreferences
from bot.storage.audit import CUT_OFF, Change
from bot.storage.pending import CONFIRMATION_SECONDS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandRequest:
    """One `/pscale` invocation, as the transport received it."""

    team_id: str
    user_id: str
    channel_id: str
    text: str
    trigger_id: str | None = None

    @property
    def caller(self) -> Caller:
        return Caller(team_id=self.team_id, user_id=self.user_id, channel_id=self.channel_id)


FollowUp = Callable[[], Awaitable[Message | None]]


@dataclass(frozen=True)
class Accepted:
    """What to answer in the ack (if anything) and what to run after it (if anything)."""

    command: str
    ack: Message | None = None
    followup: FollowUp | None = None
    # "accepted", or "backlogged": answered at once because the asker's earlier PlanetScale requests still queue.
    outcome: str = "accepted"


@dataclass(frozen=True)
class CancelAnswer:
    message: Message
    # True: the question is settled and its message should be replaced; False: a refusal meant only for the clicker.
    settled: bool


class CommandDispatcher:
    """Parses, answers help, usage errors and the link prompt, and runs each command's handler after the ack."""

    def __init__(
        self,
        *,
        handlers: Mapping[str, CommandHandler],
        accounts: Accounts,
        planetscale: PlanetScaleClient,
        slack: SlackPort,
        user_preferences: UserPreferences,
        channel_preferences: ChannelPreferences,
        pending: PendingCommands,
        audit: AuditLog,
    ) -> None:
        self._handlers = dict(handlers)
        self._accounts = accounts
        self._planetscale = planetscale
        self._slack = slack
        self._users = user_preferences
        self._channels = channel_preferences
        self._pending = pending
        self._audit = audit
        # Per person, the accepted commands that need PlanetScale and have not finished: the pacer sees a command
        # only once its follow-up asks for its turn, after reading storage, and a burst of acks comes in meanwhile.
        self._in_flight: Counter[tuple[str, str]] = Counter()

    async def accept(self, request: CommandRequest, *, confirmed: bool = False) -> Accepted:
        parsed = parse(request.text)
        # Storage is read only for a command the channel's default database could complete (most acks need none).
        if default_database_could_apply(parsed):
            default_database = await self._channels.default_database(request.team_id, request.channel_id)
            if default_database is not None:
                parsed = parse(request.text, default_database=default_database)
        if isinstance(parsed, ParseFailure):
            return Accepted(command="(usage error)", ack=render_usage_error(usage_view(parsed)))
        if parsed.key == "help":
            return Accepted(command="help", ack=help_reply(parsed.topic))
        if parsed.key == "login":
            return Accepted(command="login", ack=await self._link_prompt(request.team_id, request.user_id))
        ask_first = parsed.spec.destructive and not confirmed
        return await self._start(
            request.caller, parsed, trigger_id=request.trigger_id, ask_about=request.text if ask_first else None
        )

    async def accept_submitted(self, caller: Caller, invocation: Invocation) -> Accepted:
        """A create form's submission or an App Home Remove button (bot/commands/removals.py), which the grammar has
        already made an `Invocation` (`from_fields`): the same grant check, handler, replies and audit as the typed
        command, with no text to parse. Nothing to confirm: no command with a form is destructive
        (tests/grammar/test_catalog.py), nor are `digest unsubscribe` and `unwatch`."""
        return await self._start(caller, invocation, trigger_id=None, ask_about=None)

    async def _start(
        self, caller: Caller, invocation: Invocation, *, trigger_id: str | None, ask_about: str | None
    ) -> Accepted:
        """The link prompt, the confirmation question (`ask_about`: the typed text to park until confirmed), or the
        handler's follow-up."""
        handler = self._handlers.get(invocation.key)
        if handler is None:
            return Accepted(command=invocation.key, ack=_not_available(invocation))
        if not handler.needs_grant:
            return await self._question_or_followup(handler, caller, invocation, trigger_id, ask_about)
        # A command that could not even be sent within its time is answered now, not in 10 s with the same refusal:
        # someone (or a script) sending commands faster than PlanetScale's limit lets them through. An in-memory
        # estimate, so the flood costs no storage read and no follow-up.
        user_key = _user_key(caller)
        waiting = self._planetscale.expected_wait(user_key, ahead=self._in_flight[user_key])
        if waiting >= self._planetscale.retry.budget:
            return Accepted(command=invocation.key, ack=planetscale_backlog(waiting), outcome="backlogged")
        # Counted before anything is awaited: the pacer sees a command only once its follow-up asks for a turn, and
        # the acks of a burst all come before that (each may wait on storage here, too).
        self._in_flight[user_key] += 1
        try:
            if not await self._accounts.seems_linked(caller.team_id, caller.user_id):
                accepted = Accepted(command=invocation.key, ack=await self._link_prompt(caller.team_id, caller.user_id))
            else:
                accepted = await self._question_or_followup(handler, caller, invocation, trigger_id, ask_about)
        except BaseException:
            self._done(user_key)
            raise
        followup = accepted.followup
        if followup is None:
            self._done(user_key)
            return accepted

        async def counted_followup() -> Message | None:
            # One that never starts (its task cancelled first, as at shutdown) stays counted: the estimate then errs
            # towards answering "backlogged" sooner.
            try:
                return await followup()
            finally:
                self._done(user_key)

        return replace(accepted, followup=counted_followup)

    def _done(self, user_key: tuple[str, str]) -> None:
        self._in_flight[user_key] -= 1
        if not self._in_flight[user_key]:
            del self._in_flight[user_key]

    async def _question_or_followup(
        self, handler: CommandHandler, caller: Caller, invocation: Invocation, trigger_id: str | None,
        ask_about: str | None,
    ) -> Accepted:
        if ask_about is not None:
            return Accepted(command=invocation.key, ack=await self._ask_to_confirm(caller, ask_about, invocation))

        async def followup() -> Message | None:
            return await self._run(handler, caller, invocation, trigger_id=trigger_id)

        return Accepted(command=invocation.key, followup=followup)

    async def _link_prompt(self, team_id: str, user_id: str) -> Message:
        offer = await self._accounts.link_offer(team_id, user_id)
        return render_linking.link_prompt(url=offer.url, minutes=offer.valid_minutes)

    async def _ask_to_confirm(self, caller: Caller, text: str, invocation: Invocation) -> Message:
        pending_id = await self._pending.park(
            team_id=caller.team_id, user_id=caller.user_id, channel_id=caller.channel_id, text=text
        )
        target = describe_target(invocation.values)
        verb = invocation.spec.words[-1].capitalize()
        return confirmation_prompt(
            command_text=text.strip(),
            summary=f"{verb} {target}?",
            pending_id=pending_id,
            minutes=CONFIRMATION_SECONDS // 60,
        )

    async def confirm(
        self, pending_id: str, *, team_id: str, user_id: str, trigger_id: str | None = None
    ) -> Accepted:
        """The asker clicked `cmd_confirm`: run the parked command once (a double click finds nothing to run)."""
        pending = await self._pending.take(pending_id, team_id=team_id, user_id=user_id)
        if pending is None:
            parked = await self._pending.peek(pending_id)
            refusal = not_yours() if parked is not None and parked.user_id != user_id else expired()
            return Accepted(command="(confirmation)", ack=refusal)
        request = CommandRequest(
            team_id=pending.team_id,
            user_id=pending.user_id,
            channel_id=pending.channel_id,
            text=pending.text,
            trigger_id=trigger_id,
        )
        return await self.accept(request, confirmed=True)

    async def cancel(self, pending_id: str, *, team_id: str, user_id: str) -> CancelAnswer:
        pending = await self._pending.take(pending_id, team_id=team_id, user_id=user_id)
        if pending is not None:
            return CancelAnswer(cancelled(pending.text.strip()), settled=True)
        parked = await self._pending.peek(pending_id)
        refusal = not_yours() if parked is not None and parked.user_id != user_id else expired()
        return CancelAnswer(refusal, settled=False)

    async def _run(
        self, handler: CommandHandler, caller: Caller, invocation: Invocation, *, trigger_id: str | None
    ) -> Message | None:
        # Read ahead: the token's read overlaps the handler's own (the default organization, the audit entry).
        provider = self._accounts.token_provider(caller.team_id, caller.user_id, read_ahead=handler.needs_grant)
        context = CommandContext(
            caller=caller,
            invocation=invocation,
            trigger_id=trigger_id,
            planetscale=self._planetscale.as_user(provider, user_key=_user_key(caller)),
            slack=self._slack,
            user_preferences=self._users,
            channel_preferences=self._channels,
            audit=self._audit,
        )
        audit = _Intent(self._audit, context)
        try:
            await audit.begin()
            reply = await handler.run(context)
        except CommandRefused as refused:
            await audit.end(result=f"refused: {refused}", unless_unbegun=True)
            return Message(text=f":thinking_face: {refused}")
        except Unauthorized:
            # Refreshing did not help: the grant is gone (revoked in PlanetScale, or the refresh token died).
            await audit.end(result="failed: PlanetScale no longer accepts the link")
            return await self._link_prompt(caller.team_id, caller.user_id)
        except PlanetScaleError as error:
            log.info("command %s: PlanetScale %s", invocation.key, error)
            await audit.end(result=f"{'refused' if error.status and error.status < 500 else 'failed'}: "
                            f"{error.status or 'no response'} {error.message}")
            values: dict[str, object] = dict(invocation.values)
            if context.known_organization is not None:
                values["organization"] = context.known_organization
            return planetscale_failure(error, values=values)
        except SlackRefused as refused:
            # The person can fix most of these (invite the bot, try again); the handler undid what it had begun.
            log.info("command %s: Slack %s refused: %s", invocation.key, refused.method, refused.code)
            await audit.end(result=f"refused: Slack {refused.code}")
            return slack_refused(refused.code, method=refused.method, needed=refused.needed)
        except SlackNotReached as unreached:
            # Not ours, nor the person's to mend: Slack's Web API was out of reach, and the call never left. A handler
            # that had changed something before it says so itself (`dr create`) or undid it (`watch`).
            log.warning("command %s: %s", invocation.key, unreached)
            await audit.end(result="failed: Slack could not be reached")
            return slack_unreachable()
        except SLACK_MAY_HAVE_ACTED as lost:
            # Sent, and Slack's answer never came (or came too late): Slack may have done it (the form may be open), so
            # neither the audit nor the reply calls it failed. (The reply's own deadline reaches this frame as
            # CancelledError, below: a TimeoutError here is a call's own.)
            log.warning("command %s: %s", invocation.key, unconfirmed(lost))
            await audit.end(result="unconfirmed: Slack did not answer")
            return slack_unconfirmed()
        except asyncio.CancelledError:
            # The reply deadline (or shutdown) cut it off: what was sent to PlanetScale may have acted.
            await audit.end(result=CUT_OFF)
            raise
        except Exception:
            await audit.end(result="failed: internal error")
            raise
        await audit.end(result="ok")
        return reply


class _Intent:
    """The audit entry of one command, if it is audited: written as `started` before the handler sends anything to
    PlanetScale, and given its result after, so a process that dies in between leaves the `started` entry."""

    def __init__(self, audit: AuditLog, context: CommandContext) -> None:
        self._audit = audit
        self._context = context
        self._entry: int | None = None

    async def begin(self) -> None:
        invocation = self._context.invocation
        if not invocation.spec.audited:
            return
        if invocation.spec.accepts_org and not invocation.wants_modal:
            # Worked out first (a read at most), so that `audit DB --org ORG` finds even an entry that never ended.
            # Not for a form: it opens before any PlanetScale call (a trigger_id lives 3 s) and changes nothing.
            await self._context.organization()
        self._entry = await self._audit.begin(**self._fields())

    async def end(self, *, result: str, unless_unbegun: bool = False) -> None:
        """The outcome. A command that failed before its entry was begun (its org could not be worked out) is
        recorded in one go, unless `unless_unbegun`: the bot itself refused it, and nothing was tried."""
        invocation = self._context.invocation
        if self._entry is not None:
            await self._audit.finish(self._entry, result=result, organization=self._context.known_organization)
        elif invocation.spec.audited and not unless_unbegun:
            await self._audit.record(**self._fields(), result=result)

    def _fields(self) -> Change:
        """Who asked for what, as the entry names it."""
        invocation = self._context.invocation
        database = invocation.values.get("database")
        return Change(
            team_id=self._context.caller.team_id,
            user_id=self._context.caller.user_id,
            organization=self._context.known_organization,
            database=str(database) if database is not None else None,
            action=invocation.key,
            target=describe_target(invocation.values),
        )


def _not_available(invocation: Invocation) -> Message:
    return Message(
        text=(
            f"`/pscale {invocation.key}` is part of the command set but is not available in this version of the "
            "bot yet. `/pscale help` lists what is."
        )
    )


def _user_key(caller: Caller) -> tuple[str, str]:
    """Whose PlanetScale requests these are, for the pacer's per-user queues."""
    return (caller.team_id, caller.user_id)
