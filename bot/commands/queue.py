"""`/pscale queue DB`: the deploy queue, in the order it will deploy."""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler
from bot.render import resources as render
from bot.render.message import Message


async def queue(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    page = await ctx.planetscale.deploy_queue.list(org, db)
    entries = [
        render.QueueEntryView(
            number=item.deploy_request_number, state=item.state, into_branch=item.into_branch, queued_at=item.queued_at
        )
        for item in page.data
    ]
    return render.deploy_queue(org, db, entries)


HANDLERS: dict[str, CommandHandler] = {"queue": CommandHandler(run=queue)}
