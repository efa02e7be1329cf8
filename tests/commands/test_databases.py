"""`database list|show` and `channel db` over real HTTP against both stand-ins."""

from __future__ import annotations

from bot.sandbox.planetscale import paths
from bot.storage import ChannelPreferences
from tests.support.bot import RunningBot
from tests.support.replies import ALICE, everything, planetscale_calls, reply, usage_error


async def test_database_list_counts_truthfully_from_one_request(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    seeded = everything(await reply(demo_bot, "db ls"))
    assert "`shop`" in seeded
    assert "`analytics`" in seeded
    for index in range(30):
        demo_bot.planetscale.world.add_database("acme", f"tenant-{index:02d}")
    before = planetscale_calls(demo_bot, "GET", paths.DATABASES)
    text = everything(await reply(demo_bot, "db ls"))
    assert "Showing 25 of 32 databases" in text
    assert planetscale_calls(demo_bot, "GET", paths.DATABASES) == before + 1


async def test_database_show_and_an_unknown_database(demo_bot: RunningBot) -> None:
    shown = everything(await reply(demo_bot, "database show shop"))
    assert "acme/shop" in shown
    assert "Deploy requests need approval:* yes" in shown
    unknown = everything(await reply(demo_bot, "database show nosuchdb"))
    assert "found no database `nosuchdb`" in unknown
    assert "organization:read_databases" in unknown
    usage_error(demo_bot, "database show")
    usage_error(demo_bot, "database show shop extra")


async def test_channel_db_is_checked_stored_used_and_cleared(demo_bot: RunningBot) -> None:
    channels = ChannelPreferences(demo_bot.runtime.database)
    unknown = everything(await reply(demo_bot, "channel db nosuchdb"))
    assert "found no database `nosuchdb`" in unknown
    assert await demo_bot.call(channels.default_database(ALICE.team_id, ALICE.channel_id)) is None
    chosen = everything(await reply(demo_bot, "channel db shop"))
    assert "now uses `shop`" in chosen
    assert "may omit it" in chosen
    assert await demo_bot.call(channels.default_database(ALICE.team_id, ALICE.channel_id)) == "shop"
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list"))
    assert "no longer has a default database (it was `shop`)" in everything(await reply(demo_bot, "channel db --clear"))
    assert await demo_bot.call(channels.default_database(ALICE.team_id, ALICE.channel_id)) is None
    assert "nothing changed" in everything(await reply(demo_bot, "channel db --clear"))
    usage_error(demo_bot, "channel db")
    usage_error(demo_bot, "channel db shop --clear")
    usage_error(demo_bot, "channel db shop analytics")
