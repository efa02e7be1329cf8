"""Reading PlanetScale's models into the records cards, commands and digests show."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.deploy_requests.summary import Operation, Person, snapshot, summarize
from bot.planetscale.models import DeployOperation, DeployRequest, DeployReview
from tests.support.deploy_requests import NOW


def _request(**fields: Any) -> DeployRequest:
    body: dict[str, Any] = {
        "id": "dr1", "number": 7, "branch": "add-index", "into_branch": "main", "state": "open",
        "deployment_state": "ready", "actor": {"id": "u1", "display_name": "Carol"}, "notes": "",
        "created_at": NOW.isoformat(),
    }
    return DeployRequest.model_validate({**body, **fields})


def _deployment(**fields: Any) -> dict[str, Any]:
    return {"id": "d1", "state": "ready", "deploy_request_number": 7, **fields}


def test_a_summary_reads_what_lists_and_replies_show() -> None:
    summary = summarize(_request(deployment=_deployment(
        lint_errors=[{"lint_error": "NO_PK", "table_name": "t"}, {"lint_error": "X", "error_description": "why"}],
        deploy_check_errors="too big", auto_cutover=False, instant_ddl_eligible=True,
    )))
    assert (summary.number, summary.author, summary.notes) == (7, "Carol", None)
    assert summary.lint_errors == ("t: NO_PK", "?: why")
    assert summary.deploy_check_errors == "too big"
    assert summary.gated
    assert summary.instant_eligible
    assert summary.queue_position is None
    assert summary.revert_deadline is None


def test_queue_position_and_revert_deadline_only_in_their_states() -> None:
    queued = summarize(_request(deployment_state="queued", deployment=_deployment(
        state="queued", preceding_deployments=[{"id": "a"}, {"id": "b"}],
    )))
    assert queued.queue_position == 3
    cutover, finished = NOW - timedelta(minutes=5), NOW - timedelta(minutes=4)
    ends = NOW + timedelta(minutes=26, seconds=1)
    # PlanetScale's word on when the window ends is taken as it is.
    deployed = summarize(_request(deployment_state="complete_pending_revert", deployment=_deployment(
        state="complete_pending_revert", cutover_at=cutover.isoformat(), finished_at=finished.isoformat(),
        deployment_revert_request={"id": "r1", "waiting_period_end_at": ends.isoformat()},
    )))
    assert deployed.revert_deadline == ends
    # Without it, 30 minutes from when the deployment finished: never from the (earlier) cutover.
    fallback = summarize(_request(deployment_state="complete_pending_revert", deployment=_deployment(
        state="complete_pending_revert", cutover_at=cutover.isoformat(), finished_at=finished.isoformat(),
    )))
    assert fallback.revert_deadline == finished + timedelta(minutes=30)
    assert summarize(_request(deployment_state="complete", deployed_at=cutover.isoformat())).revert_deadline is None


def _operation(number: int, **fields: Any) -> DeployOperation:
    return DeployOperation.model_validate({
        "id": f"op{number}", "state": "in_progress", "table_name": f"t{number}", "operation_name": "ALTER",
        "ddl_statement": f"ALTER TABLE t{number} ADD c int", **fields,
    })


def _review(name: str, state: str, at: datetime = NOW) -> DeployReview:
    return DeployReview.model_validate(
        {"id": name, "state": state, "actor": {"id": name, "display_name": name}, "created_at": at.isoformat()}
    )


def test_a_snapshot_adds_approvers_schema_changes_and_progress_while_copying() -> None:
    operations = [
        _operation(1, progress_percentage=20.0, eta_seconds=100),
        _operation(2, progress_percentage=60.0, eta_seconds=300),
        _operation(3, state="complete"),
    ]
    reviews = [_review("Bob", "approved"), _review("Dan", "commented"), _review("Bob", "approved")]
    copying = snapshot(
        _request(deployment_state="in_progress", approved=True), database="shop", reviews=reviews,
        operations=operations, more_operations=True, as_of=NOW,
    )
    assert copying.approvers == (Person("Bob", "Bob"),)
    assert copying.operations[0] == Operation(table="t1", operation="ALTER", ddl="ALTER TABLE t1 ADD c int")
    assert len(copying.operations) == 3
    assert copying.more_operations
    assert (copying.progress_percentage, copying.eta_seconds) == (40.0, 300)
    assert (copying.database, copying.as_of) == ("shop", NOW)
    waiting = snapshot(_request(), database="shop", reviews=[], operations=operations, more_operations=False, as_of=NOW)
    assert (waiting.progress_percentage, waiting.eta_seconds) == (None, None)


def test_an_approval_older_than_the_schema_was_dismissed_and_no_longer_counts() -> None:
    """What PlanetScale's API shows after a push to an approved branch: the review still says `approved`, the deploy
    request says `approved: false`, planetscale-bot has commented, and the schema is newer than the approval."""
    pushed = NOW - timedelta(minutes=1)
    reviews = [
        _review("Bob", "approved", NOW - timedelta(minutes=10)),
        _review("PlanetScale Bot", "commented", pushed),
    ]
    deployment = _deployment(schema_last_updated_at=pushed.isoformat())
    dismissed = snapshot(
        _request(approved=False, deployment=deployment), database="shop", reviews=reviews, operations=[],
        more_operations=False, as_of=NOW,
    )
    assert dismissed.approvers == ()
    # Alice approves the new schema: hers stands, Bob's old one still does not.
    again = snapshot(
        _request(approved=True, deployment=deployment), database="shop",
        reviews=[*reviews, _review("Alice", "approved", NOW)], operations=[], more_operations=False, as_of=NOW,
    )
    assert again.approvers == (Person("Alice", "Alice"),)


def test_deploy_check_errors_that_repeat_a_lint_error_are_said_once() -> None:
    lint = [{"lint_error": "NO_PK", "table_name": "t", "error_description": "t has no primary key"}]
    repeated = summarize(_request(deployment=_deployment(lint_errors=lint, deploy_check_errors="t has no primary key")))
    assert (repeated.lint_errors, repeated.deploy_check_errors) == (("t: t has no primary key",), None)
    more = summarize(_request(deployment=_deployment(
        lint_errors=lint, deploy_check_errors="t has no primary key; storage is full"
    )))
    assert more.deploy_check_errors == "storage is full"
