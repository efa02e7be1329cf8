"""`watch` end to end: PlanetScale's stand-in sends its own signed deliveries as a deployment moves, and they alone
(no reconciler, no clicks) keep the deploy request's card current."""

from __future__ import annotations

import asyncio

from tests.support.bot import RunningBot
from tests.support.cards import click, post_card, thread, wait_card
from tests.support.slack import BOB_ACTOR


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
    bob = bot.planetscale.demo.second_admin.id
    await _watch(bot, "analytics")
    # analytics #3 (add-events-name-index) is queued behind #2, a gated deploy waiting to be applied.
    card = await post_card(bot, "dr post analytics 3")
    assert "Queued for deployment" in str(card.blocks)

    # Bob applies #2 in PlanetScale's web app and, once it is in, skips its revert window: #3 starts. Nobody clicks
    # anything here, and the reconciler is off.
    world.apply_deploy("acme", "analytics", 2, actor_id=bob)
    world.advance(timings.cutover_seconds + timings.vschema_seconds)
    world.skip_revert("acme", "analytics", 2, actor_id=bob)
    world.advance(timings.submit_seconds)
    card = await wait_card(bot, card.ts, "*Deploying*")
    assert "dr_cancel" in str(card.blocks)

    world.advance(timings.run_seconds + timings.cutover_seconds + timings.vschema_seconds)
    card = await wait_card(bot, card.ts, "Can be reverted until")
    assert "dr_revert" in str(card.blocks)

    world.advance(timings.revert_window_seconds)
    card = await wait_card(bot, card.ts, "*Deployed*")
    assert "dr_revert" not in str(card.blocks)

    assert {"Now: Deployed; can still be reverted.", "Now: Deployed."} <= set(thread(bot, card.ts))
    sent = [(item.event, item.success) for item in bot.planetscale.webhooks.sent]
    assert ("deploy_request.in_progress", True) in sent
    assert ("deploy_request.schema_applied", True) in sent
    assert ("deploy_request.closed", True) in sent


async def test_a_click_and_the_delivery_it_causes_leave_one_line_in_the_thread(webhook_only_bot: RunningBot) -> None:
    bot = webhook_only_bot
    await _watch(bot, "shop")
    card = await post_card(bot, "dr post shop 1")
    click(bot, card, "dr_approve", actor=BOB_ACTOR)
    card = await wait_card(bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>")
    since = len(bot.slack.calls)
    click(bot, card, "dr_deploy", actor=BOB_ACTOR)
    await wait_card(bot, card.ts, "Queued for deployment", since=since)
    assert bot.planetscale is not None
    # PlanetScale's `queued` delivery reaches the bot during the click's own redraw or after it; it is answered once
    # its handling is a tracked task, so when the sender has its answer and no task runs, it has been handled.
    for _ in range(200):
        sent = any(item.event == "deploy_request.queued" for item in bot.planetscale.webhooks.sent)
        if sent and bot.runtime.tasks.running == 0:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the queued delivery was not handled")
    notes = thread(bot, card.ts)
    assert notes == [f"Approved by <@{BOB_ACTOR.user_id}>.", f"Added to the deploy queue by <@{BOB_ACTOR.user_id}>."]
