"""`audit DB`: the recent changes made from Slack in a database, for someone who can read that database."""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler
from bot.render import audit as render
from bot.render.message import Message

SHOWN = 20


async def audit(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    # The log is the bot's, not PlanetScale's: only someone PlanetScale lets read the database may see it.
    await ctx.planetscale.databases.get(org, db)
    # Entries are keyed by the name as typed (what the dispatcher records). One more than shown, to say truthfully
    # whether older entries exist.
    entries = await ctx.audit.recent(team_id=ctx.caller.team_id, organization=org, database=db, limit=SHOWN + 1)
    views = [
        render.AuditView(at=entry.at, user_id=entry.user_id, action=entry.action, target=entry.target,
                         result=entry.result)
        for entry in entries[:SHOWN]
    ]
    return render.audit(org, db, views, more=len(entries) > SHOWN)


HANDLERS: dict[str, CommandHandler] = {"audit": CommandHandler(run=audit)}
