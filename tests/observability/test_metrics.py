"""The ack's metrics are counted in plain ints (bot/metrics.py); what `/metrics` shows of them must be what
prometheus_client's own Counter and Histogram would show for the same counts, so dashboards and alerts written for
those keep working."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bot.metrics import ACK_SECONDS_BUCKETS, Metrics

# Each bucket's bounds exactly, either side of them, and beyond the last.
DURATIONS = (0.0001, 0.0005, 0.00051, 0.001, 0.002, 0.0025, 0.004, 0.03, 0.5, 0.75, 1.0, 2.9, 3.0, 3.01, 60.0)
OUTCOMES = ("accepted", "accepted", "unauthorized", "accepted", "unreadable", "wrong_team")
COMMANDS = (("help", "accepted"), ("branch list", "accepted"), ("branch list", "backlogged"), ("help", "accepted"))


def _without_created(exposition: bytes) -> list[str]:
    """The lines of an exposition, less the `_created` samples' values (each registry's own start time)."""
    return [re.sub(r"(_created(\{.*\})?) \S+$", r"\1 T", line) for line in exposition.decode().splitlines()]


def _as_prometheus_client_counts() -> bytes:
    registry = CollectorRegistry()
    requests = Counter(
        "pscale_bot_slack_requests",
        "Requests to /slack/events by outcome (accepted, unauthorized, unreadable, wrong_team).",
        ["outcome"], registry=registry,
    )
    commands = Counter(
        "pscale_bot_commands", "Slash commands by command and outcome.", ["command", "outcome"], registry=registry
    )
    ack_seconds = Histogram(
        "pscale_bot_slack_ack_seconds", "Time from receiving a Slack request to answering it (the ack).",
        buckets=ACK_SECONDS_BUCKETS, registry=registry,
    )
    for outcome in sorted(OUTCOMES):
        requests.labels(outcome).inc()
    for command, outcome in sorted(COMMANDS):
        commands.labels(command, outcome).inc()
    for seconds in DURATIONS:
        ack_seconds.observe(seconds)
    return generate_latest(registry)


def test_the_ack_counts_read_as_prometheus_client_counters_and_histogram_would() -> None:
    metrics = Metrics()
    for outcome in OUTCOMES:
        metrics.count_slack_request(outcome)  # type: ignore[arg-type]
    for command, outcome in COMMANDS:
        metrics.count_command(command, outcome)
    for seconds in DURATIONS:
        metrics.observe_ack(seconds)
    ours = _without_created(metrics.render())
    theirs = _without_created(_as_prometheus_client_counts())
    # The reconciler's counter is prometheus_client's own, and registered after the ack's counts.
    assert ours[: len(theirs)] == theirs
    assert ours[len(theirs):][0].startswith("# HELP pscale_bot_reconciler_passes_total")


def test_nothing_counted_yet_still_shows_every_family_and_every_bucket() -> None:
    exposition = Metrics().render().decode()
    for family in ("pscale_bot_slack_requests", "pscale_bot_commands", "pscale_bot_slack_ack_seconds"):
        assert f"# TYPE {family}" in exposition
    assert 'pscale_bot_slack_ack_seconds_bucket{le="+Inf"} 0.0' in exposition
    assert "pscale_bot_slack_ack_seconds_count 0.0" in exposition
