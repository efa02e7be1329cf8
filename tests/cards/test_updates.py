"""The one `chat.update` budget all cards share: paced, state changes first, only the newest drawing sent."""

from __future__ import annotations

import asyncio

import pytest

from bot.cards.updates import CardUpdates
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
