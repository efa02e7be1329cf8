"""The deploy-request commands and the queue over real HTTP against both stand-ins."""

from __future__ import annotations

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot
from tests.support.replies import ALICE, everything, reply


async def test_deploy_request_reads_and_the_queue(demo_bot: RunningBot) -> None:
    assert "add-orders-index" in everything(await reply(demo_bot, "dr list shop"))
    assert "#1" in everything(await reply(demo_bot, "dr show shop add-orders-index"))
    assert "no open deploy request for branch `no-such-branch`" in everything(
        await reply(demo_bot, "dr deploy shop no-such-branch")
    )
    assert "queue" in everything(await reply(demo_bot, "queue shop")).lower()


async def test_planetscale_rules_come_back_in_its_words(demo_bot: RunningBot) -> None:
    # analytics #3 was opened by Alice: she may not approve it herself.
    refused = everything(await reply(demo_bot, "dr approve analytics 3"))
    assert "PlanetScale refused" in refused
    assert "own" in refused
    # Carol's #1 needs an approval before it can deploy; Alice approves, then deploys it.
    approved = everything(await reply(demo_bot, "dr review shop 1 --approve --comment lgtm"))
    assert "Approved" in approved
    deployed = everything(await reply(demo_bot, "dr deploy shop 1"))
    assert "Now: starting the deployment" in deployed  # nothing ahead of it in shop's queue


async def test_deploy_request_create_posts_in_the_channel(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    assert demo_bot.planetscale is not None
    await reply(demo_bot, "branch create shop add-column")
    created = everything(await reply(demo_bot, 'dr create shop add-column --notes "adds a column"'))
    assert "posted in this channel" in created
    posted = [m for m in slack_standin.messages(ALICE.channel_id) if "add-column" in m.text and m.visible_to is None]
    assert len(posted) == 1


async def test_dr_diff_and_post(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    diff = everything(await reply(demo_bot, "dr diff shop 1"))
    assert "orders" in diff
    assert "```" in diff
    assert "Posted" in everything(await reply(demo_bot, "dr post shop 1"))
    in_channel = [message for message in slack_standin.messages(ALICE.channel_id) if message.visible_to is None]
    assert any("#1" in message.text for message in in_channel)
