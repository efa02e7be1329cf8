"""Do a side effect once: a Slack retry, a double click or a replayed webhook finds its key already claimed."""

from __future__ import annotations

import time

from bot.storage.database import Clock, Database


class IdempotencyKeys:
    """Keys are claimed before acting; the caller that gets False answers "already done" and does nothing."""

    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def claim_once(self, key: str) -> bool:
        """True for the first caller with this key, in any task, process or replica; False for every later one.

        One INSERT … ON CONFLICT DO NOTHING: the primary key decides the winner, no read-then-write race.
        """
        if not key:
            raise ValueError("an idempotency key must not be empty")
        changed = await self._database.execute(
            "INSERT INTO idempotency_keys (key, created_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (key, int(self._clock())),
        )
        return changed == 1

    async def release(self, key: str) -> None:
        """Give a claimed key back: what it stood for was certainly not done, so the next caller with it may do it."""
        await self._database.execute("DELETE FROM idempotency_keys WHERE key = ?", (key,))

    async def prune_older_than(self, seconds: float) -> int:
        """Delete keys claimed more than `seconds` ago (past any retry window); returns how many went."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return await self._database.execute(
            "DELETE FROM idempotency_keys WHERE created_at < ?", (int(self._clock() - seconds),)
        )
