"""Organizations, databases, branches, passwords and the deploy queue: parse → PlanetScale as the asker → render.

Lists read one page (what is shown) and report PlanetScale's total, so a 1,000-branch database costs one request.
"""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler, open_create_modal
from bot.planetscale.models import Branch, Database, Password
from bot.render import resources as render
from bot.render.message import Message
from bot.render.modals import BRANCH_CREATE

SHOWN = 25


def _database_view(item: Database) -> render.DatabaseView:
    return render.DatabaseView(
        name=item.name,
        state=item.state,
        kind=item.kind,
        region=item.region.display_name or item.region.slug if item.region else None,
        default_branch=item.default_branch,
        require_approval=item.require_approval_for_deploy,
        branches=item.branches_count,
        html_url=item.html_url,
    )


def _branch_view(item: Branch) -> render.BranchView:
    return render.BranchView(
        name=item.name,
        parent=item.parent_branch,
        production=item.production,
        state=item.state,
        created_at=item.created_at,
        author=item.actor.display_name if item.actor else None,
        html_url=item.html_url,
    )


def _password_view(item: Password) -> render.PasswordView:
    return render.PasswordView(
        id=item.id,
        name=item.name,
        role=item.role,
        branch=item.database_branch.name if item.database_branch else None,
        created_at=item.created_at,
        expires_at=item.expires_at,
    )


async def org_list(ctx: CommandContext) -> Message:
    page = await ctx.planetscale.organizations.list(per_page=100)
    default = ctx.user_preferences.default_org(ctx.caller.team_id, ctx.caller.user_id)
    return render.organizations([item.name for item in page.data], default=default)


async def org_switch(ctx: CommandContext) -> Message:
    organization = await ctx.planetscale.organizations.get(ctx.invocation.text("org"))  # 404 if not theirs
    ctx.user_preferences.set_default_org(
        team_id=ctx.caller.team_id, user_id=ctx.caller.user_id, org=organization.name
    )
    return render.org_switched(organization.name)


async def org_show(ctx: CommandContext) -> Message:
    name = ctx.invocation.optional_text("org") or await ctx.organization()
    item = await ctx.planetscale.organizations.get(name)
    default = ctx.user_preferences.default_org(ctx.caller.team_id, ctx.caller.user_id)
    return render.organization(
        item.name, plan=item.plan, databases=item.database_count, is_default=default == item.name
    )


async def channel_db(ctx: CommandContext) -> Message:
    team, channel = ctx.caller.team_id, ctx.caller.channel_id
    if ctx.invocation.flag("clear"):
        return render.channel_database_cleared(ctx.channel_preferences.clear_default_database(team, channel))
    name = ctx.invocation.optional_text("database")
    if name is None:
        current = ctx.channel_preferences.default_database(team, channel)
        return Message(text=f"This channel's default database is `{current}`." if current else
                       "This channel has no default database. Set one with `/pscale channel db DB`.")
    database = await ctx.planetscale.databases.get(await ctx.organization(), name)  # it must exist for the asker
    ctx.channel_preferences.set_default_database(team_id=team, channel_id=channel, database_name=database.name)
    return render.channel_database_set(database.name)


async def audit(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    await ctx.planetscale.databases.get(org, db)  # only someone who can read the database sees its audit
    entries = ctx.audit.recent(team_id=ctx.caller.team_id, organization=org, database=db)
    views = [
        render.AuditView(at=entry.at, user_id=entry.user_id, action=entry.action, target=entry.target,
                         result=entry.result)
        for entry in entries
    ]
    return render.audit(org, db, views)


async def database_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    page = await ctx.planetscale.databases.list(org, per_page=SHOWN)
    return render.databases(org, [_database_view(item) for item in page.data], total=page.total_count)


async def database_show(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    item = await ctx.planetscale.databases.get(org, ctx.invocation.text("database"))
    return render.database(org, _database_view(item))


async def branch_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    page = await ctx.planetscale.branches.list(org, db, per_page=SHOWN)
    return render.branches(org, db, [_branch_view(item) for item in page.data], total=page.total_count)


async def branch_show(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    item = await ctx.planetscale.branches.get(org, db, ctx.invocation.text("branch"))
    return render.branch(org, db, _branch_view(item))


async def branch_create(ctx: CommandContext) -> Message | None:
    if ctx.invocation.wants_modal:
        return await open_create_modal(ctx, BRANCH_CREATE)
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    item = await ctx.planetscale.branches.create(
        org, db, ctx.invocation.text("branch"), parent_branch=ctx.invocation.option("from")
    )
    return render.branch_created(org, db, _branch_view(item))


async def branch_delete(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    name = ctx.invocation.text("branch")
    await ctx.planetscale.branches.delete(org, db, name)
    return render.branch_deleted(db, name)


async def password_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    branch = ctx.invocation.optional_text("branch")
    if branch is None:
        database = await ctx.planetscale.databases.get(org, db)
        branch = database.default_branch or "main"
    page = await ctx.planetscale.passwords.list(org, db, branch, per_page=SHOWN)
    return render.passwords(org, db, [_password_view(item) for item in page.data], total=page.total_count)


async def password_create(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    branch = ctx.invocation.text("branch")
    role = ctx.invocation.option("role") or "reader"
    created = await ctx.planetscale.passwords.create(
        org, db, branch, name=ctx.invocation.text("name"), role=role, ttl_seconds=ctx.invocation.duration("ttl")
    )
    if created.plain_text is None or not created.username or not created.access_host_url:
        return Message(text=":warning: PlanetScale created the password but did not return it. Delete it and retry.")
    return render.new_password(
        render.NewPassword(
            database=db,
            branch=branch,
            name=created.name,
            role=created.role or role,
            host=created.access_host_url,
            username=created.username,
            secret=created.plain_text.get_secret_value(),
            expires_at=created.expires_at,
        )
    )


async def password_delete(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    branch = ctx.invocation.text("branch")
    password_id = ctx.invocation.text("password_id")
    await ctx.planetscale.passwords.delete(org, db, branch, password_id)
    return render.password_deleted(db, branch, password_id)


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


HANDLERS: dict[str, CommandHandler] = {
    "org list": CommandHandler(run=org_list),
    "org switch": CommandHandler(run=org_switch),
    "org show": CommandHandler(run=org_show),
    "channel db": CommandHandler(run=channel_db),
    "audit": CommandHandler(run=audit),
    "database list": CommandHandler(run=database_list),
    "database show": CommandHandler(run=database_show),
    "branch list": CommandHandler(run=branch_list),
    "branch show": CommandHandler(run=branch_show),
    "branch create": CommandHandler(run=branch_create),
    "branch delete": CommandHandler(run=branch_delete),
    "password list": CommandHandler(run=password_list),
    "password create": CommandHandler(run=password_create),
    "password delete": CommandHandler(run=password_delete),
    "queue": CommandHandler(run=queue),
}
