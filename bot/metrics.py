"""Prometheus metrics, one registry per running bot (tests start many bots in one process).

What every ack counts (the request's outcome, the command's, the ack's duration) is kept in plain ints and handed to
Prometheus only when `/metrics` is scraped, by a collector of our own (`_AckCounts`), the pattern prometheus_client
documents for values it does not keep itself ("Custom Collectors"). Its `Counter.inc` and `Histogram.observe` take a
lock for each value they touch and check the metric each time: measured in-process, the ack's four of them were
10 µs of a 0.22 ms ack (5%; README, "Benchmarks"). Every count is made on the event loop's thread, and a scrape reads
ints the GIL keeps whole, so no lock is needed. What is counted rarely keeps prometheus_client's own types.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterator
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

CONTENT_TYPE = CONTENT_TYPE_LATEST
SlackRequestOutcome = Literal["accepted", "unauthorized", "unreadable", "wrong_team"]

ACK_SECONDS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ack = _AckCounts()
        self.registry.register(self.ack)
        # A reconciler that stopped passing leaves cards showing an old state without any error to see; a test
        # waits on it too, for the passes it needs instead of for a fixed time.
        self.reconciler_passes = Counter(
            "pscale_bot_reconciler_passes",
            "Passes of the card reconciler (one every 2 s or so while it runs), failed ones included.",
            registry=self.registry,
        )

    def count_slack_request(self, outcome: SlackRequestOutcome) -> None:
        self.ack.slack_requests[outcome] += 1

    def count_command(self, command: str, outcome: str) -> None:
        self.ack.commands[command, outcome] += 1

    def observe_ack(self, seconds: float) -> None:
        """One ack's duration, into the first bucket whose upper bound it does not exceed (Prometheus's `le`)."""
        self.ack.ack_buckets[bisect_left(ACK_SECONDS_BUCKETS, seconds)] += 1
        self.ack.ack_seconds_sum += seconds

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _AckCounts(Collector):
    """The ack's counts as Prometheus families, written out when scraped: the same names, labels and `_created`
    samples as prometheus_client's own Counter and Histogram would give."""

    def __init__(self) -> None:
        self.created = time.time()
        self.slack_requests: Tally[str] = Tally()
        self.commands: Tally[tuple[str, str]] = Tally()
        self.ack_buckets = [0] * (len(ACK_SECONDS_BUCKETS) + 1)  # the last: above every bound (+Inf)
        self.ack_seconds_sum = 0.0

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "pscale_bot_slack_requests",
            "Requests to /slack/events by outcome (accepted, unauthorized, unreadable, wrong_team).",
            labels=["outcome"],
        )
        for outcome, count in sorted(self.slack_requests.items()):
            requests.add_metric([outcome], count, created=self.created)
        yield requests
        commands = CounterMetricFamily(
            "pscale_bot_commands", "Slash commands by command and outcome.", labels=["command", "outcome"]
        )
        for (command, outcome), count in sorted(self.commands.items()):
            commands.add_metric([command, outcome], count, created=self.created)
        yield commands
        cumulative = 0
        buckets: list[tuple[str, float]] = []
        for bound, count in zip((*map(floatToGoString, ACK_SECONDS_BUCKETS), "+Inf"), self.ack_buckets, strict=True):
            cumulative += count
            buckets.append((bound, cumulative))
        ack_seconds = HistogramMetricFamily(
            "pscale_bot_slack_ack_seconds", "Time from receiving a Slack request to answering it (the ack)."
        )
        ack_seconds.add_metric([], buckets, sum_value=self.ack_seconds_sum)
        # `add_metric` writes no `_created` for a histogram; prometheus_client's own Histogram does.
        ack_seconds.samples.append(Sample("pscale_bot_slack_ack_seconds_created", {}, self.created))
        yield ack_seconds
