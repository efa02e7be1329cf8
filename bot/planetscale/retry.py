"""The one retry policy of the PlanetScale client: a small decision, plus the loop that applies it within a budget.

What may be sent again:
- any request that certainly never reached PlanetScale (a failed connect, a wait for a pooled connection, no token
  to send it with);
- any request answered 429: PlanetScale's rate limiter refuses before acting, so even a mutation did not happen;
- reads (GET) also after a 5xx, a timeout or a broken connection.
A mutation that may have arrived (read timeout, reset after sending, 5xx) is never repeated: it may have acted,
and the user is better told "check, then retry" than served a second deploy.

Waits are capped, jittered exponential backoff, or exactly `Retry-After` when PlanetScale sends it. A whole call,
retries included, fits in `budget` seconds (default 10 s, so a slash command's reply still beats Slack's 15 s);
when the next wait would not fit, the last error is raised.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.planetscale.errors import (
    AccessUnavailable,
    ConnectionFailed,
    PlanetScaleError,
    RateLimited,
    ServerError,
    Timeout,
)

__all__ = ["IDEMPOTENT_METHODS", "Clock", "RetryPolicy", "Sleep", "call_with_retries"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 4.0
    budget: float = 10.0
    # Returns a float in [0, 1); injectable so tests can pin the jitter.
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def is_retryable(self, method: str, error: PlanetScaleError) -> bool:
        if isinstance(error, Timeout | ConnectionFailed) and not error.request_sent:
            return True
        if isinstance(error, AccessUnavailable):
            return True
        if isinstance(error, RateLimited) and error.status == 429:
            return True
        return method.upper() in IDEMPOTENT_METHODS and isinstance(error, ServerError | Timeout | ConnectionFailed)

    def backoff(self, retry_number: int, error: PlanetScaleError) -> float:
        """Seconds to wait before retry `retry_number` (1-based): `Retry-After` when given, else jittered backoff."""
        if error.retry_after is not None:
            return error.retry_after
        ceiling = min(self.max_delay, self.initial_delay * 2.0 ** (retry_number - 1))
        # Up to 25 % less than the ceiling, so clients that failed together do not retry together.
        return ceiling * (1 - 0.25 * self.jitter())

    def next_delay(self, *, method: str, error: PlanetScaleError, retries_done: int, remaining: float) -> float | None:
        """How long to wait before trying again, or None to give up and raise `error`."""
        if retries_done >= self.max_retries or not self.is_retryable(method, error):
            return None
        delay = self.backoff(retries_done + 1, error)
        return delay if delay < remaining else None


async def call_with_retries(
    attempt: Callable[[float], Awaitable[T]],
    *,
    method: str,
    path: str,
    policy: RetryPolicy,
    sleep: Sleep,
    clock: Clock = time.monotonic,
) -> T:
    """Run `attempt(seconds_left)` until it returns, the policy gives up, or the budget is spent."""
    deadline = clock() + policy.budget
    retries_done = 0
    while True:
        try:
            return await attempt(deadline - clock())
        except PlanetScaleError as error:
            delay = policy.next_delay(
                method=method, error=error, retries_done=retries_done, remaining=deadline - clock()
            )
            if delay is None:
                raise
            retries_done += 1
            logger.warning(
                "PlanetScale %s %s failed (%s %s); retry %d in %.2f s",
                method,
                path,
                error.status or type(error).__name__,
                error.code or "",
                retries_done,
                delay,
            )
            await sleep(delay)
