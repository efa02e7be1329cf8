"""One `chat.update` budget shared by every card.

Slack allows `chat.update` at tier 3, about 50 calls a minute per workspace. Many cards moving at once (a busy deploy
queue, the reconciler's progress ticks) could spend it all on cosmetic changes while a click waits. So updates queue
here: one pending update per message (the newest drawing replaces an older one not yet sent), state changes before
cosmetic ones, and a token bucket paces the calls.

Replicas share the workspace's allowance: given the storage's `RateBudgets`, each call also takes a token from one
bucket in the database (one bot token is one workspace), so two replicas together stay at 50 a minute. If the
database cannot be asked, the update goes out on this process's own bucket: a card must not freeze for that.

Each drawing may come with `on_done`, told how its call ended (None: Slack confirmed it), so the card's record knows
what Slack shows; a drawing replaced by a newer one before it was sent is never told, the newer one is.

A 429 holds the whole budget, in this process and in the database, until its `Retry-After` has passed: Slack limits
`chat.update` per method and workspace, not per message (https://api.slack.com/docs/rate-limits: "Your app's
requests to the Web API are evaluated per method, per workspace"; docs/reference/slack.md §1.5), so any card's call
sent sooner, a click's or a webhook delivery's redraw included, would only be refused again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.ports import SlackRefused
from bot.render.message import Message
from bot.storage import RateBudgets
from bot.tasks import TaskTracker

log = logging.getLogger(__name__)

PER_MINUTE = 50
BURST = 10
SHARED_BUDGET = "slack:chat.update"
# The longest one Retry-After holds every card: Slack's tiers are counted per minute, so a longer one (or an
# unreadable one taken at its word) would only stop live cards for nothing.
MAX_HOLD_SECONDS = 60.0
# Refusals that mean the card's place will never take a drawing again, so its card is forgotten: for chat.update, the
# message is deleted, not the bot's, or its channel is gone or archived (`is_archived` in older answers, `is_inactive`
# now: https://api.slack.com/methods/chat.update#errors); for chat.unfurl, the message or its channel is gone, or the
# link is no longer in it (https://api.slack.com/methods/chat.unfurl#errors). Each is final (`SlackRefused.final`).
GONE = frozenset({
    "message_not_found", "channel_not_found", "cant_update_message", "is_archived", "is_inactive",
    "cannot_find_message", "cannot_find_channel", "cannot_unfurl_message",
})


class MessageUpdater(Protocol):
    async def update_message(self, *, channel: str, ts: str, message: Message) -> None: ...

    async def unfurl(self, *, channel: str, ts: str, url: str, message: Message) -> None: ...


# How a drawing's call ended: None when Slack confirmed it, else the refusal or the connection's failure.
Outcome = Callable[[Exception | None], Awaitable[None]]


@dataclass
class _Pending:
    state_change: bool
    order: int
    message: Message
    on_done: Outcome | None


class CardUpdates:
    def __init__(
        self,
        slack: MessageUpdater,
        tasks: TaskTracker,
        *,
        per_minute: float = PER_MINUTE,
        burst: float = BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_gone: Callable[[str, str, str | None], Awaitable[None]] | None = None,
        shared: RateBudgets | None = None,
    ) -> None:
        """`on_gone(channel, ts, unfurl_url)` hears of a message (or the unfurl of `unfurl_url` in it) that can no
        longer be drawn, so its card can be dropped."""
        self._slack = slack
        self._on_gone = on_gone
        self._shared = shared
        self._tasks = tasks
        self._rate = per_minute / 60.0
        self._burst = burst
        self._tokens = burst
        self._clock = clock
        self._sleep = sleep
        self._refilled_at = clock()
        # By (channel, ts, unfurled url or ""): a card is a message of its own, or the unfurl of a link in one.
        self._pending: dict[tuple[str, str, str], _Pending] = {}
        self._order = itertools.count()
        self._drainer: asyncio.Task[None] | None = None
        self.sent = 0

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def submit(
        self, *, channel: str, ts: str, message: Message, state_change: bool, unfurl_url: str | None = None,
        on_done: Outcome | None = None,
    ) -> None:
        """Queue the newest drawing of a card. Returns at once; the call (`chat.update`, or `chat.unfurl` for the
        unfurl of `unfurl_url`) happens when the budget allows, and then `on_done` hears how it ended."""
        key = (channel, ts, unfurl_url or "")
        earlier = self._pending.get(key)
        self._pending[key] = _Pending(
            state_change=state_change or (earlier is not None and earlier.state_change),
            order=earlier.order if earlier is not None else next(self._order),
            message=message,
            on_done=on_done,
        )
        if self._drainer is None or self._drainer.done():
            self._drainer = self._tasks.spawn(self._drain(), name="card updates")

    async def _drain(self) -> None:
        while self._pending:
            await self._take_token()
            # Chosen after the wait, so a state change that arrived meanwhile goes before older cosmetic ones.
            key = min(self._pending, key=lambda k: (not self._pending[k].state_change, self._pending[k].order))
            pending = self._pending.pop(key)
            channel, ts, unfurl_url = key
            failure: Exception | None = None
            try:
                if unfurl_url:
                    await self._slack.unfurl(channel=channel, ts=ts, url=unfurl_url, message=pending.message)
                else:
                    await self._slack.update_message(channel=channel, ts=ts, message=pending.message)
                self.sent += 1
            except SlackRefused as refused:
                # One line per call, so a final refusal (never sent again) is one line; `refused` names no token.
                log.warning("updating a card failed: %s%s", refused, "; Slack will refuse it again" * refused.final)
                if refused.retry_after:
                    await self._hold(refused.retry_after)
                if refused.code in GONE and self._on_gone is not None:
                    await self._on_gone(channel, ts, unfurl_url or None)
                    continue  # nothing is left to draw
                failure = refused
            except OSError as error:  # out of reach, or its answer lost or late (TimeoutError is an OSError)
                log.warning("updating a card failed: %s", type(error).__name__)
                failure = error
            if pending.on_done is not None:
                try:
                    await pending.on_done(failure)
                except Exception:
                    # Not recorded: the drawing stays unconfirmed, so the reconciler draws it again. The queue goes on.
                    log.warning("recording how a card's update ended failed", exc_info=True)

    async def _hold(self, seconds: float) -> None:
        """Send nothing for `seconds`: this process's bucket is emptied and refills so that its next token comes just
        then (see `_take_token`), and so is the replicas' shared one. At most `MAX_HOLD_SECONDS`."""
        seconds = min(seconds, MAX_HOLD_SECONDS)
        self._tokens = 0
        self._refilled_at = max(self._refilled_at, self._clock() + seconds - 1 / self._rate)
        if self._shared is not None:
            await self._shared.hold(SHARED_BUDGET, seconds=seconds, per_second=self._rate)

    async def _take_token(self) -> None:
        while True:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._refilled_at) * self._rate)
            self._refilled_at = now
            if self._tokens >= 1:
                self._tokens -= 1
                break
            await self._sleep((1 - self._tokens) / self._rate)
        if self._shared is not None:
            await self._shared.spend(SHARED_BUDGET, per_second=self._rate, burst=self._burst, sleep=self._sleep)
