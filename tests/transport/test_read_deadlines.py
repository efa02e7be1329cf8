"""`ReadDeadlines` (bot/web/body.py): one timer for every body read in flight. Each read must still get its whole
allowance, from its own start, and only reads that ran out may be cancelled as such."""

from __future__ import annotations

import asyncio

import pytest

from bot.web.body import ReadDeadlines

ALLOWANCE = 0.2


async def _read(deadlines: ReadDeadlines, *, takes: float) -> str:
    """A read of `takes` seconds under `deadlines`: "done", or "408" if the deadline cancelled it."""
    task = asyncio.current_task()
    assert task is not None
    deadlines.start(task)
    try:
        await asyncio.sleep(takes)
    except asyncio.CancelledError:
        if not deadlines.ran_out(task) or task.uncancel() > 0:
            raise
        return "408"
    finally:
        deadlines.finish(task)
    return "done"


async def test_each_read_gets_its_whole_allowance_from_its_own_start() -> None:
    deadlines = ReadDeadlines(ALLOWANCE)
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = asyncio.create_task(_read(deadlines, takes=10))
    await asyncio.sleep(ALLOWANCE / 2)
    # Started half an allowance later, it needs more time than the first read's deadline leaves, yet less than its own.
    second = asyncio.create_task(_read(deadlines, takes=ALLOWANCE * 0.8))
    third = asyncio.create_task(_read(deadlines, takes=10))
    assert await first == "408"
    assert loop.time() - started >= ALLOWANCE
    assert await second == "done"
    assert await third == "408"
    assert loop.time() - started >= ALLOWANCE * 1.5


async def test_a_read_that_ends_in_time_is_not_cancelled_later() -> None:
    deadlines = ReadDeadlines(ALLOWANCE)
    assert await _read(deadlines, takes=0) == "done"
    task = asyncio.current_task()
    assert task is not None
    await asyncio.sleep(ALLOWANCE * 1.5)  # past the finished read's deadline: the timer fires and finds nothing
    assert task.cancelling() == 0


async def test_a_cancellation_from_elsewhere_is_not_taken_for_the_deadline() -> None:
    """A server shutting down cancels the request's task: that must end it, not answer 408."""
    deadlines = ReadDeadlines(ALLOWANCE)
    reading = asyncio.create_task(_read(deadlines, takes=10))
    await asyncio.sleep(0.01)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading

