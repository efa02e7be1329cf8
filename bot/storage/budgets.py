"""Token buckets kept in the database, so every process on it spends one budget (docs/interface.md §7).

Slack's `chat.update` allowance is per workspace and PlanetScale's request limit is per OAuth application, not per
process: two replicas each pacing themselves to the full rate would together send twice it. A bucket is one row;
taking a token is one conditional UPDATE, which both engines run atomically (PostgreSQL locks the row, SQLite has
one writer), so concurrent takers never spend the same token. Taking one is a write before every PlanetScale
request, so it is not waited onto the disk (`durable=False`, which saves an fsync of about 4 ms a request): a power
failure (or a PostgreSQL server's crash) may lose the last tokens taken, and the budget then lets through that
many requests more in its minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from bot.storage.database import Clock, Database

log = logging.getLogger(__name__)

# Within a rounding error of a whole token counts as one: waiting 1e-17 s would not move a float clock on.
TOKEN_EPSILON = 1e-9
# Tokens as of now: the stored count plus what has refilled since, capped at the burst. A clock behind the one
# that wrote `refilled_at` (another replica's) refills nothing rather than taking tokens away.
_ATTEMPTS = 5
_REFILLED = "tokens + (CASE WHEN ? > refilled_at THEN (? - refilled_at) * ? ELSE 0 END)"


class RateBudgets:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def spend(
        self, name: str, *, per_second: float, burst: float, sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        """Wait (with `sleep`) until a token of bucket `name` is taken. If the database cannot be asked, return at
        once: a process's own pacing still holds, and a shared budget must never stop the bot."""
        while True:
            try:
                wait = await self.take(name, per_second=per_second, burst=burst)
            except Exception:
                log.warning("the shared budget %s could not be read; pacing this process alone", name, exc_info=True)
                return
            if wait <= 0:
                return
            await sleep(wait)

    async def hold(self, name: str, *, seconds: float, per_second: float) -> None:
        """Let no token of bucket `name` be taken for `seconds` (a 429's `Retry-After`): it is emptied and refills
        only from a moment chosen so its next token comes when they have passed, for whichever process asks. If the
        database cannot be asked, nothing is held: the caller's own pacing still holds the process that was told."""
        until = self._clock() + seconds - 1 / per_second
        try:
            await self._database.execute(
                "UPDATE rate_budgets SET tokens = 0,"
                " refilled_at = CASE WHEN refilled_at > ? THEN refilled_at ELSE ? END WHERE name = ?",
                (until, until, name),
                durable=False,
            )
        except Exception:
            log.warning("the shared budget %s could not be held; holding this process alone", name, exc_info=True)

    async def take(self, name: str, *, per_second: float, burst: float) -> float:
        """Take one token from bucket `name` (created full on first use). Returns 0.0 when one was taken, else the
        seconds until one will have refilled; the caller waits that long and asks again."""
        if per_second <= 0 or burst < 1:
            raise ValueError("a budget needs a positive rate and a burst of at least one")
        now = self._clock()
        refill = (now, now, per_second)
        for _ in range(_ATTEMPTS):
            taken = await self._database.execute(
                f"UPDATE rate_budgets SET tokens = (CASE WHEN {_REFILLED} > ? THEN ? ELSE {_REFILLED} END) - 1,"  # noqa: S608 - constant SQL
                " refilled_at = CASE WHEN ? > refilled_at THEN ? ELSE refilled_at END"
                f" WHERE name = ? AND {_REFILLED} >= ?",
                (*refill, float(burst), float(burst), *refill, now, now, name, *refill, 1 - TOKEN_EPSILON),
                durable=False,
            )
            if taken:
                return 0.0
            row = await self._database.fetchone(f"SELECT {_REFILLED} FROM rate_budgets WHERE name = ?", (*refill, name))  # noqa: S608 - constant SQL
            if row is None:  # first use: create it full, then take from it
                await self._database.execute(
                    "INSERT INTO rate_budgets (name, tokens, refilled_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO NOTHING",
                    (name, float(burst), now),
                    durable=False,
                )
            elif float(row[0]) < 1 - TOKEN_EPSILON:
                return (1 - float(row[0])) / per_second
            # else: created, or refilled, by another taker between our two statements: try again.
        return TOKEN_EPSILON  # pragma: no cover - only under a stampede: ask again at once
