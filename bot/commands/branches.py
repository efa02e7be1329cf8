"""`branch list|show|create|delete` (`branch create` with no arguments opens the form: bot/commands/forms.py).

Lists read one page — the one shown — and report PlanetScale's total, so a 1,000-branch database costs one request.
"""

from __future__ import annotations

from bot.commands import forms
from bot.commands.context import CommandContext, CommandHandler
from bot.planetscale.models import Branch, CountedPage
from bot.render import branches as render
from bot.render.forms import BRANCH_CREATE
from bot.render.message import Message

SHOWN = 25


def _branch_view(item: Branch) -> render.BranchView:
    return render.BranchView(
        name=item.name,
        parent=item.parent_branch,
        production=item.production,
        ready=item.ready,
        created_at=item.created_at,
        author=item.actor.display_name if item.actor else None,
        html_url=item.html_url,
    )


async def branch_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    page = await ctx.planetscale.branches.list(org, db, page=ctx.invocation.page("page"), per_page=SHOWN)
    return branch_list_view(org, db, page, org_given=ctx.invocation.org is not None)


def branch_list_view(org: str, db: str, page: CountedPage[Branch], *, org_given: bool = False) -> Message:
    """The reply to `branch list` drawn from the page PlanetScale answered (pure: bench.reply_latency times it),
    naming the command that shows the next page, if there is one."""
    views = [_branch_view(item) for item in page.data]
    following = None
    if page.next_page is not None:
        following = f"/pscale branch list {db} --page {page.next_page}" + (f" --org {org}" if org_given else "")
    return render.branches(
        org, db, views, total=page.total_count, page=page.current_page, per_page=SHOWN, next_command=following
    )


async def branch_show(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    item = await ctx.planetscale.branches.get(org, db, ctx.invocation.text("branch"))
    return render.branch(org, db, _branch_view(item))


async def branch_create(ctx: CommandContext) -> Message | None:
    if ctx.invocation.wants_modal:
        return await forms.open_form(ctx, BRANCH_CREATE)
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    item = await ctx.planetscale.branches.create(
        org, db, ctx.invocation.text("branch"), parent_branch=ctx.invocation.option("from")
    )
    return render.created(org, db, _branch_view(item))


async def branch_delete(ctx: CommandContext) -> Message:
    # Runs only after the asker confirmed (the dispatcher asks first).
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    name = ctx.invocation.text("branch")
    descendants = ctx.invocation.flag("delete-descendants")
    await ctx.planetscale.branches.delete(org, db, name, delete_descendants=descendants or None)
    return render.deleted(db, name, with_descendants=descendants)


HANDLERS: dict[str, CommandHandler] = {
    "branch list": CommandHandler(run=branch_list),
    "branch show": CommandHandler(run=branch_show),
    "branch create": CommandHandler(run=branch_create),
    "branch delete": CommandHandler(run=branch_delete),
}
