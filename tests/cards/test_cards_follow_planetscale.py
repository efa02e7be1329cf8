"""Cards follow changes nobody clicked: PlanetScale moving a deployment along, webhook deliveries, commands."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

from bot.cards.store import Cards
from bot.planetscale.pacing import BACKGROUND_SHARE, DEFAULT_BURST, PLANETSCALE_REQUESTS_PER_MINUTE
from bot.sandbox.slack.workspace import SlackChannel
from tests.support.bot import RunningBot
from tests.support.cards import ALICE, buttons, click, post_card, thread, wait_card
from tests.support.slack import BOB_ACTOR, Actor


async def test_a_running_deployment_redraws_its_card_without_a_click(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    world = demo_bot.planetscale.world
    card = await post_card(demo_bot, "dr post analytics 2")  # gated, waiting to be applied
    click(demo_bot, card, "dr_apply", actor=BOB_ACTOR)
    await wait_card(demo_bot, card.ts, "Applying")
    world.advance(world.timings.cutover_seconds + 1)
    # The reconciler reads a card in a running state every few seconds; nobody clicks Refresh here.
    card = await wait_card(demo_bot, card.ts, "Can be reverted until", timeout=20)
    assert "dr_revert" in buttons(card)
    assert "Now: Deployed; can still be reverted." in thread(demo_bot, card.ts)


async def test_a_webhook_delivery_redraws_the_card_instead_of_posting_a_notice(watching_bot: RunningBot) -> None:
    bot = watching_bot
    assert bot.planetscale is not None
    world = bot.planetscale.world
    since = len(bot.slack.response_posts)
    assert bot.command("watch shop").status_code == 200
    assert "Watching `shop`" in (await bot.slack.wait_response(since=since, timeout=10)).body["text"]
    watch = await bot.call(bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database="shop"))
    assert watch is not None
    found = await bot.call(bot.runtime.watches.by_hook(watch.hook_id))
    assert found is not None
    secret = found[1]
    card = await post_card(bot, "dr post shop 1")

    # Approved in PlanetScale's web app: only the webhook tells the bot.
    world.review_deploy_request("acme", "shop", 1, actor_id=bot.planetscale.demo.second_admin.id, state="approved")
    request = world.deploy_request_for(bot.planetscale.demo.admin.id, "acme", "shop", 1)
    updated_at = datetime.fromtimestamp(request.updated_at, tz=UTC).isoformat()
    payload = {
        "timestamp": int(request.updated_at), "event": "deploy_request.opened", "organization": "acme",
        "database": "shop",
        "resource": {"type": "DeployRequest", "number": 1, "branch": "add-orders-index", "into_branch": "main",
                     "deployment_state": "ready", "updated_at": updated_at},
    }
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    posts_before = len([call for call in bot.slack.calls if call.method == "chat.postMessage"])
    response = bot.http.post(f"{bot.base_url}/webhooks/planetscale/{watch.hook_id}", content=body,
                             headers={"content-type": "application/json", "x-planetscale-signature": signature})
    assert response.status_code == 200
    await wait_card(bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>")
    posts = [call for call in bot.slack.calls if call.method == "chat.postMessage"][posts_before:]
    assert posts == []  # the card shows it; no one-line notice on top


async def test_a_command_redraws_the_cards_of_the_deploy_request_it_changed(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("dr review shop 1 --approve", actor=BOB_ACTOR).status_code == 200
    assert "Approved" in (await demo_bot.slack.wait_response(since=since, timeout=10)).body["text"]
    await wait_card(demo_bot, card.ts, f"Approved by <@{BOB_ACTOR.user_id}>")


async def test_a_deleted_card_is_forgotten(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    assert demo_bot.planetscale is not None
    demo_bot.slack.workspace.delete(card)  # somebody deleted the message in Slack
    world = demo_bot.planetscale.world  # and the deploy request changes, so the card is redrawn
    world.review_deploy_request("acme", "shop", 1, actor_id=demo_bot.planetscale.demo.admin.id, state="approved")
    click(demo_bot, card, "dr_refresh", actor=BOB_ACTOR)  # e.g. a click still in flight from an open client
    await demo_bot.slack.wait_call(
        "chat.update", where=lambda call: call.args.get("ts") == card.ts and not call.ok, timeout=10
    )
    card_id = buttons(card)["dr_approve"]["value"].split(".")[0]
    for _ in range(100):  # the bot reads Slack's answer just after the stand-in recorded the call
        if await demo_bot.call(Cards(demo_bot.runtime.database).get(card_id)) is None:
            break
        await asyncio.sleep(0.05)
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, card, "dr_approve", actor=BOB_ACTOR)
    answer = await demo_bot.slack.wait_response(since=since, timeout=10)
    assert "no longer know this card" in answer.body["text"]


async def test_a_click_on_one_card_redraws_the_deploy_requests_other_cards(demo_bot: RunningBot) -> None:
    deploys = SlackChannel(id="C0DEPLOYS01", name="deploys", members={ALICE.user_id, BOB_ACTOR.user_id})
    demo_bot.slack.add_channel(deploys)
    here = await post_card(demo_bot, "dr post shop 1")
    there = await post_card(demo_bot, "dr post shop 1", actor=Actor(channel_id=deploys.id, channel_name=deploys.name))
    click(demo_bot, here, "dr_approve", actor=BOB_ACTOR)
    await wait_card(demo_bot, here.ts, f"Approved by <@{BOB_ACTOR.user_id}>")
    await wait_card(demo_bot, there.ts, f"Approved by <@{BOB_ACTOR.user_id}>", channel=deploys.id)


async def test_the_reconciler_reads_a_deploy_request_once_for_all_its_cards(webhook_only_bot: RunningBot) -> None:
    """Three channels show `shop` #1, all posted by Alice: one pass of the reconciler reads it as often as for one
    card, and redraws all three however many of them were due (PlanetScale's 600 requests a minute go per deploy
    request, not per card)."""
    bot = webhook_only_bot
    assert bot.planetscale is not None
    await post_card(bot, "dr post shop 1")
    for channel in (SlackChannel(id="C0DEPLOYS01", name="deploys", members={ALICE.user_id}),
                    SlackChannel(id="C0RELEASE01", name="releases", members={ALICE.user_id})):
        bot.slack.add_channel(channel)
        await post_card(bot, "dr post shop 1", actor=Actor(channel_id=channel.id, channel_name=channel.name))

    async def one_pass(due: int) -> int:
        """Make the first `due` cards due, run one pass; the requests it sent to PlanetScale."""
        ids = [row[0] for row in await bot.call(bot.runtime.database.fetchall(
            "SELECT card_id FROM cards ORDER BY card_id"))][:due]
        for card_id in ids:
            await bot.call(bot.runtime.database.execute(
                "UPDATE cards SET next_refresh_at = 0 WHERE card_id = ?", (card_id,)))
        await bot.call(bot.runtime.database.execute("UPDATE cards SET refreshed_at = 0"))
        before = len(bot.planetscale.calls())
        assert await bot.call(bot.runtime.cards.refresh_due()) == 1  # one deploy request read
        redrawn = await bot.call(bot.runtime.database.fetchall("SELECT card_id FROM cards WHERE refreshed_at > 0"))
        assert len(redrawn) == 3
        return len(bot.planetscale.calls()) - before

    alone = await one_pass(1)
    assert alone > 0
    assert await one_pass(3) == alone


async def test_the_reconcilers_reads_are_held_to_the_background_share(webhook_only_bot: RunningBot) -> None:
    """A command's reads spend only PlanetScale's budget; the reconciler's also spend the background share, which
    every replica takes from in the database: whatever its backlog, it leaves half the budget to commands."""
    bot = webhook_only_bot
    assert bot.planetscale is not None

    async def budgets() -> dict[str, float]:
        rows = await bot.call(bot.runtime.database.fetchall("SELECT name, tokens FROM rate_budgets"))
        return {str(name): float(tokens) for name, tokens in rows}

    await post_card(bot, "dr post shop 1")
    assert set(await budgets()) == {"planetscale"}

    await bot.call(bot.runtime.database.execute("UPDATE cards SET next_refresh_at = 0"))
    before = len(bot.planetscale.calls())
    started = time.monotonic()
    assert await bot.call(bot.runtime.cards.refresh_due()) == 1
    took = time.monotonic() - started
    read = len(bot.planetscale.calls()) - before
    assert read > 0
    share = PLANETSCALE_REQUESTS_PER_MINUTE * BACKGROUND_SHARE
    background_burst = DEFAULT_BURST * BACKGROUND_SHARE
    # Each of the pass's requests took a token, less what refilled at the share's rate while it read.
    refilled = took * (share - background_burst) / 60
    assert (await budgets())["planetscale-background"] <= background_burst - read + refilled
