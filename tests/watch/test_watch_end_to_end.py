"""`watch` end to end: PlanetScale's stand-in sends its own signed deliveries as a deployment moves, and they alone
(no reconciler, no clicks) keep the deploy request's card current."""

from __future__ import annotations

import asyncio

from bot.sandbox.planetscale import paths
from tests.support.bot import RunningBot
from tests.support.cards import click, post_card, thread, wait_card
from tests.support.slack import BOB_ACTOR
from tests.support.webhooks import start_watching, until


async def test_a_card_follows_its_deployment_from_webhook_deliveries_alone(webhook_only_bot: RunningBot) -> None:
    bot = webhook_only_bot
    assert bot.planetscale is not None
    assert bot.planetscale.demo is not None
    world = bot.planetscale.world
    timings = world.timings
    bob = bot.planetscale.demo.second_admin.id
    await start_watching(bot, "analytics")
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
    assert bot.planetscale is not None
    assert bot.planetscale.demo is not None
    # shop #3 is deployed first (from PlanetScale's web app), so #1 has to wait in the queue: "queued" is a move
    # worth a thread line when nobody here made it, and must not get one on top of the click that did.
    bot.planetscale.world.deploy("acme", "shop", 3, actor_id=bot.planetscale.demo.admin.id)
    await start_watching(bot, "shop")
    card = await post_card(bot, "dr post shop 1")
    click(bot, card, "dr_approve", actor=BOB_ACTOR)
    card = await wait_card(bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>")
    served = bot.planetscale
    served.world.advance(1)  # a second later: the delivery is news to the card as last drawn
    # The click's own redraw is held up reading PlanetScale, so PlanetScale's `queued` delivery arrives meanwhile:
    # the worst case for a second "Now: …" line.
    served.world.faults.hang(method="GET", path=paths.DEPLOY_REQUEST, seconds=10, times=1)
    reads = len(served.calls("GET", paths.DEPLOY_REQUEST))
    since = len(bot.slack.calls)
    click(bot, card, "dr_deploy", actor=BOB_ACTOR)
    try:
        await until(lambda: any(item.event == "deploy_request.queued" for item in served.webhooks.sent))
        # A redraw for the delivery, were it allowed to run beside the click's, would read PlanetScale now.
        for _ in range(40):
            if len(served.calls("GET", paths.DEPLOY_REQUEST)) >= reads + 2:
                break
            await asyncio.sleep(0.05)
    finally:
        served.world.faults.release()
    await wait_card(bot, card.ts, "Queued for deployment", since=since)
    # The delivery's handling is a tracked task: once none runs, it has been handled.
    await until(lambda: bot.runtime.tasks.running == 0)
    notes = thread(bot, card.ts)
    assert notes == [f"Approved by <@{BOB_ACTOR.user_id}>.", f"Added to the deploy queue by <@{BOB_ACTOR.user_id}>."]
