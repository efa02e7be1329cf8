"""Client-side pacing: the whole process stays under PlanetScale's 600 requests/minute, fairly across users.

PlanetScale's limit is assumed to be shared by every user of the bot (one OAuth application), so one `Pacer`
serves the whole process. It is a token bucket: `burst` requests may go at once, then tokens refill steadily.
The refill rate is `(requests_per_minute - burst) / 60` per second, so even a full burst followed by a minute of
steady sending stays within `requests_per_minute` in any 60-second window.

When requests must wait, each user (the key passed to `acquire`) has a queue and the queues are served
round-robin, one request per turn: a digest reading 300 pages for one user delays another user's single command
by at most one turn per waiting user, not by 300 requests. A 429 from PlanetScale pauses only the user whose request
got it (`pause`), for at most `MAX_PAUSE_SECONDS`: one `Retry-After: 3600` on Alice's read must not stop Bob, nor
Alice for an hour. The shared bucket below is what keeps everyone together under the limit.

Replicas (and a cron `pscale-bot digest`) share PlanetScale's limit too: given a `SharedBudget` (the storage's
`RateBudgets`), every request also takes a token from one bucket in the database, so together they stay under it.
The local bucket still orders requests fairly within this process; the shared one only ever makes them wait longer.
If the database cannot be asked, the request goes ahead on the local bucket alone: pacing must never stop the bot.

Background reads (the reconciler keeping cards current, and its look for new deploy requests) are asked for with
`background=True` and take a token from a second, smaller bucket first: `BACKGROUND_SHARE` of the rate and of the
burst, shared across replicas in the database under its own name. Whatever the backlog (an outage, a thousand cards
falling due at once), the reconciler then spends at most half of the 600 a minute and people's commands always have
the other half. A fixed share rather than "background goes when nobody waits": the local bucket cannot see what
other replicas' commands are about to ask of the shared one, and a request already queued cannot be taken back, so
a work-conserving rule would still let a catch-up fill the queue just before a command arrives. Half is more than
the reconciler needs once caught up (bench/reconciler_scale.py: 200 deploy requests awaiting review cost 160
requests a minute), so it falls behind only while it catches up, after an outage or a burst of new cards.

A Pacer belongs to one event loop; clock and sleep are injectable so tests run on simulated time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Protocol

__all__ = [
    "BACKGROUND_SHARE",
    "DEFAULT_BURST",
    "MAX_PAUSE_SECONDS",
    "PLANETSCALE_REQUESTS_PER_MINUTE",
    "Pacer",
    "SharedBudget",
]

PLANETSCALE_REQUESTS_PER_MINUTE = 600  # docs/reference/planetscale-api.md §4
DEFAULT_BURST = 20
TOKEN_EPSILON = 1e-9
SHARED_BUDGET = "planetscale"
# The part of the rate and burst background reads may use, across replicas (module docstring).
BACKGROUND_SHARE = 0.5
BACKGROUND_BUDGET = "planetscale-background"
# The longest a 429 holds its user back, whatever `Retry-After` asked: PlanetScale's limit is per minute.
MAX_PAUSE_SECONDS = 60.0


class SharedBudget(Protocol):
    """A token bucket every process shares (the storage's `RateBudgets`): `spend` returns once a token is taken,
    or at once if the bucket cannot be read."""

    async def spend(
        self, name: str, *, per_second: float, burst: float, sleep: Callable[[float], Awaitable[None]]
    ) -> None: ...


class Pacer:
    def __init__(
        self,
        *,
        requests_per_minute: int = PLANETSCALE_REQUESTS_PER_MINUTE,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        shared: SharedBudget | None = None,
        background_share: float | None = BACKGROUND_SHARE,
        budget_name: str = SHARED_BUDGET,
    ) -> None:
        """`background_share`: the part of the rate and burst `acquire(..., background=True)` may use (None: no
        limit of its own); `budget_name`: this bucket's name in `shared`."""
        if not 1 <= burst < requests_per_minute:
            raise ValueError("burst must be at least 1 and below requests_per_minute")
        self._rate = (requests_per_minute - burst) / 60.0  # tokens per second
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._refilled_at = clock()
        self._paused_until: dict[Hashable, float] = {}
        self._queues: dict[Hashable, deque[asyncio.Future[None]]] = {}
        self._turns: deque[Hashable] = deque()  # keys with waiters, in round-robin order
        self._dispatcher: asyncio.Task[None] | None = None
        # The dispatcher while it sleeps only because every waiting user is paused: a user who is not paused
        # arriving then must not wait out someone else's pause.
        self._holding_for_pauses: asyncio.Task[None] | None = None
        self._shared = shared
        self._budget_name = budget_name
        self._background: Pacer | None = None
        if background_share is not None:
            background_burst = max(1, int(burst * background_share))
            self._background = Pacer(
                requests_per_minute=max(background_burst + 1, int(requests_per_minute * background_share)),
                burst=background_burst, clock=clock, sleep=sleep, shared=shared, background_share=None,
                budget_name=BACKGROUND_BUDGET,
            )

    @property
    def waiting(self) -> int:
        """Requests waiting for a turn (including ones whose callers gave up and are not yet swept)."""
        return sum(len(queue) for queue in self._queues.values())

    async def acquire(self, key: Hashable, *, background: bool = False) -> None:
        """Wait until `key` may send one request; a `background` one first waits for a token of the background
        share. Cancelling the wait gives the turn to the next request."""
        if background and self._background is not None:
            await self._background.acquire(key)
        if not self._turns and self._wait_seconds() == 0 and self.paused_for(key) == 0:
            self._tokens -= 1
            await self._take_shared()
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            self._turns.append(key)
        queue.append(future)
        if self._dispatcher is not None and self._dispatcher is self._holding_for_pauses and not self.paused_for(key):
            self._dispatcher.cancel()  # it only slept; a new one serves this user now
            self._dispatcher = None
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="planetscale-pacer")
        await future
        await self._take_shared()

    async def aclose(self) -> None:
        """Stop handing out turns (at shutdown, once the requests that wait have been cancelled or drained)."""
        if self._background is not None:
            await self._background.aclose()
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None and not dispatcher.done():
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher

    async def _take_shared(self) -> None:
        if self._shared is not None:
            await self._shared.spend(self._budget_name, per_second=self._rate, burst=self._burst, sleep=self._sleep)

    def pause(self, key: Hashable, seconds: float) -> float:
        """Send nothing for `key` for `seconds` (its request got a 429, with or without `Retry-After`), capped at
        `MAX_PAUSE_SECONDS`; returns how long the pause now lasts."""
        now = self._clock()
        until = max(self._paused_until.get(key, 0.0), now + min(max(seconds, 0.0), MAX_PAUSE_SECONDS))
        self._paused_until[key] = until
        return until - now

    def paused_for(self, key: Hashable) -> float:
        """Seconds until `key` may send again after a 429 (0 when it may now)."""
        until = self._paused_until.get(key)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._paused_until[key]
            return 0.0
        return left

    def expected_wait(self, key: Hashable, *, ahead: int = 0) -> float:
        """About how long a request for `key` made now would queue for its turn: until the next token, then its own
        waiting requests first, and each other waiting user one turn per round until then, at the refill rate. Local
        only, so a lower bound (other replicas' spending of the shared budget can only add to it); a 429's pause is
        not included (`paused_for`). No I/O: the dispatcher asks on the ack path whether a command could be sent in
        time at all. `ahead`: how many of `key`'s requests the caller knows to be on their way, queued here or not
        yet (a command accepted a moment ago whose follow-up is still reading storage)."""
        own = max(len(self._queues.get(key, ())), ahead)
        others = sum(min(len(queue), own + 1) for other, queue in self._queues.items() if other != key)
        return self._wait_seconds() + (own + others) / self._rate

    def _wait_seconds(self) -> float:
        """Seconds until one token is available (0 if now), after refilling."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._refilled_at) * self._rate)
        self._refilled_at = now
        # Within a rounding error of a whole token counts as one: waiting 1e-17 s would not move a float clock on.
        return 0.0 if self._tokens >= 1 - TOKEN_EPSILON else (1 - self._tokens) / self._rate

    def _next_turn(self) -> Hashable | None:
        """The first key in round-robin order that is not paused, taken out of the order; None if all are."""
        for key in self._turns:
            if self.paused_for(key) == 0:
                self._turns.remove(key)
                return key
        return None

    async def _dispatch(self) -> None:
        while self._turns:
            wait = self._wait_seconds()
            if wait > 0:
                await self._sleep(wait)
                continue
            key = self._next_turn()
            if key is None:  # every waiting user is paused: wait for the first pause to end
                self._holding_for_pauses = asyncio.current_task()
                try:
                    await self._sleep(min(self.paused_for(waiting) for waiting in self._turns))
                finally:
                    if self._holding_for_pauses is asyncio.current_task():
                        self._holding_for_pauses = None
                continue
            queue = self._queues[key]
            future = queue.popleft()
            if queue:
                self._turns.append(key)
            else:
                del self._queues[key]
            if future.done():  # its caller gave up (cancelled): the token goes to the next turn
                continue
            self._tokens -= 1
            future.set_result(None)
