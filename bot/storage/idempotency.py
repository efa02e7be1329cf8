"""Do a side effect once: a Slack retry, a double click or a replayed webhook finds its key already claimed."""

from __future__ import annotations

import sqlite3
import time

from bot.storage.database import Clock, Database


class IdempotencyKeys:
    """Keys are claimed before acting; the caller that gets False answers "already done" and does nothing."""

    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    def claim_once(self, key: str) -> bool:
        """True for the first caller with this key, in any thread or process; False for every later one.

        One INSERT … ON CONFLICT DO NOTHING: the primary key decides the winner, no read-then-write race.
        """
        if not key:
            raise ValueError("an idempotency key must not be empty")
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "INSERT INTO idempotency_keys (key, created_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, int(self._clock())),
            )
        return cursor.rowcount == 1

    def prune_older_than(self, seconds: float) -> int:
        """Delete keys claimed more than `seconds` ago (past any retry window); returns how many went."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?", (int(self._clock() - seconds),)
            )
        return cursor.rowcount
