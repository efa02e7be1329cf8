"""The background work a shutdown drains (bot/tasks.py): what it waits for and what it cancels."""

from __future__ import annotations

import asyncio

from bot.tasks import TaskTracker


async def test_work_started_while_draining_is_waited_for_too() -> None:
    tasks = TaskTracker()
    finished: list[str] = []

    async def follow_on() -> None:
        await asyncio.sleep(0.05)
        finished.append("follow-on")

    async def first() -> None:
        await asyncio.sleep(0.05)
        tasks.spawn(follow_on(), name="follow-on")  # as a click's follow-up queues a card's drawing
        finished.append("first")

    tasks.spawn(first(), name="first")
    await tasks.drain(grace_seconds=5)
    assert finished == ["first", "follow-on"]
    assert tasks.running == 0


async def test_work_started_while_draining_is_cancelled_once_the_grace_is_over() -> None:
    tasks = TaskTracker()
    cancelled: list[str] = []

    async def forever(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(name)
            raise

    async def first() -> None:
        await asyncio.sleep(0.05)
        tasks.spawn(forever("follow-on"), name="follow-on")
        await forever("first")

    tasks.spawn(first(), name="first")
    await asyncio.wait_for(tasks.drain(grace_seconds=0.2), timeout=5)
    assert sorted(cancelled) == ["first", "follow-on"]
    assert tasks.running == 0
