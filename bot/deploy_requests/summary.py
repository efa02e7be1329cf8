"""The records cards, commands and digests work from, read from PlanetScale's models in one place.

`Summary` is what a list line, a reply or a digest shows of a deploy request; `Snapshot` adds what a card shows
from two more reads (its reviews and its operations) and when it was read. Both keep PlanetScale's states as the
strings it sent, so a state added later still reads (bot/deploy_requests/lifecycle.py decides what they allow).
A card stores its last `Snapshot` as JSON (bot/cards/store.py): fields added later need defaults.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from bot.deploy_requests import lifecycle
from bot.deploy_requests.losses import Loss, losses
from bot.planetscale import PlanetScaleAPI
from bot.planetscale.models import (
    Actor,
    Deployment,
    DeployOperation,
    DeployRequest,
    DeployReview,
    OperationState,
    ReviewState,
    User,
)


@dataclass(frozen=True)
class Person:
    """Someone PlanetScale names: their PlanetScale user id (so a linked person can be shown as themselves in Slack)
    and the name PlanetScale shows."""

    id: str | None
    name: str

    @classmethod
    def of(cls, someone: Actor | User | None) -> Person | None:
        if someone is None:
            return None
        return cls(id=someone.id, name=someone.display_name or getattr(someone, "name", None) or someone.id)


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
    author_id: str | None = None
    deployed_by: Person | None = None  # who added it to the deploy queue
    applied_by: Person | None = None  # who started the cutover of a gated deploy
    closed_by: Person | None = None
    approval_required: bool = False  # the database's `require_approval_for_deploy`, where it was read
    cutover_blocked: bool = False  # the cutover waits for a table lock held by other queries


@dataclass(frozen=True)
class Operation:
    """One schema change of a deploy request."""

    table: str | None
    operation: str | None
    ddl: str | None
    can_drop_data: bool | None = None  # PlanetScale's flag: deploying it may lose rows or values


@dataclass(frozen=True, kw_only=True)
class Snapshot(Summary):
    """A deploy request as read at `as_of`, with its approvers and schema changes."""

    database: str
    operations: tuple[Operation, ...]
    progress_percentage: float | None  # only while the schema change copies
    eta_seconds: float | None
    as_of: datetime
    more_operations: bool = False  # PlanetScale has more operations than the one page read
    approvers: tuple[Person, ...] = ()  # the approvals that stand (PlanetScale dismisses older ones)
    admins: tuple[Person, ...] = ()  # who could approve it, read only while it waits for their approval
    losses: tuple[Loss, ...] = ()  # what deploying its schema changes would lose


@dataclass(frozen=True)
class QueueEntry:
    """A deployment in a database's deploy queue: queued, or holding the queue (running, waiting to be applied, in
    its revert window, failed). Its deploy request is still being deployed, so it counts as open."""

    number: int
    deployment_state: str  # DeploymentState values
    into_branch: str | None
    queued_at: datetime | None
    state: str = "open"


def summarize(request: DeployRequest, *, approval_required: bool = False) -> Summary:
    """`approval_required`: the database's `require_approval_for_deploy`, for those who read the database too."""
    deployment = request.deployment
    queued = deployment is not None and deployment.queued_at is not None
    return Summary(
        number=request.number,
        branch=request.branch,
        into_branch=request.into_branch,
        state=request.state,
        deployment_state=request.deployment_state,
        approved=request.approved,
        author=request.actor.display_name if request.actor else None,
        author_id=request.actor.id if request.actor else None,
        notes=request.notes or None,
        created_at=request.created_at,
        html_url=request.html_url,
        lint_errors=tuple(
            f"{error.get('table_name') or '?'}: "
            f"{error.get('error_description') or error.get('lint_error') or 'lint error'}"
            for error in (deployment.lint_errors if deployment else [])
        ),
        deploy_check_errors=_other_check_errors(deployment),
        queue_position=(
            len(deployment.preceding_deployments) + 1 if deployment and lifecycle.is_queued(request) else None
        ),
        revert_deadline=revert_deadline(request),
        gated=bool(deployment and deployment.auto_cutover is False),
        updated_at=request.updated_at,
        instant_eligible=bool(deployment and deployment.instant_ddl_eligible),
        # Before it is queued, PlanetScale names a placeholder ("Ghost") as the deployment's actor.
        deployed_by=Person.of(deployment.actor) if deployment and queued else None,
        applied_by=Person.of(deployment.cutover_actor) if deployment and deployment.auto_cutover is False else None,
        closed_by=Person.of(request.closed_by),
        approval_required=approval_required,
        cutover_blocked=bool(deployment and deployment.table_locked and lifecycle.is_cutting_over(request)),
    )


def _other_check_errors(deployment: Deployment | None) -> str | None:
    """The deploy-check errors that are not the lint errors again: PlanetScale may repeat a lint error's description
    among its deploy-check errors, and a card would then say the same thing twice."""
    if deployment is None or not deployment.deploy_check_errors:
        return None
    said = {str(error.get("error_description") or "").strip() for error in deployment.lint_errors}
    rest = [
        part.strip() for part in re.split(r";\s*|\n", deployment.deploy_check_errors)
        if part.strip() and part.strip() not in said
    ]
    return "; ".join(rest) or None


_MOMENT = TypeAdapter(datetime)


def revert_deadline(request: DeployRequest) -> datetime | None:
    """When the revert window of a deployed request ends: PlanetScale's `waiting_period_end_at` on the deployment's
    revert request, else 30 minutes after the deployment finished (in PlanetScale's example the two agree:
    https://planetscale.com/docs/api/webhook-events, "Deploy request schema applied"). The cutover is earlier than
    both, so counting from it would end the window too soon."""
    deployment = request.deployment
    if deployment is None or not lifecycle.in_revert_window(request):
        return None
    ends = (deployment.deployment_revert_request or {}).get("waiting_period_end_at")
    if ends is not None:
        try:
            return _MOMENT.validate_python(ends)
        except ValidationError:
            pass
    return deployment.finished_at + lifecycle.REVERT_WINDOW if deployment.finished_at else None


def standing_approvals(request: DeployRequest, reviews: Iterable[DeployReview]) -> tuple[Person, ...]:
    """The approvals that still count, each approver once.

    PlanetScale dismisses an approval when the branch's schema changes after it ("an approval is automatically
    dismissed if the proposed changes are updated after the deploy request is approved", https://planetscale.com/
    docs/vitess/schema-changes/deploy-requests). Its API has no way to mark the review: a review's `state` is only
    `commented` or `approved` (planetscale/openapi.json), so the dismissed approval stays in the list as it was,
    while the deploy request's `approved` turns false and planetscale-bot adds a comment. So an approval stands only
    while `approved` is true, and only if it is no older than the schema the deployment was computed from
    (`deployment.schema_last_updated_at`): after the author pushes again and one admin approves anew, the old
    approvals of others still do not count."""
    if not request.approved:
        return ()
    since = request.deployment.schema_last_updated_at if request.deployment else None
    approvers: list[Person] = []
    for review in reviews:
        person = Person.of(review.actor)
        if review.state != ReviewState.APPROVED or person is None or person in approvers:
            continue
        if since is not None and review.created_at is not None and review.created_at < since:
            continue
        approvers.append(person)
    return tuple(approvers)


def who_can_approve(request: DeployRequest, admins: Iterable[User]) -> tuple[Person, ...]:
    """The organization's administrators, less the author where there are others: "If there is more than one
    administrator, self-approval is not allowed" (https://planetscale.com/docs/vitess/schema-changes/deploy-requests).
    """
    people = [person for person in map(Person.of, admins) if person is not None]
    author = request.actor.id if request.actor else None
    others = [person for person in people if person.id != author]
    return tuple(others if len(people) > 1 else people)


def schema_changes(operations: Iterable[DeployOperation]) -> tuple[Operation, ...]:
    return tuple(
        Operation(
            table=operation.table_name, operation=operation.operation_name, ddl=operation.ddl_statement,
            can_drop_data=operation.can_drop_data,
        )
        for operation in operations
    )


def snapshot(
    request: DeployRequest, *, database: str, reviews: Iterable[DeployReview], operations: list[DeployOperation],
    more_operations: bool, as_of: datetime, approval_required: bool = False, admins: Iterable[User] = (),
) -> Snapshot:
    running = [
        operation for operation in operations
        if operation.state == OperationState.IN_PROGRESS and operation.progress_percentage is not None
    ] if lifecycle.is_copying(request) else []
    etas = [operation.eta_seconds for operation in running if operation.eta_seconds is not None]
    changes = schema_changes(operations)
    return Snapshot(
        **vars(summarize(request, approval_required=approval_required)),
        database=database,
        approvers=standing_approvals(request, reviews),
        admins=who_can_approve(request, admins),
        operations=changes,
        losses=losses(changes),
        more_operations=more_operations,
        progress_percentage=(
            sum(operation.progress_percentage or 0.0 for operation in running) / len(running) if running else None
        ),
        eta_seconds=max(etas) if etas else None,
        as_of=as_of,
    )


async def read_snapshot(api: PlanetScaleAPI, *, org: str, database: str, number: int, now: datetime) -> Snapshot:
    """Everything a card shows, in four reads made at once, and a fifth for the organization's administrators when
    the deploy request waits for one of them to approve it."""
    # gather marks the other reads' exceptions as retrieved when one fails, so nothing is logged as lost.
    request, reviews, operations, settings = await asyncio.gather(
        api.deploy_requests.get(org, database, number),
        api.deploy_requests.reviews(org, database, number),
        api.deploy_requests.operations(org, database, number),
        api.databases.get(org, database),
    )
    required = settings.require_approval_for_deploy
    waiting = lifecycle.waits_for_approval(summarize(request, approval_required=required))
    admins = await api.organizations.admins(org) if waiting else []
    return snapshot(
        request, database=database, reviews=reviews.data, operations=operations.data,
        more_operations=operations.next_page is not None, as_of=now, approval_required=required, admins=admins,
    )


def queue_entry(deployment: Deployment) -> QueueEntry:
    return QueueEntry(
        number=deployment.deploy_request_number, deployment_state=deployment.state, into_branch=deployment.into_branch,
        queued_at=deployment.queued_at,
    )
