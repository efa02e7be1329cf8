"""Direct messages over real HTTP: the author of a deploy request hears once of each thing that happens to it,
however many times the bot sees it happen (a webhook delivery, the reconciler, a click), and after a restart."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import pytest

from bot.sandbox.planetscale import paths
from tests.support.bot import RunningBot
from tests.support.cards import ALICE, click, post_card, wait_card
from tests.support.home import direct_messages, wait_direct_message
from tests.support.replies import everything, reply
from tests.support.slack import BOB_ACTOR
from tests.support.webhooks import reconciler_passes, signed_delivery, start_watching, until

Restartable = Callable[[], AbstractContextManager[RunningBot]]


def _told_bob(bot: RunningBot, about: str) -> int:
    return sum(about in message.text for message in direct_messages(bot, BOB_ACTOR.user_id))


async def _settled(bot: RunningBot) -> None:
    """Every delivery handled and two more reconciler passes made (the first may have begun before): whatever else
    would be sent has been."""
    await until(lambda: bot.runtime.tasks.running == 0)
    await reconciler_passes(bot, 2)
    await until(lambda: bot.runtime.tasks.running == 0)


async def test_deploying_tells_the_author_once_per_change_by_webhook_and_reconciler_and_after_a_restart(
    restartable_bot: Restartable,
) -> None:
    with restartable_bot() as bot:
        assert bot.planetscale is not None
        assert bot.planetscale.demo is not None
        world = bot.planetscale.world
        timings = world.timings
        bob = bot.planetscale.demo.second_admin
        number = world.create_deploy_request("acme", "shop", actor_id=bob.id, branch="add-wishlist").number
        card = await post_card(bot, f"dr post shop {number}", actor=BOB_ACTOR)
        await start_watching(bot, "shop")  # webhook deliveries, and the reconciler too (both on)

        click(bot, card, "dr_approve", actor=ALICE)
        card = await wait_card(bot, card.ts, f"Approved by <@{ALICE.user_id}>")
        await wait_direct_message(bot, BOB_ACTOR.user_id, f"was approved by <@{ALICE.user_id}>")
        click(bot, card, "dr_deploy", actor=ALICE)
        await wait_card(bot, card.ts, "Starting the deployment")

        world.advance(timings.submit_seconds + timings.run_seconds + timings.cutover_seconds + timings.vschema_seconds)
        await wait_direct_message(bot, BOB_ACTOR.user_id, "is deployed; it can be reverted until")
        await until(lambda: any(s.event == "deploy_request.schema_applied" and s.success
                                for s in bot.planetscale.webhooks.sent))  # type: ignore[union-attr]
        await wait_card(bot, card.ts, "Can be reverted until")
        world.advance(timings.revert_window_seconds)
        await wait_direct_message(bot, BOB_ACTOR.user_id, "revert window")
        await _settled(bot)
        assert _told_bob(bot, "approved by") == 1
        assert _told_bob(bot, "is deployed") == 1  # seen by its delivery and by the card's redraws
        assert _told_bob(bot, "revert window") == 1
        assert _told_bob(bot, "queue") == 0  # being queued is no news
        watch = await bot.call(bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database="shop"))
        assert watch is not None
        found = await bot.call(bot.runtime.watches.by_hook(watch.hook_id))
        assert found is not None
        secret = found[1]
        async with bot.planetscale.client(bot.planetscale.token(bob)) as planetscale:
            path = paths.DEPLOY_REQUEST.format(organization="acme", database="shop", number=number)
            resource = (await planetscale.get(path.removeprefix("/"))).json()
        told = len(direct_messages(bot, BOB_ACTOR.user_id))

    with restartable_bot() as restarted:
        # PlanetScale says again that it was deployed and then closed, as news (a later `updated_at`), to the
        # bot started anew: nothing more reaches Bob.
        for event in ("deploy_request.schema_applied", "deploy_request.closed"):
            later = {**resource, "updated_at": datetime.now(UTC).isoformat(), "type": "DeployRequest"}
            payload = {"event": event, "organization": "acme", "database": "shop", "resource": later}
            body = json.dumps(payload).encode()
            headers = signed_delivery(secret, body)
            url = f"{restarted.base_url}/webhooks/planetscale/{watch.hook_id}"
            assert restarted.http.post(url, content=body, headers=headers).status_code == 200
        await _settled(restarted)
        assert len(direct_messages(restarted, BOB_ACTOR.user_id)) == told


async def test_a_direct_message_whose_answer_was_lost_is_not_sent_again(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: Slack delivered the message, then the connection broke before its answer came; the bot gave the
    message's claim back as if nothing had been sent, and its next pass sent the same message again."""
    assert demo_bot.planetscale is not None
    assert demo_bot.planetscale.demo is not None
    bob = demo_bot.planetscale.demo.second_admin
    demo_bot.runtime.review_pass_seconds = 0.5  # each reconciler pass looks for new deploy requests
    assert "new deploy requests in `shop`" in everything(await reply(demo_bot, "notify on reviews shop", actor=ALICE))
    demo_bot.slack.drop_answer("chat.postMessage")
    with caplog.at_level(logging.WARNING, logger="bot.notify.service"):
        number = demo_bot.planetscale.world.create_deploy_request(
            "acme", "shop", actor_id=bob.id, branch="add-wishlist"
        ).number
        await wait_direct_message(demo_bot, ALICE.user_id, f"shop #{number}")
        await _settled(demo_bot)  # passes enough to send it again
    assert sum(f"shop #{number}" in message.text for message in direct_messages(demo_bot, ALICE.user_id)) == 1
    [warning] = [record.getMessage() for record in caplog.records]
    assert warning.startswith(
        f"direct message to {ALICE.user_id} about shop #{number} (opened) counted as sent, since the connection to"
        " Slack broke after the request was sent (Slack chat.postMessage: "
    )
