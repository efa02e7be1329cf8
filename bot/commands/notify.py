"""`/pscale notify [on|off mine | on|off reviews DB]`: what a person hears of in direct messages (bot/notify)."""

from __future__ import annotations

from bot.commands.catalog import CATALOG
from bot.commands.context import CommandContext, CommandHandler, CommandRefused
from bot.notify.service import DirectMessages
from bot.notify.store import MINE, NotificationSettings
from bot.render import notify as render
from bot.render.message import Message

# What is open when someone begins to follow a database's reviews is no news to them; this many are read then.
OPEN_AT_START = 100


def notify_handlers(settings: NotificationSettings, news: DirectMessages) -> dict[str, CommandHandler]:
    async def notify(ctx: CommandContext) -> Message:
        team_id, user_id = ctx.caller.team_id, ctx.caller.user_id
        state = ctx.invocation.optional_text("state")
        topic = ctx.invocation.optional_text("topic")
        database = ctx.invocation.optional_text("database")
        if state is None:
            current = await settings.of_user(team_id, user_id)
            return render.settings(mine=current.mine, reviews=[f"{org}/{db}" for org, db in current.reviews])
        if topic is None or (topic == MINE) != (database is None):
            wanted = "no database" if topic == MINE else "a database" if topic else "`mine` or `reviews DB`"
            usage = "\n".join(CATALOG.get("notify").usage_lines())
            raise CommandRefused(f"`notify {state}` takes {wanted}.\n{usage}")
        on = state == "on"
        if database is None:
            await settings.set_mine(team_id=team_id, user_id=user_id, on=on)
            return render.settings_changed(on=on, topic=topic, database=None)
        org = await ctx.organization()
        if on:  # only a database the asker can see (404 otherwise, naming it and the scope)
            database = (await ctx.planetscale.databases.get(org, database)).name
            page = await ctx.planetscale.deploy_requests.list(org, database, state="open", per_page=OPEN_AT_START)
            await news.already_open(
                team_id=team_id, user_id=user_id, org=org, database=database,
                numbers=[request.number for request in page.data],
            )
        await settings.set_reviews(team_id=team_id, user_id=user_id, org=org, database=database, on=on)
        return render.settings_changed(on=on, topic=topic, database=database)

    return {"notify": CommandHandler(run=notify)}
