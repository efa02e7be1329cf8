"""Slack telling us a user's tokens were revoked, the user was deactivated, or the app was uninstalled: their
PlanetScale grants are revoked and deleted, once per event even when Slack retries the delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import BOB_ACTOR, Actor, event_callback

ALICE = Actor()


async def _until(condition: Callable[[], Awaitable[bool]], *, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():
            await asyncio.sleep(0.02)


def _linked(bot: RunningBot, actor: Actor) -> Callable[[], Awaitable[bool]]:
    async def linked() -> bool:
        return await bot.call(bot.runtime.linking.has_active_grant(actor.team_id, actor.user_id))

    return linked


def _unlinked(bot: RunningBot, actor: Actor) -> Callable[[], Awaitable[bool]]:
    async def unlinked() -> bool:
        return not await _linked(bot, actor)()

    return unlinked


async def test_tokens_revoked_forgets_those_users_once(demo_bot: RunningBot) -> None:
    assert demo_bot.oauth is not None
    oauth = demo_bot.oauth
    revocations_before = oauth.counters.revocations
    event = {"type": "tokens_revoked", "tokens": {"oauth": [BOB_ACTOR.user_id], "bot": []}}
    request = event_callback(signing_secret=SIGNING_SECRET, event=event)
    assert demo_bot.post_events(request).status_code == 200
    await _until(_unlinked(demo_bot, BOB_ACTOR))

    async def both_revoked() -> bool:
        return oauth.counters.revocations == revocations_before + 2

    await _until(both_revoked)
    assert await _linked(demo_bot, ALICE)()
    # Slack retries the same delivery: acknowledged, nothing runs again.
    retry_headers = {**request.headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert demo_bot.http.post(f"{demo_bot.base_url}/slack/events", content=request.body,
                              headers=retry_headers).status_code == 200
    await asyncio.sleep(0.2)
    assert oauth.counters.revocations == revocations_before + 2


async def test_a_deactivated_user_and_an_uninstall(demo_bot: RunningBot) -> None:
    deactivated = {"type": "user_change", "user": {"id": BOB_ACTOR.user_id, "team_id": BOB_ACTOR.team_id,
                                                   "deleted": True}}
    assert demo_bot.post_events(event_callback(signing_secret=SIGNING_SECRET, event=deactivated)).status_code == 200
    await _until(_unlinked(demo_bot, BOB_ACTOR))
    assert await _linked(demo_bot, ALICE)()
    uninstalled = {"type": "app_uninstalled"}
    assert demo_bot.post_events(event_callback(signing_secret=SIGNING_SECRET, event=uninstalled)).status_code == 200
    await _until(_unlinked(demo_bot, ALICE))
