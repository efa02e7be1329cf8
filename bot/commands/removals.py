"""The App Home's Remove buttons: one's own digest subscription or watch, stopped as `/pscale digest unsubscribe DB`
or `/pscale unwatch DB` typed in its channel would stop it.

The click becomes that command's invocation (`--org` and the database from the button) and goes through the
dispatcher with the clicker as caller in the item's channel: the same grant check (the link prompt without one),
the same handler (its channel notice, the webhook deleted in PlanetScale with the clicker's grant) and the same
audit entry. Before that, the item must still be one the clicker set up: a stale button (already removed, or a
watch someone else has made since) changes nothing and says so.
"""

from __future__ import annotations

from bot.commands.dispatch import Accepted, CommandDispatcher
from bot.commands.grammar import FieldProblems, from_fields
from bot.digests.store import Subscriptions
from bot.ports import Caller
from bot.render import home as render
from bot.render.message import Message
from bot.watch.store import Watches


class HomeRemovals:
    def __init__(self, *, dispatcher: CommandDispatcher, subscriptions: Subscriptions, watches: Watches) -> None:
        self._dispatcher = dispatcher
        self._subscriptions = subscriptions
        self._watches = watches

    async def digest(self, *, team_id: str, user_id: str, value: str) -> Accepted:
        key = render.parse_value(value)
        if key is None:
            return Accepted(command="digest unsubscribe", ack=render.nothing_to_remove())
        channel_id, org, database = key
        owned = await self._subscriptions.owned_by(team_id, user_id)
        if not any((item.channel_id, item.org, item.database) == key for item in owned):
            return Accepted(command="digest unsubscribe", ack=render.digest_gone(channel_id, database))
        caller = Caller(team_id=team_id, user_id=user_id, channel_id=channel_id)
        return await self._run("digest unsubscribe", caller, org, database)

    async def watch(self, *, team_id: str, user_id: str, value: str) -> Accepted:
        key = render.parse_value(value)
        if key is None:
            return Accepted(command="unwatch", ack=render.nothing_to_remove())
        hook_id, _, database = key
        owned = await self._watches.created_by(team_id, user_id)
        # By hook id, not by database: the button must not stop a watch of the same database made after it.
        found = next((item for item in owned if item.hook_id == hook_id), None)
        if found is None:
            return Accepted(command="unwatch", ack=render.watch_gone(database))
        caller = Caller(team_id=team_id, user_id=user_id, channel_id=found.channel_id)
        return await self._run("unwatch", caller, found.org, found.database)

    async def _run(self, command: str, caller: Caller, org: str, database: str) -> Accepted:
        invocation = from_fields(command, {"database": database, "org": org})
        if isinstance(invocation, FieldProblems):  # names the bot stored itself, so never expected
            return Accepted(command=command, ack=render.nothing_to_remove())
        accepted = await self._dispatcher.accept_submitted(caller, invocation)
        followup = accepted.followup
        if followup is None:
            return accepted

        async def in_its_channel() -> Message | None:
            # The command's reply speaks of "this channel"; on the Home, say which.
            reply = await followup()
            return None if reply is None else Message(text=f"<#{caller.channel_id}>: {reply.text}")

        return Accepted(command=command, ack=accepted.ack, followup=in_its_channel)
