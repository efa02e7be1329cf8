"""`database list` and `database show DB`."""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler
from bot.planetscale.models import Database
from bot.render import databases as render
from bot.render.message import Message

SHOWN = 25


def database_view(item: Database) -> render.DatabaseView:
    region = (item.region.display_name or item.region.slug) if item.region else None
    return render.DatabaseView(
        name=item.name,
        state=item.state,
        kind=item.kind,
        region=region,
        default_branch=item.default_branch,
        require_approval=item.require_approval_for_deploy,
        branches=item.branches_count,
        html_url=item.html_url,
    )


async def database_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    # One page, the one shown; PlanetScale's total_count makes the count truthful without reading the rest.
    page = await ctx.planetscale.databases.list(org, per_page=SHOWN)
    views = [database_view(item) for item in page.data]
    return render.databases(org, views, total=page.total_count, more=page.next_page is not None)


async def database_show(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    item = await ctx.planetscale.databases.get(org, ctx.invocation.text("database"))
    return render.database(org, database_view(item))


HANDLERS: dict[str, CommandHandler] = {
    "database list": CommandHandler(run=database_list),
    "database show": CommandHandler(run=database_show),
}
