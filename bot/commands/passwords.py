"""`password list DB [BRANCH]`, `password create DB BRANCH NAME [--role] [--ttl]`, `password delete DB BRANCH ID`.

A new password's secret goes from PlanetScale's answer straight into the one ephemeral reply: it is not stored,
logged, or put in anything the dispatcher records (the audit names the password, never its secret).
"""

from __future__ import annotations

from bot.commands.context import CommandContext, CommandHandler, CommandRefused
from bot.planetscale.models import Password
from bot.render import passwords as render
from bot.render.message import Message

SHOWN = 25


def _password_view(item: Password) -> render.PasswordView:
    return render.PasswordView(
        id=item.id,
        name=item.name,
        role=item.role,
        created_at=item.created_at,
        expires_at=item.expires_at,
        expired=bool(item.expired),
        last_used_at=item.last_used_at,
    )


async def password_list(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    branch = ctx.invocation.optional_text("branch")
    if branch is None:
        # PlanetScale lists passwords per branch; without one, the database's default branch is meant.
        database = await ctx.planetscale.databases.get(org, db)
        if not database.default_branch:
            raise CommandRefused(f"`{db}` has no default branch; name the branch: `/pscale password list {db} BRANCH`.")
        branch = database.default_branch
    page = await ctx.planetscale.passwords.list(org, db, branch, per_page=SHOWN)
    views = [_password_view(item) for item in page.data]
    return render.passwords(org, db, branch, views, total=page.total_count, more=page.next_page is not None)


async def password_create(ctx: CommandContext) -> Message:
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    branch = ctx.invocation.text("branch")
    role = ctx.invocation.option("role")  # the grammar's default: reader
    created = await ctx.planetscale.passwords.create(
        org, db, branch, name=ctx.invocation.text("name"), role=role, ttl_seconds=ctx.invocation.duration("ttl")
    )
    if created.plain_text is None or not created.username or not created.access_host_url:
        raise CommandRefused(
            f"PlanetScale created the password `{created.name}` (ID `{created.id}`) but did not return it. Delete it "
            f"with `/pscale password delete {db} {branch} {created.id}` and create another."
        )
    return render.new_password(
        render.NewPassword(
            database=db,
            branch=branch,
            name=created.name,
            role=created.role or role or "unknown",
            host=created.access_host_url,
            username=created.username,
            secret=created.plain_text.get_secret_value(),
            expires_at=created.expires_at,
        )
    )


async def password_delete(ctx: CommandContext) -> Message:
    # Runs only after the asker confirmed (the dispatcher asks first).
    org = await ctx.organization()
    db = ctx.invocation.text("database")
    branch = ctx.invocation.text("branch")
    password_id = ctx.invocation.text("password_id")
    await ctx.planetscale.passwords.delete(org, db, branch, password_id)
    return render.deleted(db, branch, password_id)


HANDLERS: dict[str, CommandHandler] = {
    "password list": CommandHandler(run=password_list),
    "password create": CommandHandler(run=password_create),
    "password delete": CommandHandler(run=password_delete),
}
