"""What a card shows, read from PlanetScale: the view model the renderer draws, and the part of it that counts as
the card's state (its fingerprint)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from bot.planetscale import PlanetScaleAPI
from bot.render import card as render

REVERT_WINDOW = timedelta(minutes=30)  # PlanetScale's documented revert window (docs/reference/planetscale-api.md §5)


async def read_view(
    api: PlanetScaleAPI, *, org: str, database: str, number: int, card_id: str, version: int, now: datetime
) -> render.CardView:
    """Everything a card shows, in three reads made at once."""
    # gather marks the other reads' exceptions as retrieved when one fails, so nothing is logged as lost.
    request, reviews, operations = await asyncio.gather(
        api.deploy_requests.get(org, database, number),
        api.deploy_requests.reviews(org, database, number),
        api.deploy_requests.operations(org, database, number),
    )
    approvers: list[str] = []
    for review in reviews.data:
        name = review.actor.display_name if review.actor else None
        if review.state == "approved" and name and name not in approvers:
            approvers.append(name)
    deployment = request.deployment
    state = request.deployment_state
    running = [
        operation for operation in operations.data
        if operation.state == "in_progress" and operation.progress_percentage is not None
    ] if state in ("submitting", "in_progress") else []
    progress = sum(op.progress_percentage or 0.0 for op in running) / len(running) if running else None
    etas = [op.eta_seconds for op in running if op.eta_seconds is not None]
    revert_deadline = None
    if state == "complete_pending_revert":
        applied = (deployment.cutover_at if deployment else None) or request.deployed_at
        revert_deadline = applied + REVERT_WINDOW if applied else None
    lint = tuple(
        f"{error.get('table_name') or '?'}: {error.get('error_description') or error.get('lint_error') or 'lint error'}"
        for error in (deployment.lint_errors if deployment else [])
    )
    return render.CardView(
        card_id=card_id,
        version=version,
        database=database,
        number=number,
        branch=request.branch,
        into_branch=request.into_branch,
        state=request.state,
        deployment_state=state,
        approved=request.approved,
        approved_by=tuple(approvers),
        author=request.actor.display_name if request.actor else None,
        notes=request.notes or None,
        created_at=request.created_at,
        html_url=request.html_url,
        lint_errors=lint,
        deploy_check_errors=deployment.deploy_check_errors if deployment else None,
        operations=tuple(
            render.CardOperation(table=op.table_name, operation=op.operation_name, ddl=op.ddl_statement)
            for op in operations.data
        ),
        queue_position=len(deployment.preceding_deployments) + 1 if deployment and state == "queued" else None,
        progress_percentage=progress,
        eta_seconds=max(etas) if etas else None,
        revert_deadline=revert_deadline,
        gated=bool(deployment and deployment.auto_cutover is False),
        as_of=now,
        updated_at=request.updated_at,
        instant_eligible=bool(deployment and deployment.instant_ddl_eligible),
        more_operations=operations.next_page is not None,
    )


def fingerprint(view: render.CardView) -> str:
    """The part of a card that, when it changes, makes older clicks stale. Progress and ETA are cosmetic."""
    return json.dumps(
        [view.state, view.deployment_state, view.approved, list(view.approved_by), view.stale is None]
    )
