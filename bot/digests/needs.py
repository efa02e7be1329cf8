"""What an open deploy request needs next, for grouping a digest. Unknown future states fall under "Other"."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.planetscale.models import DeployRequest

STALE_AFTER = timedelta(days=3)
GROUPS = (
    "Awaiting review",
    "Approved, not deployed",
    "Deploying",
    "Waiting to be applied",
    "In the revert window",
    "Blocked",
    "Stale",
    "Other",
)
_DEPLOYING = {"queued", "submitting", "in_progress", "in_progress_vschema", "in_progress_cutover",
              "in_progress_cancel", "in_progress_revert", "in_progress_revert_vschema"}
_BLOCKED = {"error", "complete_error", "complete_revert_error"}
_WAITING = {"pending", "ready", "no_changes", "cancelled", "complete_cancel"}


def what_it_needs(request: DeployRequest, *, now: datetime) -> str:
    state = request.deployment_state
    deployment = request.deployment
    if state in _DEPLOYING:
        return "Deploying"
    if state == "pending_cutover":
        return "Waiting to be applied"
    if state == "complete_pending_revert":
        return "In the revert window"
    if state in _BLOCKED or (deployment is not None and (deployment.lint_errors or deployment.deploy_check_errors)):
        return "Blocked"
    if state not in _WAITING:
        return "Other"
    if request.updated_at is not None and now - request.updated_at > STALE_AFTER:
        return "Stale"
    return "Approved, not deployed" if request.approved else "Awaiting review"
