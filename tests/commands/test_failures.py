"""What holds for every command: usage on wrong input, a final reply when PlanetScale hangs or fails."""

from __future__ import annotations

import asyncio

from bot.sandbox.planetscale import paths
from tests.support.bot import RunningBot
from tests.support.replies import everything, reply


def test_wrong_input_gets_the_usage_in_the_ack(demo_bot: RunningBot) -> None:
    for text, usage in [
        ("branch show shop", "Usage: /pscale branch show"),
        ("branch show shop a b", "Usage: /pscale branch show"),
        ("dr show shop 0", "Usage: /pscale deploy-request show"),
        ("dr list shop --color red", "Usage: /pscale deploy-request list"),
    ]:
        body = demo_bot.command(text).json()
        assert body["response_type"] == "ephemeral"
        assert any(line.startswith(usage) for line in body["text"].splitlines()), (text, body["text"])


async def test_a_hung_planetscale_still_gets_a_final_reply_within_15_seconds(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.planetscale.world.faults.hang(method="GET", path=paths.BRANCHES, seconds=60)
    started = asyncio.get_running_loop().time()
    try:
        text = everything(await reply(demo_bot, "branch list shop", timeout=16))
    finally:
        demo_bot.planetscale.world.faults.release()
    assert asyncio.get_running_loop().time() - started < 15
    assert "did not answer in time" in text
    assert "Nothing was changed" in text


async def test_a_failed_change_says_it_may_have_happened(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.planetscale.world.faults.error(method="POST", path=paths.BRANCHES, status=500, times=1)
    text = everything(await reply(demo_bot, "branch create shop flaky"))
    assert "internal error (500)" in text
    assert "may or may not have happened" in text
    assert len(demo_bot.planetscale.calls("POST", paths.BRANCHES)) == 1  # a mutation is not retried after a 500
