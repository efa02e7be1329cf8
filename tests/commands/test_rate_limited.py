"""A PlanetScale 429 holds back the person whose request got it, for a minute at most, and tells them when to try
again; everyone else carries on (the issue: one `Retry-After: 3600` on Alice's read paused every user for an hour)."""

from __future__ import annotations

from bot.planetscale.pacing import MAX_PAUSE_SECONDS
from bot.sandbox.planetscale import paths
from tests.support.bot import RunningBot
from tests.support.replies import everything, planetscale_calls, reply
from tests.support.slack import BOB_ACTOR


async def test_an_hour_long_retry_after_holds_back_only_its_user_and_for_a_minute_at_most(
    demo_bot: RunningBot,
) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.planetscale.world.faults.rate_limit(method="GET", path=paths.BRANCHES, retry_after=3600, times=1)
    told = everything(await reply(demo_bot, "branch list shop --org acme"))
    assert f"try again in {MAX_PAUSE_SECONDS:.0f} s" in told, told
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list shop --org acme", actor=BOB_ACTOR))

    sent = planetscale_calls(demo_bot, "GET", paths.BRANCHES)
    again = everything(await reply(demo_bot, "branch list shop --org acme"))
    assert "rate-limiting requests; try again in" in again, again
    assert planetscale_calls(demo_bot, "GET", paths.BRANCHES) == sent  # Alice's pause runs: nothing was sent
