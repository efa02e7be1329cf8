"""Slack telling us a user's tokens were revoked, the user was deactivated, or the app was uninstalled: their
PlanetScale grants are revoked and deleted, once per event even when Slack retries the delivery."""

from __future__ import annotations

import asyncio

from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import BOB_ACTOR, Actor, event_callback

ALICE = Actor()


async def _until(condition: object, *, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_tokens_revoked_forgets_those_users_once(demo_bot: RunningBot) -> None:
    linking = demo_bot.runtime.linking
    assert demo_bot.oauth is not None
    revocations_before = demo_bot.oauth.counters.revocations
    event = {"type": "tokens_revoked", "tokens": {"oauth": [BOB_ACTOR.user_id], "bot": []}}
    request = event_callback(signing_secret=SIGNING_SECRET, event=event)
    assert demo_bot.post_events(request).status_code == 200
    await _until(lambda: not linking.has_active_grant(BOB_ACTOR.team_id, BOB_ACTOR.user_id))
    await _until(lambda: demo_bot.oauth is not None and demo_bot.oauth.counters.revocations == revocations_before + 2)
    assert linking.has_active_grant(ALICE.team_id, ALICE.user_id)
    # Slack retries the same delivery: acknowledged, nothing runs again.
    retry_headers = {**request.headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert demo_bot.http.post(f"{demo_bot.base_url}/slack/events", content=request.body,
                              headers=retry_headers).status_code == 200
    await asyncio.sleep(0.2)
    assert demo_bot.oauth.counters.revocations == revocations_before + 2


async def test_a_deactivated_user_and_an_uninstall(demo_bot: RunningBot) -> None:
    linking = demo_bot.runtime.linking
    deactivated = {"type": "user_change", "user": {"id": BOB_ACTOR.user_id, "team_id": BOB_ACTOR.team_id,
                                                   "deleted": True}}
    assert demo_bot.post_events(event_callback(signing_secret=SIGNING_SECRET, event=deactivated)).status_code == 200
    await _until(lambda: not linking.has_active_grant(BOB_ACTOR.team_id, BOB_ACTOR.user_id))
    assert linking.has_active_grant(ALICE.team_id, ALICE.user_id)
    uninstalled = {"type": "app_uninstalled"}
    assert demo_bot.post_events(event_callback(signing_secret=SIGNING_SECRET, event=uninstalled)).status_code == 200
    await _until(lambda: not linking.has_active_grant(ALICE.team_id, ALICE.user_id))
