"""The deploy-request commands and the queue over real HTTP against both stand-ins."""

from __future__ import annotations

from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot
from tests.support.replies import ALICE, everything, reply, usage_error
from tests.support.slack import BOB_ACTOR


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


async def test_auto_apply_is_inherited_then_switched_and_a_blocked_cutover_forced(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    assert demo_bot.planetscale.demo is not None
    world = demo_bot.planetscale.world
    for branch in ("add-kind", "add-source"):
        await reply(demo_bot, f"b create analytics {branch}")
        table = f"CREATE TABLE `{branch}_t` (`id` int)"
        world.change_schema("acme", "analytics", branch, table=f"{branch}_t", ddl=table, create_sql=table)
    gated = everything(await reply(demo_bot, "dr create analytics add-kind --disable-auto-apply --auto-delete-branch"))
    assert "posted in this channel" in gated
    body = demo_bot.planetscale.calls("POST", paths.DEPLOY_REQUESTS)[-1].request_body.replace(b" ", b"")
    assert b'"auto_cutover":false' in body  # sent as false (the CLI's `omitempty` would send nothing)
    assert b'"auto_delete_branch":true' in body
    # Neither flag: PlanetScale gives it the setting of the database's previous deploy request, the gated #4.
    await reply(demo_bot, "dr create analytics add-source")
    assert b"auto_cutover" not in demo_bot.planetscale.calls("POST", paths.DEPLOY_REQUESTS)[-1].request_body
    inherited = world.deploy_request_for(demo_bot.planetscale.demo.admin.id, "acme", "analytics", 5)
    assert inherited.deployment.auto_cutover is False

    assert "Auto-apply is on for" in everything(await reply(demo_bot, "dr edit analytics 5 --enable-auto-apply"))
    assert inherited.deployment.auto_cutover is True

    # #2 waits to be applied; turning auto-apply on cuts it over, and a long transaction holds the table lock.
    switched = everything(await reply(demo_bot, "dr edit analytics 2 --enable-auto-apply"))
    assert "Now: applying" in switched
    world.block_cutover("acme", "analytics", 2)
    world.advance(3600)
    assert "Forced the cutover of" in everything(await reply(demo_bot, "dr force-cutover analytics 2"))
    world.advance(world.timings.vschema_seconds)
    refused = everything(await reply(demo_bot, "dr force-cutover analytics 2"))
    assert "in_progress_cutover" in refused  # PlanetScale takes it only while cutting over


async def test_listing_ones_own_and_those_waiting_for_ones_review(demo_bot: RunningBot) -> None:
    bobs = everything(await reply(demo_bot, "dr list shop --mine", actor=BOB_ACTOR))
    assert "Your deploy requests in acme/shop" in bobs
    assert "drop-legacy-coupons" in bobs  # shop #3, Bob's
    assert "add-orders-index" not in bobs  # Carol's
    alices_closed = everything(await reply(demo_bot, "dr list shop --mine --state closed"))
    assert "add-reviews-table" in alices_closed  # shop #5, Alice's, closed
    waiting = everything(await reply(demo_bot, "dr list shop --review"))
    assert "Waiting for your review in acme/shop" in waiting
    assert "add-orders-index" in waiting  # Carol's #1 waits for an administrator
    assert "drop-legacy-coupons" not in waiting  # approved already
    assert "Usage: /pscale deploy-request list DB" in usage_error(demo_bot, "dr list shop --mine --review")
