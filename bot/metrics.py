"""Prometheus metrics, one registry per running bot (tests start many bots in one process)."""

from __future__ import annotations

from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST
SlackRequestOutcome = Literal["accepted", "unauthorized", "unreadable", "wrong_team"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.slack_requests = Counter(
            "pscale_bot_slack_requests",
            "Requests to /slack/events by outcome (accepted, unauthorized, unreadable, wrong_team).",
            ["outcome"],
            registry=self.registry,
        )
        self.slack_ack_seconds = Histogram(
            "pscale_bot_slack_ack_seconds",
            "Time from receiving a Slack request to answering it (the ack).",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0),
            registry=self.registry,
        )
        self.commands = Counter(
            "pscale_bot_commands",
            "Slash commands by command and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )

        # A reconciler that stopped passing leaves cards showing an old state without any error to see; a test
        # waits on it too, for the passes it needs instead of for a fixed time.
        self.reconciler_passes = Counter(
            "pscale_bot_reconciler_passes",
            "Passes of the card reconciler (one every 2 s or so while it runs), failed ones included.",
            registry=self.registry,
        )

        # Each label set's child, looked up once: `labels()` validates the values and takes the metric's lock on every
        # call, 3 to 5 µs of a 0.3 ms ack. Both sets are small and fixed: outcomes, and the grammar's command names.
        self._slack_request_counts: dict[str, Counter] = {}
        self._command_counts: dict[tuple[str, str], Counter] = {}

    def count_slack_request(self, outcome: SlackRequestOutcome) -> None:
        child = self._slack_request_counts.get(outcome)
        if child is None:
            child = self._slack_request_counts[outcome] = self.slack_requests.labels(outcome)
        child.inc()

    def count_command(self, command: str, outcome: str) -> None:
        child = self._command_counts.get((command, outcome))
        if child is None:
            child = self._command_counts[command, outcome] = self.commands.labels(command, outcome)
        child.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
