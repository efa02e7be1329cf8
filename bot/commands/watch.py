"""`/pscale watch DB` and `/pscale unwatch DB`: PlanetScale's deploy-request webhooks, delivered to this channel."""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
from urllib.parse import urlsplit

from bot.commands.context import CommandContext, CommandHandler, CommandRefused
from bot.planetscale import Forbidden, NotFound
from bot.ports import SLACK_CALL_FAILURES, SlackNotReached, SlackRefused
from bot.render import watch as render
from bot.render.errors import notice_unconfirmed
from bot.render.message import Message
from bot.render.mrkdwn import escape
from bot.watch.store import Watch, Watches

DEPLOY_REQUEST_EVENTS = (
    "deploy_request.opened",
    "deploy_request.queued",
    "deploy_request.in_progress",
    "deploy_request.pending_cutover",
    "deploy_request.schema_applied",
    "deploy_request.errored",
    "deploy_request.reverted",
    "deploy_request.closed",
)
WATCH_SCOPE = "organization:write_databases"


def _deliverable(public_url: str) -> bool:
    """PlanetScale delivers only to https; plain http is allowed for loopback (tests, the sandbox)."""
    parts = urlsplit(public_url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def watch_handlers(watches: Watches, *, public_url: str, scope_requested: bool) -> dict[str, CommandHandler]:
    """`scope_requested`: the bot asks for `organization:write_databases`, so a refusal means this person's link
    does not carry it (they did not grant it, or linked before it was asked for)."""

    async def watch(ctx: CommandContext) -> Message:
        if not _deliverable(public_url):
            raise CommandRefused(
                f"PlanetScale delivers webhooks only over https, and this bot's BOT_PUBLIC_URL is {public_url}. "
                "Ask whoever runs the bot to serve it over https."
            )
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        existing = await watches.of_database(team_id=ctx.caller.team_id, org=org, database=db)
        if existing is not None:
            return render.already_watched(db, channel_id=existing.channel_id)
        hook_id = secrets.token_urlsafe(24)
        try:
            created = await ctx.planetscale.webhooks.create(
                org, db, url=f"{public_url}/webhooks/planetscale/{hook_id}", events=list(DEPLOY_REQUEST_EVENTS)
            )
        except (Forbidden, NotFound) as refused:
            fix = (
                f"run `/pscale login` again and allow `{WATCH_SCOPE}` (creating webhooks) on PlanetScale's page"
                if scope_requested
                else f"ask whoever runs the bot to add `{WATCH_SCOPE}` to PLANETSCALE_SCOPES, then `/pscale login` "
                "again"
            )
            raise CommandRefused(
                f"PlanetScale would not create a webhook for `{escape(db)}` ({refused.status}). Watching needs "
                f"the `{WATCH_SCOPE}` scope and the database administrator role: {fix}."
            ) from refused
        if created.secret is None:
            raise CommandRefused("PlanetScale created the webhook but sent no signing secret; `/pscale unwatch` it.")
        watch = Watch(hook_id, ctx.caller.team_id, ctx.caller.channel_id, org, db, created.id)
        await watches.add(watch, secret=created.secret.get_secret_value(), created_by=ctx.caller.user_id)
        try:
            confirmed = await ctx.post_notice(render.watching_notice(db, user_id=ctx.caller.user_id))
        except (SlackRefused, SlackNotReached):
            # Where Slack refuses the notice it would refuse every event too: take the webhook back. One that never
            # reached Slack is taken back as well, so that "try again" is all the asker has to do. One Slack may
            # have posted stays: the channel may have been told it is watched.
            await forget(ctx, watch)
            raise
        return render.watching(db) if confirmed else notice_unconfirmed(render.watching(db))

    async def forget(ctx: CommandContext, watch: Watch) -> bool:
        """Delete the webhook and the watch; False when someone else removed the watch meanwhile."""
        with contextlib.suppress(NotFound):  # already gone in PlanetScale: forgetting it here is what is left
            await ctx.planetscale.webhooks.delete(watch.org, watch.database, watch.planetscale_webhook_id)
        return await watches.remove(watch.hook_id)

    async def unwatch(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        existing = await watches.of_database(team_id=ctx.caller.team_id, org=org, database=db)
        if existing is None:
            return render.not_watched(db)
        if not await forget(ctx, existing):
            return render.not_watched(db)  # an unwatch at the same moment (a double click) stopped it and said so
        if existing.channel_id == ctx.caller.channel_id:
            notice = render.stopped_notice(db, user_id=ctx.caller.user_id)
            with contextlib.suppress(*SLACK_CALL_FAILURES):  # stopped all the same, whether the channel hears it
                await ctx.slack.post_message(channel=ctx.caller.channel_id, message=notice)
        return render.stopped(db)

    return {"watch": CommandHandler(run=watch), "unwatch": CommandHandler(run=unwatch)}
