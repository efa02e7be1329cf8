"""`org list`, `org show [ORG]`, `org switch ORG`: which PlanetScale organization commands act in."""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler
from bot.planetscale import NotFound
from bot.planetscale.models import Organization
from bot.render import orgs as render
from bot.render.errors import planetscale_failure
from bot.render.message import Message

# Organizations come without a total; one page this size covers nearly every account and says so when it does not.
SHOWN = 25


async def org_list(ctx: CommandContext) -> Message:
    page = await ctx.planetscale.organizations.list(per_page=SHOWN)
    default = await ctx.user_preferences.default_org(ctx.caller.team_id, ctx.caller.user_id)
    names = [item.name for item in page.data]
    return render.organizations(names, more=page.next_page is not None, default=default)


async def _organization(ctx: CommandContext, name: str) -> Organization | Message:
    """The organization, or the plain 404 reply naming it (the dispatcher's would not know ORG is an org name)."""
    try:
        return await ctx.planetscale.organizations.get(name)
    except NotFound as error:
        return planetscale_failure(error, values={"organization": name})


async def org_show(ctx: CommandContext) -> Message:
    item = await _organization(ctx, ctx.invocation.optional_text("org") or await ctx.organization())
    if isinstance(item, Message):
        return item
    default = await ctx.user_preferences.default_org(ctx.caller.team_id, ctx.caller.user_id)
    view = render.OrganizationView(name=item.name, plan=item.plan, databases=item.database_count)
    return render.organization(view, is_default=default == item.name)


async def org_switch(ctx: CommandContext) -> Message:
    # PlanetScale answers 404 for an organization this user does not belong to: nothing is stored then.
    item = await _organization(ctx, ctx.invocation.text("org"))
    if isinstance(item, Message):
        return item
    await ctx.user_preferences.set_default_org(team_id=ctx.caller.team_id, user_id=ctx.caller.user_id, org=item.name)
    return render.switched(item.name)


HANDLERS: dict[str, CommandHandler] = {
    "org list": CommandHandler(run=org_list),
    "org show": CommandHandler(run=org_show),
    "org switch": CommandHandler(run=org_switch),
}
