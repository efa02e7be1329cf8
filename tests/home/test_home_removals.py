"""The Home lists the digests and watches its viewer set up, each with Remove, over real HTTP: a click stops it as
`/pscale digest unsubscribe` or `/pscale unwatch` typed in its channel would (the webhook deleted in PlanetScale
with the clicker's grant, the channel told, the audit written), and the Home is published again without it."""

from __future__ import annotations

import asyncio

from bot.sandbox.planetscale import paths
from tests.support.bot import RunningBot
from tests.support.cards import ALICE
from tests.support.home import button_for, click_home, home_buttons, home_text, open_home
from tests.support.replies import everything, reply
from tests.support.slack import BOB_ACTOR

DIGEST_REMOVE = "home_digest_remove"
WATCH_REMOVE = "home_watch_remove"


def notices(bot: RunningBot, contains: str) -> list[str]:
    return [m.text for m in bot.slack.messages(ALICE.channel_id) if contains in m.text]


async def test_alice_removes_her_digest_and_her_watch_from_her_home(watching_bot: RunningBot) -> None:
    bot = watching_bot
    assert bot.planetscale is not None
    shop = bot.planetscale.world.organizations["acme"].databases["shop"]
    assert "Subscribed" in everything(await reply(bot, "digest subscribe shop --at 08:30 --tz Europe/Berlin"))
    assert "Watching `shop`" in everything(await reply(bot, "watch shop"))
    assert "Subscribed" in everything(await reply(bot, "digest subscribe analytics", actor=BOB_ACTOR))
    assert len(shop.webhooks) == 1

    home = await open_home(bot, ALICE)
    text = home_text(home)
    assert f"Digest of `acme/shop` in <#{ALICE.channel_id}>, weekdays at 08:30 Europe/Berlin" in text
    assert f"Watching `acme/shop` in <#{ALICE.channel_id}>" in text
    assert "analytics" not in text.split("Your digests and watches")[1]  # Bob's, not hers
    assert len(home_buttons(home, DIGEST_REMOVE)) == 1
    assert len(home_buttons(home, WATCH_REMOVE)) == 1
    remove_digest = button_for(home, DIGEST_REMOVE, "/acme/shop")
    remove_watch = button_for(home, WATCH_REMOVE, "/acme/shop")

    after = await click_home(bot, ALICE, home, remove_digest)
    assert "Stopped this channel's digest of `shop`" in home_text(after)
    assert "Digest of `acme/shop`" not in home_text(after)
    assert "Watching `acme/shop`" in home_text(after)
    listed = everything(await reply(bot, "digest list"))
    assert "`analytics`" in listed
    assert "`shop`" not in listed
    assert len(notices(bot, "stopped this channel's digest of `shop`")) == 1

    deletes = len(bot.planetscale.calls("DELETE", paths.WEBHOOK))
    after = await click_home(bot, ALICE, after, remove_watch)
    assert "Stopped watching `shop`" in home_text(after)
    assert "Watching `acme/shop`" not in home_text(after)
    assert "You have set up no digests or watches" in home_text(after)
    assert shop.webhooks == {}  # deleted in PlanetScale, with Alice's grant
    assert len(bot.planetscale.calls("DELETE", paths.WEBHOOK)) == deletes + 1
    assert await bot.call(bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database="shop")) is None
    assert len(notices(bot, "stopped watching `shop`")) == 1

    # The stale buttons again (her Slack may still show the Home as it was): nothing happens twice, and she is told.
    again = await click_home(bot, ALICE, home, remove_digest)
    assert "You have no digest of `shop`" in home_text(again)
    assert "nothing changed" in home_text(again)
    again = await click_home(bot, ALICE, home, remove_watch)
    assert "That watch of `shop` is gone already; nothing changed." in home_text(again)
    await asyncio.sleep(0.5)
    assert len(bot.planetscale.calls("DELETE", paths.WEBHOOK)) == deletes + 1
    assert len(notices(bot, "stopped this channel's digest of `shop`")) == 1
    assert len(notices(bot, "stopped watching `shop`")) == 1

    # Audited as the typed commands are, once each.
    audit = str((await reply(bot, "audit shop"))["text"])
    assert audit.count("`digest unsubscribe` database `shop` — :white_check_mark: ok") == 1, audit
    assert audit.count("`unwatch` database `shop` — :white_check_mark: ok") == 1, audit


async def test_a_watch_made_again_since_is_not_removed_by_the_old_button(watching_bot: RunningBot) -> None:
    """The button names the watch it was drawn for: after an unwatch and a new watch of the same database, the old
    Home's Remove leaves the new one alone."""
    bot = watching_bot
    assert bot.planetscale is not None
    assert "Watching `shop`" in everything(await reply(bot, "watch shop"))
    old_home = await open_home(bot, ALICE)
    assert "Stopped watching" in everything(await reply(bot, "unwatch shop"))
    assert "Watching `shop`" in everything(await reply(bot, "watch shop"))

    again = await click_home(bot, ALICE, old_home, button_for(old_home, WATCH_REMOVE, "/acme/shop"))
    assert "is gone already; nothing changed" in home_text(again)
    assert "Watching `acme/shop`" in home_text(again)  # the new one, still listed with its own button
    assert len(bot.planetscale.world.organizations["acme"].databases["shop"].webhooks) == 1


async def test_remove_needs_a_link_as_the_typed_command_does(watching_bot: RunningBot) -> None:
    """Removing acts with the clicker's grant: after a logout, the button answers with the link prompt's words and
    PlanetScale's webhook stays."""
    bot = watching_bot
    assert bot.planetscale is not None
    assert "Watching `shop`" in everything(await reply(bot, "watch shop"))
    home = await open_home(bot, ALICE)
    await reply(bot, "logout")
    deletes = len(bot.planetscale.calls("DELETE", paths.WEBHOOK))

    after = await click_home(bot, ALICE, home, button_for(home, WATCH_REMOVE, "/acme/shop"))
    assert "Link your PlanetScale account so I can act as you" in home_text(after)  # the prompt, as the notice
    assert len(bot.planetscale.calls("DELETE", paths.WEBHOOK)) == deletes
    assert len(bot.planetscale.world.organizations["acme"].databases["shop"].webhooks) == 1
    assert await bot.call(bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database="shop"))
