"""Commands that post (`dr post`, `dr create`, `digest subscribe`, `watch`) where the bot may and may not post, and
when Slack's Web API cannot be reached or does not answer.

The Slack stand-in holds the manifest's scopes only and answers as Slack does: a public channel the bot was not
invited to takes posts (`chat:write.public`); a private channel the bot is in too; a private channel it is not in,
or a direct message between people, says `channel_not_found`. The person is then told why and what to do, and
nothing is left half done. (`dr post` and `dr create` with Slack out of reach: tests/cards/test_cards.py.)
"""

from __future__ import annotations

import logging

import pytest

from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackChannel, SlackStandIn
from tests.support.bot import SLOW_SLACK, RunningBot
from tests.support.replies import ALICE, everything, planetscale_calls, reply, tracebacks, validate_blocks
from tests.support.slack import Actor, WebApiHost

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


def notices(bot: RunningBot) -> list[str]:
    """What the bot posted in Alice's channel for everyone to see."""
    return [m.text for m in bot.slack.messages(ALICE.channel_id) if m.visible_to is None and m.bot_id]


async def test_where_slack_cannot_be_reached_subscribe_and_watch_say_to_try_again_and_stopping_still_stops(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: with Slack's Web API out of reach (every connection refused), `digest subscribe` and `watch` were
    answered "Something went wrong on our side", with a traceback; `watch` kept the webhook it had made, so trying
    again said `shop` was already watched, though the channel had never been told. Stopping said the same, though
    it had stopped."""
    caplog.set_level(logging.INFO)
    bot = apart_bot
    with web_api_host.unreachable():
        for command in ("digest subscribe shop", "watch shop"):
            said = everything(await reply(bot, command))
            assert "Slack could not be reached, so that was not done" in said, (command, said)
    assert planetscale_calls(bot, "POST", paths.WEBHOOKS) == planetscale_calls(bot, "DELETE", paths.WEBHOOK) == 1
    assert "no digests" in everything(await reply(bot, "digest list"))
    assert notices(bot) == []

    # Slack is back: trying again is all it takes.
    assert "Subscribed" in everything(await reply(bot, "digest subscribe shop"))
    assert "Watching `shop`" in everything(await reply(bot, "watch shop"))
    assert len(notices(bot)) == 2

    with web_api_host.unreachable():
        assert "Stopped this channel's digest" in everything(await reply(bot, "digest unsubscribe shop"))
        assert "Stopped watching" in everything(await reply(bot, "unwatch shop"))
    assert "no digests" in everything(await reply(bot, "digest list"))
    assert await bot.call(bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database="shop")) is None
    assert tracebacks(caplog) == []


@SLOW_SLACK
@pytest.mark.parametrize("answer", ["lost", "too late"])
async def test_a_notice_slack_did_not_confirm_is_told_as_such_and_what_it_announced_stands(
    watching_bot: RunningBot, answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: Slack posted the notice, but the connection broke before its answer came (or the answer came after
    the bot stopped waiting): `digest subscribe` saved nothing though the channel had been told it was subscribed,
    and both it and `watch` answered "Something went wrong" (or "That took longer than 14 seconds")."""
    caplog.set_level(logging.INFO)
    bot = watching_bot
    slack_api_timeout = bot.runtime.settings.slack_api_timeout
    if answer == "lost":
        bot.slack.drop_answer("chat.postMessage", times=2)
    else:
        bot.slack.answer_late("chat.postMessage", seconds=slack_api_timeout + 2, times=2)
    # Both at once: each waits out the Web API client's timeout, which need not be waited out twice over.
    since = len(bot.slack.response_posts)
    for command in ("digest subscribe shop", "watch shop"):
        assert not bot.command(command).content  # answered through response_url
    told = {}
    for command, words in (("digest subscribe shop", "Subscribed"), ("watch shop", "Watching `shop`")):
        post = await bot.slack.wait_response(
            where=lambda post, words=words: words in everything(post.body or {}), since=since,
            timeout=slack_api_timeout + 5,
        )
        assert post.body is not None
        validate_blocks(post.body.get("blocks", []))
        told[command] = everything(post.body)
        assert "Slack did not confirm that it posted the notice in this channel" in told[command], told
    assert "Subscribed" in told["digest subscribe shop"]
    assert "Watching `shop`" in told["watch shop"]
    assert "`shop`: weekdays" in everything(await reply(bot, "digest list"))
    assert await bot.call(bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database="shop"))
    assert len(notices(bot)) == 2  # each posted once, as the channel shows
    assert tracebacks(caplog) == []
