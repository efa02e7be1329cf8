"""The one `chat.update` budget all cards share: paced, state changes first, only the newest drawing sent."""

from __future__ import annotations

import asyncio

import pytest

from bot.cards.updates import MAX_HOLD_SECONDS, CardUpdates
from bot.ports import SlackRefused
from bot.render.message import Message
from bot.tasks import TaskTracker


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def update_message(self, *, channel: str, ts: str, message: Message) -> None:
        self.sent.append((ts, message.text))

    async def unfurl(self, *, channel: str, ts: str, url: str, message: Message) -> None:
        self.sent.append((f"{ts} {url}", message.text))


async def test_the_budget_paces_updates_sends_state_changes_first_and_only_the_newest_drawing() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    slack = _Recorder()
    tasks = TaskTracker()
    updates = CardUpdates(slack, tasks, per_minute=60, burst=1, clock=lambda: now[0], sleep=sleep)
    updates.submit(channel="C", ts="1", message=Message(text="progress 10%"), state_change=False)
    updates.submit(channel="C", ts="2", message=Message(text="progress 50%"), state_change=False)
    updates.submit(channel="C", ts="1", message=Message(text="progress 20%"), state_change=False)
    updates.submit(channel="C", ts="3", message=Message(text="deployed"), state_change=True)
    await tasks.drain(grace_seconds=5)
    # The state change went first though it came last; then one call a second, and card 1's 10% drawing was
    # replaced by its 20% one before it was ever sent.
    assert slack.sent == [("3", "deployed"), ("1", "progress 20%"), ("2", "progress 50%")]
    assert now[0] == pytest.approx(2.0)


class _RateLimitedOnce(_Recorder):
    """Slack answering the first chat.update with a 429 and `Retry-After: retry_after`."""

    def __init__(self, retry_after: float) -> None:
        super().__init__()
        self.retry_after = retry_after
        self.refused = False

    async def update_message(self, *, channel: str, ts: str, message: Message) -> None:
        if not self.refused:
            self.refused = True
            raise SlackRefused("chat.update", "ratelimited", retry_after=self.retry_after, status=429)
        self.sent.append((ts, message.text))


@pytest.mark.parametrize(("retry_after", "held"), [(8.0, 8.0), (3600.0, MAX_HOLD_SECONDS)])
async def test_a_429_holds_every_card_until_its_retry_after_and_never_past_the_cap(
    retry_after: float, held: float
) -> None:
    now = [0.0]
    sent_at: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    slack = _RateLimitedOnce(retry_after)
    original = slack.update_message

    async def timed(*, channel: str, ts: str, message: Message) -> None:
        await original(channel=channel, ts=ts, message=message)
        sent_at.append(now[0])

    slack.update_message = timed  # type: ignore[method-assign]
    tasks = TaskTracker()
    updates = CardUpdates(slack, tasks, per_minute=60, burst=10, clock=lambda: now[0], sleep=sleep)
    updates.submit(channel="C", ts="1", message=Message(text="refused"), state_change=True)
    updates.submit(channel="C", ts="2", message=Message(text="another card"), state_change=True)
    await tasks.drain(grace_seconds=5)
    # Card 2's call waited out the hold though it was never refused itself: Slack counts per method, not per message.
    assert slack.sent[0] == ("2", "another card")
    assert sent_at[0] == pytest.approx(held, abs=1.0)
