"""`watch` end to end: PlanetScale's stand-in sends its own signed deliveries as a deployment moves, and they alone
(no reconciler, no clicks) keep the deploy request's card current."""

from __future__ import annotations

from tests.support.bot import RunningBot
from tests.support.cards import post_card, thread, wait_card


async def _watch(bot: RunningBot, db: str) -> None:
    since = len(bot.slack.response_posts)
    assert bot.command(f"watch {db}").status_code == 200
    assert f"Watching `{db}`" in (await bot.slack.wait_response(since=since, timeout=10)).body["text"]


async def test_a_card_follows_its_deployment_from_webhook_deliveries_alone(webhook_only_bot: RunningBot) -> None:
    bot = webhook_only_bot
    assert bot.planetscale is not None
    assert bot.planetscale.demo is not None
    world = bot.planetscale.world
    timings = world.timings
    await _watch(bot, "shop")
    # shop #3 (drop-legacy-coupons) is approved and queued behind #2, which sits in its revert window.
    card = await post_card(bot, "dr post shop 3")
    assert "Queued for deployment" in str(card.blocks)
    assert "drops table `coupons_legacy` and every row in it" in str(card.blocks)

    # Someone skips #2's revert window in PlanetScale's web app: #3 starts. Nobody clicks anything here.
    world.skip_revert("acme", "shop", 2, actor_id=bot.planetscale.demo.admin.id)
    world.advance(timings.submit_seconds)
    card = await wait_card(bot, card.ts, "*Deploying*")
    assert "dr_cancel" in str(card.blocks)

    world.advance(timings.run_seconds + timings.cutover_seconds + timings.vschema_seconds)
    card = await wait_card(bot, card.ts, "Can be reverted until")
    assert "dr_revert" in str(card.blocks)
    assert "loses data" not in str(card.blocks)  # it is done: the warning was for before the cutover

    world.advance(timings.revert_window_seconds)
    card = await wait_card(bot, card.ts, "*Deployed*")
    assert "dr_revert" not in str(card.blocks)

    assert {"Now: Deployed; can still be reverted.", "Now: Deployed."} <= set(thread(bot, card.ts))
    sent = [(item.event, item.success) for item in bot.planetscale.webhooks.sent]
    assert ("deploy_request.in_progress", True) in sent
    assert ("deploy_request.schema_applied", True) in sent
    assert ("deploy_request.closed", True) in sent
