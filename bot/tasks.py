"""Work that runs after Slack has been acked: tracked so that nothing is lost silently and SIGTERM can drain it.

Every listener acks first and hands its slow part here. A task that fails is logged with its name (never its
arguments, which may hold tokens); the user-facing error reply is the job of the work itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskTracker:
    """A set of running background tasks with a bounded drain on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("background task %s failed: %s", task.get_name(), type(error).__name__, exc_info=error)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def drain(self, *, grace_seconds: float) -> None:
        """Wait up to `grace_seconds` for running work, then cancel what is left. Work started meanwhile counts too
        (a card's drawing queued by a task that was finishing): left out, it would still be pending when the loop
        closes, and its coroutine closed then (as the test suite saw a `chat.update` call's)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        while self._tasks:
            pending = set(self._tasks)
            remaining = deadline - loop.time()
            if remaining > 0:
                await asyncio.wait(pending, timeout=remaining)
                continue
            for task in pending:
                log.warning("cancelling background task %s at shutdown", task.get_name())
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
