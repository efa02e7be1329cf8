"""Timing acks: send signed requests one after another and print the round-trip percentiles."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import httpx

from tests.support.slack import SignedRequest


def time_acks(http: httpx.Client, url: str, make_request: Callable[[], SignedRequest], *, count: int) -> list[float]:
    """Milliseconds from sending each of `count` requests to its answer; any answer but 200 stops the run."""
    samples = []
    for _ in range(count):
        request = make_request()
        started = time.perf_counter()
        response = http.post(url, content=request.body, headers=request.headers)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"unexpected status {response.status_code}: {response.text}")
    return sorted(samples)


def print_percentiles(title: str, samples: list[float]) -> None:
    cuts = statistics.quantiles(samples, n=100)
    print(title)
    print(f"  p50 {cuts[49]:.2f} ms   p95 {cuts[94]:.2f} ms   p99 {cuts[98]:.2f} ms   max {samples[-1]:.2f} ms")
