"""`/pscale queue DB`: the deploy queue, in the order it will deploy."""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler
from bot.deploy_requests.summary import queue_entry
from bot.render import resources as render
from bot.render.message import Message


async def queue(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    page = await ctx.planetscale.deploy_queue.list(org, db)
    return render.deploy_queue(org, db, [queue_entry(deployment) for deployment in page.data])


HANDLERS: dict[str, CommandHandler] = {"queue": CommandHandler(run=queue)}
