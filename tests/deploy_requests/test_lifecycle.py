"""What each deploy-request state allows, how soon it is read again, and what an open one needs next."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import NamedTuple

import pytest

from bot.deploy_requests.actions import Action
from bot.deploy_requests.lifecycle import (
    Need,
    allowed,
    allows,
    awaits_review,
    offered,
    refresh_seconds,
    waits_for_approval,
    what_it_needs,
)
from bot.planetscale.models import DeploymentState
from tests.support.deploy_requests import NOW, SNAPSHOT


class At(NamedTuple):
    state: str
    deployment_state: str


def test_the_states_table_follows_planetscale() -> None:
    assert allowed(At("open", "ready")) == (Action.APPROVE, Action.DEPLOY, Action.CLOSE)
    assert allowed(At("open", "pending_cutover")) == (Action.APPLY, Action.CANCEL)
    assert allowed(At("open", "complete_pending_revert")) == (Action.REVERT, Action.SKIP_REVERT)
    assert allowed(At("closed", "complete_pending_revert")) == (Action.REVERT, Action.SKIP_REVERT)
    assert allowed(At("open", "complete_error")) == (Action.UNBLOCK,)
    assert allowed(At("closed", "complete_revert_error")) == (Action.UNBLOCK,)
    assert allowed(At("closed", "ready")) == ()
    assert allowed(At("open", "in_progress_revert")) == ()
    assert allowed(At("open", "a_state_added_later")) == ()
    assert allows(Action.DEPLOY, At("open", "cancelled"))
    assert not allows(Action.DEPLOY, At("open", "queued"))


def test_approval_matters_only_while_it_can_still_be_deployed() -> None:
    assert awaits_review(At("open", "ready"))
    assert awaits_review(At("open", "queued"))
    assert not awaits_review(At("open", "complete"))
    assert not awaits_review(At("closed", "ready"))


def test_deploy_requests_are_read_again_while_something_can_still_change_them() -> None:
    assert refresh_seconds(At("open", "in_progress")) == 5.0
    assert refresh_seconds(At("open", "queued")) == 10.0
    assert refresh_seconds(At("open", "complete_pending_revert")) == 60.0
    # PlanetScale sends no webhook for an approval given in its web app: open requests are re-read now and then.
    assert refresh_seconds(At("open", "ready")) == 300.0
    assert refresh_seconds(At("closed", "ready")) is None
    assert refresh_seconds(At("closed", "complete")) is None
    assert refresh_seconds(At("open", "a_state_added_later")) is None


@pytest.mark.parametrize(
    ("deployment_state", "approved", "age", "need"),
    [
        ("pending", False, timedelta(hours=1), Need.REVIEW),
        ("ready", True, timedelta(hours=1), Need.DEPLOY),
        ("ready", True, timedelta(days=4), Need.STALE),
        ("queued", False, timedelta(days=4), Need.DEPLOYING),
        ("in_progress_revert", True, timedelta(hours=1), Need.DEPLOYING),
        ("pending_cutover", True, timedelta(hours=1), Need.APPLY),
        ("complete_pending_revert", True, timedelta(hours=1), Need.REVERT_WINDOW),
        ("error", False, timedelta(hours=1), Need.BLOCKED),
        ("complete_error", True, timedelta(hours=1), Need.BLOCKED),
        ("complete", True, timedelta(hours=1), Need.OTHER),
        ("a_state_added_later", True, timedelta(hours=1), Need.OTHER),
    ],
)
def test_what_an_open_deploy_request_needs_next(
    deployment_state: str, approved: bool, age: timedelta, need: Need
) -> None:
    request = dataclasses.replace(
        SNAPSHOT, deployment_state=deployment_state, approved=approved, updated_at=NOW - age
    )
    assert what_it_needs(request, now=NOW) is need


def test_lint_or_deploy_check_errors_block_a_deploy_request_whatever_its_state_says() -> None:
    assert what_it_needs(dataclasses.replace(SNAPSHOT, lint_errors=("t: bad",)), now=NOW) is Need.BLOCKED
    assert what_it_needs(dataclasses.replace(SNAPSHOT, deploy_check_errors="no"), now=NOW) is Need.BLOCKED


@pytest.mark.parametrize("deployment_state", list(DeploymentState))
def test_every_state_planetscale_declares_is_placed(deployment_state: DeploymentState) -> None:
    """A state the API declares is never left to "Other": that group is for states added after this was written."""
    request = dataclasses.replace(SNAPSHOT, deployment_state=deployment_state.value, updated_at=NOW)
    need = what_it_needs(request, now=NOW)
    assert need is not Need.OTHER or deployment_state in (DeploymentState.COMPLETE, DeploymentState.COMPLETE_REVERT)


class Gate(NamedTuple):
    state: str
    deployment_state: str
    approved: bool
    approval_required: bool


def test_deploy_is_offered_only_when_planetscale_would_accept_it() -> None:
    assert offered(Gate("open", "ready", approved=False, approval_required=True)) == (Action.APPROVE, Action.CLOSE)
    assert waits_for_approval(Gate("open", "ready", approved=False, approval_required=True))
    assert Action.DEPLOY in offered(Gate("open", "ready", approved=True, approval_required=True))
    assert Action.DEPLOY in offered(Gate("open", "ready", approved=False, approval_required=False))
    assert not waits_for_approval(Gate("open", "ready", approved=False, approval_required=False))
    assert not waits_for_approval(Gate("open", "error", approved=False, approval_required=True))  # it waits for a fix
    assert not waits_for_approval(Gate("closed", "ready", approved=False, approval_required=True))


def test_a_cutover_can_be_forced_only_while_it_runs() -> None:
    assert allowed(At("open", "in_progress_cutover")) == (Action.FORCE_CUTOVER,)
    assert Action.FORCE_CUTOVER not in allowed(At("open", "pending_cutover"))
