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
        """Wait up to `grace_seconds` for running work, then cancel what is left."""
        if not self._tasks:
            return
        pending = set(self._tasks)
        _done, still_running = await asyncio.wait(pending, timeout=grace_seconds)
        for task in still_running:
            log.warning("cancelling background task %s at shutdown", task.get_name())
            task.cancel()
        if still_running:
            await asyncio.gather(*still_running, return_exceptions=True)
