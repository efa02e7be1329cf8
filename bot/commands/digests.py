"""`/pscale digest subscribe|unsubscribe|list`."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time

from bot.commands.context import CommandContext, CommandHandler
from bot.digests.schedule import Timing, next_moment
from bot.digests.store import Subscription, Subscriptions
from bot.ports import SLACK_CALL_FAILURES
from bot.render import digests as render
from bot.render.errors import notice_unconfirmed
from bot.render.message import Message

DEFAULT_AT = time(9, 0)


def digest_handlers(subscriptions: Subscriptions) -> dict[str, CommandHandler]:
    async def subscribe(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = (await ctx.planetscale.databases.get(org, ctx.invocation.text("database"))).name
        tz = ctx.invocation.option("tz") or await ctx.slack.user_time_zone(ctx.caller.user_id) or "UTC"
        timing = Timing(at=ctx.invocation.time_of_day("at") or DEFAULT_AT, tz=tz, daily=ctx.invocation.flag("daily"))
        at = timing.at.strftime("%H:%M")
        # Subscribing again replaces the channel's digest and makes it the subscriber's: it is then read with their
        # grant (which just read the database), and it is how a digest whose owner's link is gone is mended. Whose
        # it was is said to both, since the channel's digest now shows what another person's access can see.
        current = await subscriptions.get(
            team_id=ctx.caller.team_id, channel_id=ctx.caller.channel_id, org=org, database=db
        )
        replaced = None if current is None else render.Replaced(
            owner_id=current.owner_id, at=current.timing.at.strftime("%H:%M"), tz=current.timing.tz,
            daily=current.timing.daily,
        )
        notice = render.subscribed_notice(
            user_id=ctx.caller.user_id, db=db, at=at, tz=tz, daily=timing.daily,
            next_at=next_moment(timing, datetime.now(tz=UTC)), replaced=replaced,
        )
        # The notice goes first: where Slack refuses it, it would refuse the digests too, and nothing is saved (nor
        # where Slack was not reached: trying again is then all there is to do). A notice Slack may have posted may
        # have told the channel it is subscribed, so it is saved all the same.
        confirmed = await ctx.post_notice(notice)
        await subscriptions.subscribe(
            Subscription(ctx.caller.team_id, ctx.caller.channel_id, org, db, ctx.caller.user_id, timing)
        )
        reply = render.subscribed_reply(
            user_id=ctx.caller.user_id, db=db, at=at, tz=tz, daily=timing.daily, replaced=replaced
        )
        return reply if confirmed else notice_unconfirmed(reply)

    async def unsubscribe(ctx: CommandContext) -> Message:
        org = await ctx.organization()
        db = ctx.invocation.text("database")
        removed = await subscriptions.unsubscribe(
            team_id=ctx.caller.team_id, channel_id=ctx.caller.channel_id, org=org, database=db
        )
        if not removed:
            return Message(text=f"This channel has no digest of `{db}`; nothing changed.")
        notice = render.unsubscribed_notice(user_id=ctx.caller.user_id, db=db)
        with contextlib.suppress(*SLACK_CALL_FAILURES):  # stopped all the same, whether the channel hears it
            await ctx.slack.post_message(channel=ctx.caller.channel_id, message=notice)
        return Message(text=f":white_check_mark: Stopped this channel's digest of `{db}`.")

    async def listing(ctx: CommandContext) -> Message:
        items = await subscriptions.in_channel(ctx.caller.team_id, ctx.caller.channel_id)
        return render.subscriptions(
            [(item.database, item.timing.at.strftime("%H:%M"), item.timing.tz, item.timing.daily, item.owner_id)
             for item in items]
        )

    return {
        "digest subscribe": CommandHandler(run=subscribe),
        "digest unsubscribe": CommandHandler(run=unsubscribe),
        "digest list": CommandHandler(run=listing, needs_grant=False),
    }
