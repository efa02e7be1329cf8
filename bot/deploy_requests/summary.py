"""The records cards, commands and digests work from, read from PlanetScale's models in one place.

`Summary` is what a list line, a reply or a digest shows of a deploy request; `Snapshot` adds what a card shows
from two more reads (its reviews and its operations) and when it was read. Both keep PlanetScale's states as the
strings it sent, so a state added later still reads (bot/deploy_requests/lifecycle.py decides what they allow).
A card stores its last `Snapshot` as JSON (bot/cards/store.py): fields added later need defaults.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.deploy_requests import lifecycle
from bot.planetscale import PlanetScaleAPI
from bot.planetscale.models import Deployment, DeployOperation, DeployRequest, DeployReview, OperationState, ReviewState


@dataclass(frozen=True, kw_only=True)
class Summary:
    number: int
    branch: str
    into_branch: str
    state: str  # DeployRequestState values
    deployment_state: str  # DeploymentState values
    approved: bool
    author: str | None
    notes: str | None
    created_at: datetime | None
    html_url: str | None
    lint_errors: tuple[str, ...]
    deploy_check_errors: str | None
    queue_position: int | None  # 1 when it deploys next; only while queued
    revert_deadline: datetime | None  # only while it can be reverted
    gated: bool  # waits for somebody to apply it after the copy
    updated_at: datetime | None = None  # PlanetScale's: a webhook delivery older than this is old news
    instant_eligible: bool = False


@dataclass(frozen=True)
class Operation:
    """One schema change of a deploy request."""

    table: str | None
    operation: str | None
    ddl: str | None


@dataclass(frozen=True, kw_only=True)
class Snapshot(Summary):
    """A deploy request as read at `as_of`, with its approvers and schema changes."""

    database: str
    approved_by: tuple[str, ...]
    operations: tuple[Operation, ...]
    progress_percentage: float | None  # only while the schema change copies
    eta_seconds: float | None
    as_of: datetime
    more_operations: bool = False  # PlanetScale has more operations than the one page read


@dataclass(frozen=True)
class QueueEntry:
    """A deployment in a database's deploy queue."""

    number: int
    state: str  # DeploymentState values
    into_branch: str | None
    queued_at: datetime | None


def summarize(request: DeployRequest) -> Summary:
    deployment = request.deployment
    revert_deadline = None
    if lifecycle.in_revert_window(request):
        applied = (deployment.cutover_at if deployment else None) or request.deployed_at
        revert_deadline = applied + lifecycle.REVERT_WINDOW if applied else None
    return Summary(
        number=request.number,
        branch=request.branch,
        into_branch=request.into_branch,
        state=request.state,
        deployment_state=request.deployment_state,
        approved=request.approved,
        author=request.actor.display_name if request.actor else None,
        notes=request.notes or None,
        created_at=request.created_at,
        html_url=request.html_url,
        lint_errors=tuple(
            f"{error.get('table_name') or '?'}: "
            f"{error.get('error_description') or error.get('lint_error') or 'lint error'}"
            for error in (deployment.lint_errors if deployment else [])
        ),
        deploy_check_errors=deployment.deploy_check_errors if deployment else None,
        queue_position=(
            len(deployment.preceding_deployments) + 1 if deployment and lifecycle.is_queued(request) else None
        ),
        revert_deadline=revert_deadline,
        gated=bool(deployment and deployment.auto_cutover is False),
        updated_at=request.updated_at,
        instant_eligible=bool(deployment and deployment.instant_ddl_eligible),
    )


def schema_changes(operations: Iterable[DeployOperation]) -> tuple[Operation, ...]:
    return tuple(
        Operation(table=operation.table_name, operation=operation.operation_name, ddl=operation.ddl_statement)
        for operation in operations
    )


def snapshot(
    request: DeployRequest, *, database: str, reviews: Iterable[DeployReview], operations: list[DeployOperation],
    more_operations: bool, as_of: datetime,
) -> Snapshot:
    approvers: list[str] = []
    for review in reviews:
        name = review.actor.display_name if review.actor else None
        if review.state == ReviewState.APPROVED and name and name not in approvers:
            approvers.append(name)
    running = [
        operation for operation in operations
        if operation.state == OperationState.IN_PROGRESS and operation.progress_percentage is not None
    ] if lifecycle.is_copying(request) else []
    etas = [operation.eta_seconds for operation in running if operation.eta_seconds is not None]
    return Snapshot(
        **vars(summarize(request)),
        database=database,
        approved_by=tuple(approvers),
        operations=schema_changes(operations),
        more_operations=more_operations,
        progress_percentage=(
            sum(operation.progress_percentage or 0.0 for operation in running) / len(running) if running else None
        ),
        eta_seconds=max(etas) if etas else None,
        as_of=as_of,
    )


async def read_snapshot(api: PlanetScaleAPI, *, org: str, database: str, number: int, now: datetime) -> Snapshot:
    """Everything a card shows, in three reads made at once."""
    # gather marks the other reads' exceptions as retrieved when one fails, so nothing is logged as lost.
    request, reviews, operations = await asyncio.gather(
        api.deploy_requests.get(org, database, number),
        api.deploy_requests.reviews(org, database, number),
        api.deploy_requests.operations(org, database, number),
    )
    return snapshot(
        request, database=database, reviews=reviews.data, operations=operations.data,
        more_operations=operations.next_page is not None, as_of=now,
    )


def queue_entry(deployment: Deployment) -> QueueEntry:
    return QueueEntry(
        number=deployment.deploy_request_number, state=deployment.state, into_branch=deployment.into_branch,
        queued_at=deployment.queued_at,
    )
