"""The running bot forgets idempotency keys past any replay window, and keeps the recent ones."""

from __future__ import annotations

import time

from bot.runtime import KEEP_IDEMPOTENCY_KEYS_SECONDS
from tests.support.bot import RunningBot


def test_housekeeping_prunes_only_keys_past_the_replay_window(bot: RunningBot) -> None:
    runtime = bot.runtime
    assert bot.run(runtime.idempotency_keys.claim_once("event:recent"))
    bot.run(
        runtime.database.execute(
            "INSERT INTO idempotency_keys (key, created_at) VALUES (?, ?)",
            ("event:old", int(time.time() - KEEP_IDEMPOTENCY_KEYS_SECONDS - 60)),
        )
    )
    bot.run(runtime.housekeeping())
    assert bot.run(runtime.idempotency_keys.claim_once("event:old"))  # forgotten, so claimable again
    assert not bot.run(runtime.idempotency_keys.claim_once("event:recent"))  # still remembered
