"""Reading PlanetScale's models into the records cards, commands and digests show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.deploy_requests.summary import Operation, snapshot, summarize
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
    cutover = NOW - timedelta(minutes=5)
    deployed = summarize(_request(deployment_state="complete_pending_revert", deployment=_deployment(
        state="complete_pending_revert", cutover_at=cutover.isoformat(),
    )))
    assert deployed.revert_deadline == cutover + timedelta(minutes=30)
    fallback = summarize(_request(deployment_state="complete_pending_revert", deployed_at=cutover.isoformat()))
    assert fallback.revert_deadline == cutover + timedelta(minutes=30)
    assert summarize(_request(deployment_state="complete", deployed_at=cutover.isoformat())).revert_deadline is None


def _operation(number: int, **fields: Any) -> DeployOperation:
    return DeployOperation.model_validate({
        "id": f"op{number}", "state": "in_progress", "table_name": f"t{number}", "operation_name": "ALTER",
        "ddl_statement": f"ALTER TABLE t{number} ADD c int", **fields,
    })


def _review(name: str, state: str) -> DeployReview:
    return DeployReview.model_validate({"id": name, "state": state, "actor": {"id": name, "display_name": name}})


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
    assert copying.approved_by == ("Bob",)
    assert copying.operations[0] == Operation(table="t1", operation="ALTER", ddl="ALTER TABLE t1 ADD c int")
    assert len(copying.operations) == 3
    assert copying.more_operations
    assert (copying.progress_percentage, copying.eta_seconds) == (40.0, 300)
    assert (copying.database, copying.as_of) == ("shop", NOW)
    waiting = snapshot(_request(), database="shop", reviews=[], operations=operations, more_operations=False, as_of=NOW)
    assert (waiting.progress_percentage, waiting.eta_seconds) == (None, None)
