"""A card whose redraw did not certainly reach Slack (out of reach, its answer lost, rate-limited) is drawn again
from what the bot last read, by the reconciler or the next delivery, without reading PlanetScale again.

The issue: the new state was stored as drawn before `chat.update` was sent, so when that call failed neither the
reconciler (nothing had changed) nor a delivery sent again (`updated_at` no newer) redrew it, and a settled card
kept showing the old state until someone pressed Refresh.

Then two more: a refusal Slack will repeat however often it is asked (`account_inactive`, `cannot_unfurl_url`, …) was
tried 12 times over about an hour, and a delivery redrew a card before the `Retry-After` of its rate-limited drawing
had passed."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime

import pytest

from bot.cards.store import MAX_REDRAW_FAILURES, REDRAW_RETRY_SECONDS
from bot.sandbox.planetscale import paths
from bot.sandbox.slack import ApiCall
from tests.support.bot import RunningBot
from tests.support.cards import ALICE, message, post_card, wait_card
from tests.support.slack import BOB_ACTOR, WebApiHost
from tests.support.webhooks import reconciler_passes, signed_delivery, until, watched_hook

APPROVED = f"Approved by <@{BOB_ACTOR.user_id}>"


async def _approve_as_bob(bot: RunningBot) -> None:
    """`dr review shop 1 --approve` as Bob; returns once its redraw of the card has been tried."""
    since = len(bot.slack.response_posts)
    assert bot.command("dr review shop 1 --approve", actor=BOB_ACTOR).status_code == 200
    assert "Approved" in (await bot.slack.wait_response(since=since, timeout=10)).body["text"]
    await until(lambda: bot.runtime.tasks.running == 0)


def _reads(bot: RunningBot) -> int:
    assert bot.planetscale is not None
    return len(bot.planetscale.calls("GET", paths.DEPLOY_REQUEST))


def _updates(bot: RunningBot, ts: str) -> list[ApiCall]:
    return [call for call in bot.slack.calls if call.method == "chat.update" and call.args.get("ts") == ts]


async def test_a_redraw_slack_could_not_be_reached_for_is_drawn_by_the_reconciler_without_a_read(
    apart_bot: RunningBot, web_api_host: WebApiHost
) -> None:
    card = await post_card(apart_bot, "dr post shop 1")
    with web_api_host.unreachable():
        await _approve_as_bob(apart_bot)
    assert APPROVED not in str(message(apart_bot, card.ts).blocks)  # the redraw never reached Slack
    reads = _reads(apart_bot)
    # Awaiting review, the deploy request is not read again for minutes: only the undrawn drawing brings this.
    await wait_card(apart_bot, card.ts, APPROVED, timeout=20)
    assert _reads(apart_bot) == reads


async def test_a_redraw_whose_answer_was_lost_is_drawn_once_more_then_left_alone(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    demo_bot.slack.drop_answer("chat.update")
    await _approve_as_bob(demo_bot)
    assert len(_updates(demo_bot, card.ts)) == 1  # Slack drew it, but the bot cannot know
    reads, since = _reads(demo_bot), len(demo_bot.slack.calls)
    await demo_bot.slack.wait_call(
        "chat.update", where=lambda call: call.args.get("ts") == card.ts and call.ok, since=since, timeout=20
    )
    await reconciler_passes(demo_bot, 3)  # confirmed now: no pass draws it again
    assert [APPROVED in str(call.args["blocks"]) for call in _updates(demo_bot, card.ts)] == [True, True]
    assert _reads(demo_bot) == reads


async def test_a_rate_limited_redraw_is_drawn_again_no_sooner_than_slack_asked(demo_bot: RunningBot) -> None:
    card = await post_card(demo_bot, "dr post shop 1")
    # Longer than any wait inside one call, and than the first wait after a failure that names no time.
    demo_bot.slack.rate_limit("chat.update", retry_after=8)
    await _approve_as_bob(demo_bot)
    refused = time.monotonic()  # just after Slack's refusal
    reads, since = _reads(demo_bot), len(demo_bot.slack.calls)
    await wait_card(demo_bot, card.ts, APPROVED, timeout=20, since=since)
    assert time.monotonic() - refused >= 7  # 8 s after the refusal, give or take the second the store counts in
    assert [call.ok for call in _updates(demo_bot, card.ts)] == [False, True]
    assert _reads(demo_bot) == reads


async def test_a_delivery_sent_again_draws_a_card_whose_redraw_slack_did_not_confirm(
    webhook_only_bot: RunningBot,
) -> None:
    """No reconciler here: only the delivery, no newer than what the card read, can draw it again."""
    bot = webhook_only_bot
    assert bot.planetscale is not None
    card = await post_card(bot, "dr post shop 1")
    bot.slack.drop_answer("chat.update")
    await _approve_as_bob(bot)
    url, secret = await watched_hook(bot, team_id=ALICE.team_id, org="acme", database="shop")
    reads, since = _reads(bot), len(bot.slack.calls)
    _deliver_approval(bot, url, secret)
    await bot.slack.wait_call(
        "chat.update", where=lambda call: call.args.get("ts") == card.ts and call.ok, since=since
    )
    assert _reads(bot) == reads


def _deliver_approval(bot: RunningBot, url: str, secret: str) -> None:
    """PlanetScale's webhook delivery of `shop` #1's approval, as it stands now (no newer than the card's read)."""
    assert bot.planetscale is not None
    request = bot.planetscale.world.deploy_request_for(bot.planetscale.demo.admin.id, "acme", "shop", 1)
    body = json.dumps({
        "timestamp": int(request.updated_at), "event": "deploy_request.approved", "organization": "acme",
        "database": "shop",
        "resource": {"type": "DeployRequest", "number": 1, "branch": "add-orders-index", "into_branch": "main",
                     "deployment_state": "ready",
                     "updated_at": datetime.fromtimestamp(request.updated_at, tz=UTC).isoformat()},
    }).encode()
    assert bot.http.post(url, content=body, headers=signed_delivery(secret, body)).status_code == 200


async def test_a_delivery_draws_a_rate_limited_card_no_sooner_than_slack_asked(webhook_only_bot: RunningBot) -> None:
    """Slack limits chat.update per method and workspace: a delivery's redraw sent within the `Retry-After` of the
    card's refused drawing would only be refused again. It used to go out at once."""
    bot = webhook_only_bot
    card = await post_card(bot, "dr post shop 1")
    url, secret = await watched_hook(bot, team_id=ALICE.team_id, org="acme", database="shop")
    bot.slack.rate_limit("chat.update", retry_after=8)  # longer than the client waits out within one call
    await _approve_as_bob(bot)
    refused = time.monotonic()  # just after Slack's refusal
    since = len(bot.slack.calls)
    _deliver_approval(bot, url, secret)
    await wait_card(bot, card.ts, APPROVED, timeout=20, since=since)
    assert time.monotonic() - refused >= 7  # 8 s after the refusal, give or take the second the store counts in
    assert [call.ok for call in _updates(bot, card.ts)] == [False, True]


async def _redraw_state(bot: RunningBot, ts: str) -> tuple[object, ...] | None:
    """(redraw_at, redraw_failures) of the card with message `ts`."""
    return await bot.call(
        bot.runtime.database.fetchone("SELECT redraw_at, redraw_failures FROM cards WHERE ts = ?", (ts,))
    )


@pytest.mark.parametrize("code", ["account_inactive", "no_permission"])
async def test_a_redraw_slack_refuses_for_good_is_given_up_at_once_in_one_log_line(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture, code: str
) -> None:
    """`account_inactive` (the workspace or the bot was deleted) or `no_permission` does not pass by asking again
    (https://api.slack.com/methods/chat.update#errors): the card is given up on as after its last try, where it used
    to be drawn 12 times over about an hour, each time a warning."""
    caplog.set_level(logging.INFO)
    card = await post_card(demo_bot, "dr post shop 1")
    demo_bot.slack.refuse("chat.update", code, times=MAX_REDRAW_FAILURES)  # as Slack would answer every try
    await _approve_as_bob(demo_bot)
    assert [call.error for call in _updates(demo_bot, card.ts)] == [code]
    assert await _redraw_state(demo_bot, card.ts) == (None, MAX_REDRAW_FAILURES)
    await asyncio.sleep(REDRAW_RETRY_SECONDS + 1)  # past when a failure that may pass is drawn again
    await reconciler_passes(demo_bot, 2)
    assert [call.error for call in _updates(demo_bot, card.ts)] == [code]
    told = [record for record in caplog.records if code in record.getMessage()]
    assert [record.levelno for record in told] == [logging.WARNING], [record.getMessage() for record in told]
    assert demo_bot.slack.bot_token not in caplog.text


@pytest.mark.parametrize("code", ["internal_error", "rate_limited"])
async def test_a_redraw_slack_failed_on_its_side_is_drawn_again(demo_bot: RunningBot, code: str) -> None:
    """`internal_error` is "likely due to a transient issue" on Slack's side, and `rate_limited` (chat.update's
    older spelling of `ratelimited`, with no Retry-After) passes with time: unlike a refusal for good, each is tried
    again."""
    card = await post_card(demo_bot, "dr post shop 1")
    demo_bot.slack.refuse("chat.update", code)
    await _approve_as_bob(demo_bot)
    since = len(demo_bot.slack.calls)
    await wait_card(demo_bot, card.ts, APPROVED, timeout=20, since=since)
    assert [call.error for call in _updates(demo_bot, card.ts)] == [code, None]
