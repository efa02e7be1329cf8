"""What a deploy request's state allows, how soon it can change, and what an open one waits for.

Built on the states PlanetScale's API declares (`DeploymentState` in bot/planetscale/models.py). The spec gives no
transition rules; the table follows docs/reference/planetscale-api.md §5, which cites PlanetScale's documentation
and CLI for each row. A state PlanetScale adds later is allowed nothing and falls under `Need.OTHER`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import Enum, auto
from typing import Protocol

from bot.deploy_requests.actions import Action
from bot.planetscale.models import DeploymentState, DeployRequestState


class Stage(Protocol):
    """Where a deploy request stands: PlanetScale's `state` (open or closed) and its `deployment_state`. The API's
    `DeployRequest` and the domain's records are all stages."""

    @property
    def state(self) -> str: ...

    @property
    def deployment_state(self) -> str: ...


class Reviewed(Stage, Protocol):
    """A stage and what PlanetScale's approval rule needs: whether the database requires an administrator's approval
    before a deploy (`require_approval_for_deploy`) and whether the deploy request has a standing one."""

    @property
    def approved(self) -> bool: ...

    @property
    def approval_required(self) -> bool: ...


_REVIEWABLE = frozenset({
    DeploymentState.PENDING, DeploymentState.READY, DeploymentState.ERROR, DeploymentState.NO_CHANGES,
    DeploymentState.CANCELLED, DeploymentState.COMPLETE_CANCEL,
})
_DEPLOYABLE = frozenset({DeploymentState.READY, DeploymentState.CANCELLED, DeploymentState.COMPLETE_CANCEL})
_CANCELLABLE = frozenset({
    DeploymentState.QUEUED, DeploymentState.SUBMITTING, DeploymentState.IN_PROGRESS, DeploymentState.PENDING_CUTOVER,
})
_CLOSABLE = _REVIEWABLE  # the same states: what can still be reviewed can still be closed
_BLOCKING_THE_QUEUE = frozenset({DeploymentState.COMPLETE_ERROR, DeploymentState.COMPLETE_REVERT_ERROR})

# In Action's order, which is the order a card shows its buttons in.
_ALLOWED: dict[Action, frozenset[DeploymentState]] = {
    Action.APPROVE: _REVIEWABLE,
    Action.DEPLOY: _DEPLOYABLE,
    Action.APPLY: frozenset({DeploymentState.PENDING_CUTOVER}),
    Action.CANCEL: _CANCELLABLE,
    Action.CLOSE: _CLOSABLE,
    Action.REVERT: frozenset({DeploymentState.COMPLETE_PENDING_REVERT}),
    Action.SKIP_REVERT: frozenset({DeploymentState.COMPLETE_PENDING_REVERT}),
    Action.UNBLOCK: _BLOCKING_THE_QUEUE,
    # PlanetScale takes it only while a cutover waits for its table lock (https://planetscale.com/docs/cli/
    # deploy-request: "only accepted when the deployment is in in_progress_cutover").
    Action.FORCE_CUTOVER: frozenset({DeploymentState.IN_PROGRESS_CUTOVER}),
}


def allowed(request: Stage) -> tuple[Action, ...]:
    """The changes a deploy request in this stage accepts, in Action's order. A closed one can still leave its
    revert window or unblock the queue it blocks, nothing else."""
    if request.state != DeployRequestState.OPEN and not in_revert_window(request):
        return (Action.UNBLOCK,) if request.deployment_state in _BLOCKING_THE_QUEUE else ()
    return tuple(action for action, states in _ALLOWED.items() if request.deployment_state in states)


def allows(action: Action, request: Stage) -> bool:
    return action in allowed(request)


_WAITING_TO_DEPLOY = frozenset({
    DeploymentState.PENDING, DeploymentState.READY, DeploymentState.CANCELLED, DeploymentState.COMPLETE_CANCEL,
})


def waits_for_approval(request: Reviewed) -> bool:
    """Nothing but an administrator's approval stands between it and a deploy PlanetScale would accept."""
    return (
        request.approval_required
        and not request.approved
        and request.state == DeployRequestState.OPEN
        and request.deployment_state in _WAITING_TO_DEPLOY
    )


def offered(request: Reviewed) -> tuple[Action, ...]:
    """What can be asked of PlanetScale with a fair chance of it accepting: what the stage allows, without Deploy
    while the database requires an approval the deploy request does not have (PlanetScale would refuse it)."""
    blocked = request.approval_required and not request.approved
    return tuple(action for action in allowed(request) if not (action is Action.DEPLOY and blocked))


def offers(action: Action, request: Reviewed) -> bool:
    return action in offered(request)


def awaits_review(request: Stage) -> bool:
    """Whether approval still matters: "not approved yet" is noise on a deployed or closed deploy request."""
    return request.state == DeployRequestState.OPEN and (
        request.deployment_state in _REVIEWABLE or request.deployment_state == DeploymentState.QUEUED
    )


def closed_undeployed(request: Stage) -> bool:
    """Closed before anything was deployed: all there is to say of it is that it is closed."""
    return request.state == DeployRequestState.CLOSED and request.deployment_state in _CLOSABLE


_BEFORE_CUTOVER = frozenset({
    DeploymentState.PENDING, DeploymentState.READY, DeploymentState.QUEUED, DeploymentState.SUBMITTING,
    DeploymentState.IN_PROGRESS, DeploymentState.PENDING_CUTOVER,
})


def before_cutover(request: Stage) -> bool:
    """Whether a gated deploy's "waits for Apply changes" is still news."""
    return request.deployment_state in _BEFORE_CUTOVER


def is_queued(request: Stage) -> bool:
    """Waiting in the deploy queue. A deployment that holds the queue (running, waiting to be applied, in its revert
    window, failed) is listed in PlanetScale's deploy queue too, but it is not queued."""
    return request.deployment_state == DeploymentState.QUEUED


def is_cutting_over(request: Stage) -> bool:
    """The tables are being swapped; a cutover that cannot get its table lock can be forced."""
    return request.deployment_state == DeploymentState.IN_PROGRESS_CUTOVER


def is_copying(request: Stage) -> bool:
    """The online schema change is running: its operations report progress and an ETA."""
    return request.deployment_state in (DeploymentState.SUBMITTING, DeploymentState.IN_PROGRESS)


# --- the revert window -------------------------------------------------------------------------------------------

# PlanetScale's documented window (docs/reference/planetscale-api.md §5). The deployment's
# `deployment_revert_request.waiting_period_end_at` says when it ends; this is for a deployment without one.
REVERT_WINDOW = timedelta(minutes=30)


def in_revert_window(request: Stage) -> bool:
    """Deployed, and the changes can still be reverted (or the window skipped)."""
    return request.deployment_state == DeploymentState.COMPLETE_PENDING_REVERT


# --- keeping up with it ------------------------------------------------------------------------------------------

# How soon a deploy request is read again: often while a deployment runs (progress, ETA), every minute while it
# waits for a person in a state whose end PlanetScale decides (gated apply, the revert window), and every few minutes
# while it is open and waiting for review, because PlanetScale sends no webhook for an approval given in its web app
# or CLI. Closed and finished deploy requests are not read again unless somebody asks.
_RUNNING = 5.0
_WAITING = 60.0
_IN_REVIEW = 300.0
_REFRESH_SECONDS: dict[str, float] = {
    DeploymentState.READY: _IN_REVIEW,
    DeploymentState.NO_CHANGES: _IN_REVIEW,
    DeploymentState.ERROR: _IN_REVIEW,
    DeploymentState.CANCELLED: _IN_REVIEW,
    DeploymentState.COMPLETE_CANCEL: _IN_REVIEW,
    DeploymentState.PENDING: _RUNNING,
    DeploymentState.QUEUED: 10.0,
    DeploymentState.SUBMITTING: _RUNNING,
    DeploymentState.IN_PROGRESS: _RUNNING,
    DeploymentState.IN_PROGRESS_VSCHEMA: _RUNNING,
    DeploymentState.IN_PROGRESS_CANCEL: _RUNNING,
    DeploymentState.IN_PROGRESS_CUTOVER: _RUNNING,
    DeploymentState.IN_PROGRESS_REVERT: _RUNNING,
    DeploymentState.IN_PROGRESS_REVERT_VSCHEMA: _RUNNING,
    DeploymentState.PENDING_CUTOVER: _WAITING,
    DeploymentState.COMPLETE_PENDING_REVERT: _WAITING,
}


def refresh_seconds(request: Stage) -> float | None:
    """How soon a deploy request in this stage is read again; None: only when somebody asks."""
    seconds = _REFRESH_SECONDS.get(request.deployment_state)
    if request.state == DeployRequestState.CLOSED and seconds == _IN_REVIEW:
        return None  # closed without deploying: nothing will move it any more
    return seconds


# Moves PlanetScale makes on its own that are news to the people following it (the rest only change the drawing).
_NOTABLE = frozenset({
    DeploymentState.ERROR, DeploymentState.QUEUED, DeploymentState.PENDING_CUTOVER,
    DeploymentState.COMPLETE_PENDING_REVERT, DeploymentState.COMPLETE, DeploymentState.COMPLETE_ERROR,
    DeploymentState.COMPLETE_CANCEL, DeploymentState.CANCELLED, DeploymentState.COMPLETE_REVERT,
    DeploymentState.COMPLETE_REVERT_ERROR,
})


def is_notable(request: Stage) -> bool:
    """Whether arriving in this stage is worth telling (a line in a card's thread), not only redrawing."""
    return request.deployment_state in _NOTABLE or request.state == DeployRequestState.CLOSED


# --- what an open deploy request needs next (the digest's groups) ---------------------------------------------------


class Need(Enum):
    """What an open deploy request waits for, in the order a digest lists them."""

    REVIEW = auto()
    DEPLOY = auto()  # approved, not deployed
    DEPLOYING = auto()
    APPLY = auto()  # a gated deploy waiting to be applied
    REVERT_WINDOW = auto()
    BLOCKED = auto()
    STALE = auto()
    OTHER = auto()  # a state PlanetScale added after this was written


class Waiting(Stage, Protocol):
    """What deciding a deploy request's need reads of it."""

    @property
    def approved(self) -> bool: ...

    @property
    def updated_at(self) -> datetime | None: ...

    @property
    def lint_errors(self) -> Sequence[str]: ...

    @property
    def deploy_check_errors(self) -> str | None: ...


STALE_AFTER = timedelta(days=3)
_DEPLOYING = frozenset({
    DeploymentState.QUEUED, DeploymentState.SUBMITTING, DeploymentState.IN_PROGRESS,
    DeploymentState.IN_PROGRESS_VSCHEMA, DeploymentState.IN_PROGRESS_CUTOVER, DeploymentState.IN_PROGRESS_CANCEL,
    DeploymentState.IN_PROGRESS_REVERT, DeploymentState.IN_PROGRESS_REVERT_VSCHEMA,
})
_BLOCKED = _BLOCKING_THE_QUEUE | {DeploymentState.ERROR}
_AWAITING_PEOPLE = frozenset({
    DeploymentState.PENDING, DeploymentState.READY, DeploymentState.NO_CHANGES, DeploymentState.CANCELLED,
    DeploymentState.COMPLETE_CANCEL,
})


def what_it_needs(request: Waiting, *, now: datetime) -> Need:
    state = request.deployment_state
    if state in _DEPLOYING:
        return Need.DEPLOYING
    if state == DeploymentState.PENDING_CUTOVER:
        return Need.APPLY
    if in_revert_window(request):
        return Need.REVERT_WINDOW
    if state in _BLOCKED or request.lint_errors or request.deploy_check_errors:
        return Need.BLOCKED
    if state not in _AWAITING_PEOPLE:
        return Need.OTHER
    if request.updated_at is not None and now - request.updated_at > STALE_AFTER:
        return Need.STALE
    return Need.DEPLOY if request.approved else Need.REVIEW
