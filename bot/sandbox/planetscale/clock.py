"""Clocks for the PlanetScale stand-in. Both can be advanced, so seeds and tests can move time forward.

`ManualClock` stands still until advanced (deterministic tests); `RunningClock` follows wall time plus an offset
(the sandbox, where deployments should progress on their own).
"""

from __future__ import annotations

import threading
import time

# 2026-01-05T09:00:00Z: a fixed, readable start so test output and seeded timestamps are reproducible.
DEFAULT_EPOCH = 1_767_603_600.0


class ManualClock:
    """A clock that only moves when told to; thread-safe because the stand-in serves from another thread."""

    def __init__(self, start: float = DEFAULT_EPOCH) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += seconds


class RunningClock:
    """Wall time plus an offset; `advance` grows the offset (a negative start offset lets seeds replay a past)."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._offset += seconds


Clock = ManualClock | RunningClock
