"""The changes a person can make to a deploy request, and the PlanetScale call that makes each one.

Card buttons and `/pscale deploy-request …` commands both act through `perform`, so a change is made the same way
whichever door it came through.
"""

from __future__ import annotations

from enum import StrEnum

from bot.planetscale import PlanetScaleAPI
from bot.planetscale.models import DeployRequest


class Action(StrEnum):
    """A change to a deploy request, in the order a card offers them. The values are the commands' verbs
    (`/pscale deploy-request skip-revert`), so the audit log names a change alike whichever way it was made."""

    APPROVE = "approve"
    DEPLOY = "deploy"
    APPLY = "apply"
    CANCEL = "cancel"
    CLOSE = "close"
    REVERT = "revert"
    SKIP_REVERT = "skip-revert"
    UNBLOCK = "unblock"
    FORCE_CUTOVER = "force-cutover"


async def perform(
    api: PlanetScaleAPI, action: Action, *, org: str, database: str, number: int, comment: str | None = None,
    instant: bool = False,
) -> DeployRequest | None:
    """Make the change with `api`'s grant. Returns the deploy request as PlanetScale left it, or None for an
    approval (PlanetScale answers that with the review). `comment` goes with an approval; `instant` asks an
    instant deploy (which cannot be reverted)."""
    requests = api.deploy_requests
    match action:
        case Action.APPROVE:
            await requests.approve(org, database, number, comment=comment)
            return None
        case Action.DEPLOY:
            return await requests.deploy(org, database, number, instant_ddl=instant)
        case Action.APPLY:
            return await requests.apply_deploy(org, database, number)
        case Action.CANCEL:
            return await requests.cancel(org, database, number)
        case Action.CLOSE:
            return await requests.close(org, database, number)
        case Action.REVERT:
            return await requests.revert(org, database, number)
        case Action.SKIP_REVERT:
            return await requests.skip_revert(org, database, number)
        case Action.UNBLOCK:
            return await requests.complete_deploy(org, database, number)
        case Action.FORCE_CUTOVER:
            return await requests.force_cutover(org, database, number)
