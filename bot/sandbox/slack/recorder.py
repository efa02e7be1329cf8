"""An append-only record that tests can wait on from any thread or event loop.

The stand-in runs inside uvicorn, usually in a background thread with its own event loop, while a test awaits in
pytest's loop (or blocks in a plain thread). Waiters are therefore woken with `call_soon_threadsafe` (async) or a
`threading.Condition` (blocking), so no test ever needs to sleep and poll.
"""

# Waits take a `timeout` argument (ASYNC109) on purpose: a test waiting for a call that never comes must fail
# with a message that lists what did arrive, not hang until the suite's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
Predicate = Callable[[T], bool]


@dataclass
class _AsyncWaiter(Generic[T]):
    predicate: Predicate[T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]


def _resolve(future: asyncio.Future[T], item: T) -> None:
    if not future.done():
        future.set_result(item)


def _matches(predicate: Predicate[T], item: T) -> bool:
    # A predicate that looks up a key the item does not have simply does not match it.
    try:
        return predicate(item)
    except LookupError:
        return False


def _any(_: object) -> bool:
    return True


class Recorder(Generic[T]):
    """Items in arrival order; `wait` / `wait_blocking` return the first match at index >= `since`."""

    def __init__(self, kind: str) -> None:
        self._kind = kind
        self._items: list[T] = []
        self._condition = threading.Condition()
        self._async_waiters: list[_AsyncWaiter[T]] = []

    def append(self, item: T) -> None:
        with self._condition:
            self._items.append(item)
            woken = [waiter for waiter in self._async_waiters if _matches(waiter.predicate, item)]
            for waiter in woken:
                self._async_waiters.remove(waiter)
            self._condition.notify_all()
        for waiter in woken:
            waiter.loop.call_soon_threadsafe(_resolve, waiter.future, item)

    def snapshot(self) -> list[T]:
        with self._condition:
            return list(self._items)

    def __len__(self) -> int:
        with self._condition:
            return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> T:
        with self._condition:
            return self._items[index]

    def matching(self, predicate: Predicate[T] | None = None, *, since: int = 0) -> list[T]:
        check = predicate or _any
        with self._condition:
            return [item for item in self._items[since:] if _matches(check, item)]

    def _first(self, predicate: Predicate[T], since: int) -> T | None:
        return next((item for item in self._items[since:] if _matches(predicate, item)), None)

    def _timeout_error(self, timeout: float) -> TimeoutError:
        recent = ", ".join(repr(item) for item in self._items[-5:]) or "nothing"
        return TimeoutError(f"no matching {self._kind} within {timeout} s; the last ones recorded: {recent}")

    async def wait(self, predicate: Predicate[T] | None = None, *, since: int = 0, timeout: float = 5.0) -> T:
        """The first item (already recorded or yet to come) from index `since` on that matches."""
        check = predicate or _any
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._condition:
            found = self._first(check, since)
            if found is not None:
                return found
            waiter = _AsyncWaiter(check, loop, future)
            self._async_waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            with self._condition:
                raise self._timeout_error(timeout) from None
        finally:
            with self._condition:
                if waiter in self._async_waiters:
                    self._async_waiters.remove(waiter)

    def wait_blocking(self, predicate: Predicate[T] | None = None, *, since: int = 0, timeout: float = 5.0) -> T:
        """Like `wait`, for code that is not in an event loop (a plain thread, a sync test)."""
        check = predicate or _any
        with self._condition:
            found: list[T] = []

            def arrived() -> bool:
                item = self._first(check, since)
                if item is None:
                    return False
                found.append(item)
                return True

            if not self._condition.wait_for(arrived, timeout=timeout):
                raise self._timeout_error(timeout)
            return found[0]
