"""Slack's pace for posting in one channel, kept by the poster rather than learned from 429s.

Slack allows about one message a second in a channel: "Posting messages: 1 per second. Short bursts >1 allowed. If
you attempt bursts, there is no guarantee that messages will be delivered" (docs/reference/slack.md §1.5;
https://docs.slack.dev/apis/web-api/rate-limits). A burst is tolerated, not promised, so this counts on none: a
channel's posts go one a second apart. Each channel keeps its own time, so a channel with twenty digests never holds
up one with a single digest.

Other processes (replicas, a cron run) post too and a 429 can still come: `hold` keeps the channel quiet for the
`Retry-After` Slack named. Belongs to one event loop; clock and sleep are injectable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

POSTS_PER_SECOND = 1.0


class ChannelPace:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._next_at: dict[str, float] = {}

    async def turn(self, channel: str) -> None:
        """Wait for `channel`'s next post moment and take it. The moment is reserved before waiting, so posters
        that call at once are spaced one after another rather than woken together."""
        now = self._clock()
        at = max(now, self._next_at.get(channel, now))
        self._next_at[channel] = at + 1 / POSTS_PER_SECOND
        if at > now:
            await self._sleep(at - now)

    def hold(self, channel: str, seconds: float) -> None:
        """Slack answered 429 for `channel`: post nothing there for `seconds` (its `Retry-After`)."""
        self._next_at[channel] = max(self._next_at.get(channel, 0.0), self._clock() + seconds)

    def forget_idle(self) -> None:
        """Drop the channels whose last reserved moment has passed (they would post at once anyway), so a
        long-running process keeps no entry per channel it ever posted in."""
        now = self._clock()
        self._next_at = {channel: at for channel, at in self._next_at.items() if at > now}
