"""A deploy request as the domain records it, for tests of what is drawn or stored from one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.deploy_requests.summary import Operation, Snapshot

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

SNAPSHOT = Snapshot(
    database="shop",
    number=7,
    branch="add-index",
    into_branch="main",
    state="open",
    deployment_state="ready",
    approved=False,
    author="Carol <Member> & co",
    notes="Speeds up *orders*.",
    created_at=NOW - timedelta(hours=5),
    html_url="https://app.planetscale.com/acme/shop/deploy-requests/7",
    lint_errors=(),
    deploy_check_errors=None,
    operations=(Operation(table="orders", operation="ALTER", ddl="ALTER TABLE `orders` ADD INDEX i (a)"),),
    queue_position=None,
    progress_percentage=None,
    eta_seconds=None,
    revert_deadline=None,
    gated=False,
    as_of=NOW,
)
