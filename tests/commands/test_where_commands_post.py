"""Commands that post (`dr post`, `dr create`, `digest subscribe`, `watch`) where the bot may and may not post.

The Slack stand-in holds the manifest's scopes only and answers as Slack does: a public channel the bot was not
invited to takes posts (`chat:write.public`); a private channel the bot is in too; a private channel it is not in,
or a direct message between people, says `channel_not_found`. The person is then told why and what to do, and
nothing is left half done.
"""

from __future__ import annotations

import pytest

from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackChannel, SlackStandIn
from tests.support.bot import RunningBot
from tests.support.replies import ALICE, everything, reply
from tests.support.slack import Actor

PUBLIC_NOT_IN = SlackChannel(id="C0PUBLIC001", name="releases", bot_is_member=False, members={ALICE.user_id})
PRIVATE_IN = SlackChannel(id="C0PRIVIN001", name="dba", is_private=True, members={ALICE.user_id})
PRIVATE_NOT_IN = SlackChannel(id="C0PRIVOUT01", name="secret", is_private=True, bot_is_member=False,
                              members={ALICE.user_id})
PEOPLES_DM = SlackChannel(id="D0ALICEBOB1", name="alice-bob", is_im=True, bot_is_member=False,
                          members={ALICE.user_id, "U0BOB000001"})
CAN_POST = [PUBLIC_NOT_IN, PRIVATE_IN]
CANNOT_POST = [PRIVATE_NOT_IN, PEOPLES_DM]


def in_(channel: SlackChannel) -> Actor:
    return Actor(channel_id=channel.id, channel_name=channel.name)


def visible_posts(slack: SlackStandIn, channel: SlackChannel) -> list[str]:
    return [message.text for message in slack.messages(channel.id) if message.visible_to is None]


@pytest.fixture
def bot(watching_bot: RunningBot, slack_standin: SlackStandIn) -> RunningBot:
    for channel in [*CAN_POST, *CANNOT_POST]:
        slack_standin.add_channel(SlackChannel(**{**vars(channel), "members": set(channel.members)}))
    assert watching_bot.planetscale is not None
    for channel in [*CAN_POST, *CANNOT_POST]:  # `watch` takes one database per channel: one each
        watching_bot.planetscale.world.add_database("acme", f"db-{channel.name}")
    return watching_bot


@pytest.mark.parametrize("channel", CAN_POST, ids=lambda channel: channel.name)
async def test_dr_post_and_dr_create_post_their_card(bot: RunningBot, channel: SlackChannel) -> None:
    assert "Posted" in everything(await reply(bot, "dr post shop 1", actor=in_(channel)))
    await reply(bot, f"branch create shop from-{channel.name}", actor=in_(channel))
    created = everything(await reply(bot, f"dr create shop from-{channel.name}", actor=in_(channel)))
    assert "posted in this channel" in created
    posts = visible_posts(bot.slack, channel)
    assert any("#1" in text for text in posts)
    assert any(f"from-{channel.name}" in text for text in posts)


@pytest.mark.parametrize("channel", CAN_POST, ids=lambda channel: channel.name)
async def test_digest_subscribe_and_watch_post_their_notice(bot: RunningBot, channel: SlackChannel) -> None:
    assert "Subscribed" in everything(await reply(bot, "digest subscribe shop", actor=in_(channel)))
    assert "Watching" in everything(await reply(bot, f"watch db-{channel.name}", actor=in_(channel)))
    posts = visible_posts(bot.slack, channel)
    assert any("subscribed this channel" in text for text in posts)
    assert any("is watching" in text for text in posts)


@pytest.mark.parametrize("channel", CANNOT_POST, ids=lambda channel: channel.name)
async def test_where_the_bot_cannot_post_each_command_says_why_and_leaves_nothing_half_done(
    bot: RunningBot, channel: SlackChannel
) -> None:
    assert bot.planetscale is not None
    where = in_(channel)
    for command in ("dr post shop 1", "digest subscribe shop", f"watch db-{channel.name}"):
        said = everything(await reply(bot, command, actor=where))
        assert "/invite @pscale" in said, (command, said)
        assert "went wrong" not in said.lower()
    await reply(bot, f"branch create shop from-{channel.name}", actor=where)
    created = everything(await reply(bot, f"dr create shop from-{channel.name}", actor=where))
    assert "/invite @pscale" in created
    assert "/pscale dr post shop" in created  # the deploy request exists: how to post its card once invited

    assert visible_posts(bot.slack, channel) == []
    assert "has no digests" in everything(await reply(bot, "digest list", actor=where))
    watched = bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database=f"db-{channel.name}")
    assert await bot.call(watched) is None
    created_hooks = len(bot.planetscale.calls("POST", paths.WEBHOOKS))
    deleted_hooks = len(bot.planetscale.calls("DELETE", paths.WEBHOOK))
    assert created_hooks == deleted_hooks  # a webhook made before the post was refused is taken back
