"""Slack's per-method rate limits, answered as Slack answers them: HTTP 429, `ratelimited`, `Retry-After: seconds`.

Each Web API method has a tier, a floor of calls per minute per workspace that Slack promises ("Tier 2: 20+ per
minute", …; https://docs.slack.dev/apis/web-api/rate-limits). The stand-in allows exactly the floor in any 60 s, so
a bot that stays inside it here stays inside it on Slack. Tier 1 ("1+ per minute", "a small amount of burst
behavior is tolerated") gets a burst of a few, or a Socket Mode client that reconnects would be locked out.

`chat.postMessage` is special: "1 message per second to a specific channel", with "generous burst behavior"
(https://api.slack.com/methods/chat.postMessage#rate_limiting). The stand-in gives each channel a bucket of
`POST_BURST` posts refilled at one a second. Slack also caps posting across the workspace at an unpublished
"several hundred messages per minute"; with no number to hold the bot to, the stand-in does not model it.

Tiers are those of Slack's method pages as slackapi/java-slack-sdk records them
(`slack-api-client/src/main/java/com/slack/api/methods/MethodsRateLimits.java`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
PER_MINUTE = {1: 5, 2: 20, 3: 50, 4: 100}
TIERS: dict[str, int] = {
    "apps.connections.open": 1,
    "auth.test": 4,  # "special": Slack allows more than tier 4; tier 4 is the floor a bot can count on
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.unfurl": 3,
    "chat.update": 3,
    "conversations.info": 3,
    "conversations.open": 3,
    "users.info": 4,
    "views.open": 4,
    "views.publish": 4,
    "views.push": 4,
    "views.update": 4,
}
POST_METHOD = "chat.postMessage"
POST_BURST = 10
POSTS_PER_SECOND = 1.0


@dataclass
class _Bucket:
    tokens: float
    at: float


class Pacing:
    """Decides, per call, whether Slack would answer it or say `ratelimited` (and for how long)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._buckets: dict[str, _Bucket] = {}

    def _window(self, key: str, limit: int, now: float) -> int | None:
        """Seconds to wait if `limit` calls under `key` already fell in the last minute; else counts this one."""
        calls = self._calls.setdefault(key, deque())
        while calls and now - calls[0] >= WINDOW_SECONDS:
            calls.popleft()
        if len(calls) >= limit:
            return max(1, math.ceil(calls[0] + WINDOW_SECONDS - now))
        calls.append(now)
        return None

    def _post(self, channel: str, now: float) -> int | None:
        bucket = self._buckets.setdefault(channel, _Bucket(tokens=POST_BURST, at=now))
        bucket.tokens = min(POST_BURST, bucket.tokens + (now - bucket.at) * POSTS_PER_SECOND)
        bucket.at = now
        if bucket.tokens < 1:
            return max(1, math.ceil((1 - bucket.tokens) / POSTS_PER_SECOND))
        bucket.tokens -= 1
        return None

    def admit(self, method: str, *, channel: str | None = None) -> int | None:
        """None: the call goes through (and counts). Otherwise the `Retry-After` seconds Slack would send."""
        now = self._clock()
        if method == POST_METHOD:
            return self._post(channel or "", now)
        tier = TIERS.get(method)
        return None if tier is None else self._window(method, PER_MINUTE[tier], now)
