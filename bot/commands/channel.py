"""`channel db DB` / `channel db --clear`: the database commands in this channel use when they leave it out."""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler
from bot.render import channel as render
from bot.render.message import Message


async def channel_db(ctx: CommandContext) -> Message:
    team_id, channel_id = ctx.caller.team_id, ctx.caller.channel_id
    previous = await ctx.channel_preferences.default_database(team_id, channel_id)
    # The grammar allows exactly one of DB and --clear.
    if ctx.invocation.flag("clear"):
        await ctx.channel_preferences.clear_default_database(team_id, channel_id)
        return render.database_cleared(previous)
    # Only a database the asker can see may become the default (404 otherwise, naming it and the scope).
    database = await ctx.planetscale.databases.get(await ctx.organization(), ctx.invocation.text("database"))
    await ctx.channel_preferences.set_default_database(
        team_id=team_id, channel_id=channel_id, database_name=database.name
    )
    return render.database_set(database.name, previous=previous)


HANDLERS: dict[str, CommandHandler] = {"channel db": CommandHandler(run=channel_db)}
