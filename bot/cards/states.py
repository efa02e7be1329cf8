"""Which card buttons each deploy-request state offers, and what each button does.

The table follows docs/reference/planetscale-api.md §5. It decides what the card shows and which clicks the
bot will pass on: a click whose action is not valid in the state the card last saw is answered, not sent to
PlanetScale.
"""

from __future__ import annotations

from enum import StrEnum


class CardAction(StrEnum):
    """A card button. The values are the buttons' `action_id`s (docs/interface.md §5)."""

    APPROVE = "dr_approve"
    DEPLOY = "dr_deploy"
    APPLY = "dr_apply"
    CANCEL = "dr_cancel"
    CLOSE = "dr_close"
    REVERT = "dr_revert"
    SKIP_REVERT = "dr_skip_revert"
    UNBLOCK = "dr_unblock"
    DIFF = "dr_diff"
    REFRESH = "dr_refresh"


# The link button to PlanetScale still sends a payload when clicked; it needs a listener that only acks.
OPEN_IN_PLANETSCALE = "dr_open"

# Actions that change the deploy request in PlanetScale (the rest only read).
CHANGING: frozenset[CardAction] = frozenset(CardAction) - {CardAction.DIFF, CardAction.REFRESH}

_REVIEWABLE = frozenset({"pending", "ready", "error", "no_changes", "cancelled", "complete_cancel"})
_DEPLOYABLE = frozenset({"ready", "cancelled", "complete_cancel"})
_CANCELLABLE = frozenset({"queued", "submitting", "in_progress", "pending_cutover"})
_CLOSABLE = frozenset({"pending", "ready", "no_changes", "error", "cancelled", "complete_cancel"})

_VALID: dict[CardAction, frozenset[str]] = {
    CardAction.APPROVE: _REVIEWABLE,
    CardAction.DEPLOY: _DEPLOYABLE,
    CardAction.APPLY: frozenset({"pending_cutover"}),
    CardAction.CANCEL: _CANCELLABLE,
    CardAction.CLOSE: _CLOSABLE,
    CardAction.REVERT: frozenset({"complete_pending_revert"}),
    CardAction.SKIP_REVERT: frozenset({"complete_pending_revert"}),
    CardAction.UNBLOCK: frozenset({"complete_error", "complete_revert_error"}),
}

# Past tense for the card's thread ("deployed by @alice") and present for refusals.
PAST_TENSE: dict[CardAction, str] = {
    CardAction.APPROVE: "Approved",
    CardAction.DEPLOY: "Added to the deploy queue",
    CardAction.APPLY: "Applied the gated deploy",
    CardAction.CANCEL: "Cancelled the deployment",
    CardAction.CLOSE: "Closed",
    CardAction.REVERT: "Started the revert",
    CardAction.SKIP_REVERT: "Skipped the revert window",
    CardAction.UNBLOCK: "Unblocked the deploy queue",
}

# How soon a card is read again: often while a deployment runs (progress, ETA), every minute while it waits for a
# person in a state whose end PlanetScale decides (gated apply, the revert window), and every few minutes while the
# deploy request is open and waiting for review, because PlanetScale sends no webhook for an approval given in its
# web app or CLI. Closed and finished deploy requests are not read again unless somebody asks.
_RUNNING = 5.0
_WAITING = 60.0
_IN_REVIEW = 300.0
_REFRESH_SECONDS: dict[str, float] = {
    "ready": _IN_REVIEW,
    "no_changes": _IN_REVIEW,
    "error": _IN_REVIEW,
    "cancelled": _IN_REVIEW,
    "complete_cancel": _IN_REVIEW,
    "pending": _RUNNING,
    "queued": 10.0,
    "submitting": _RUNNING,
    "in_progress": _RUNNING,
    "in_progress_vschema": _RUNNING,
    "in_progress_cancel": _RUNNING,
    "in_progress_cutover": _RUNNING,
    "in_progress_revert": _RUNNING,
    "in_progress_revert_vschema": _RUNNING,
    "pending_cutover": _WAITING,
    "complete_pending_revert": _WAITING,
}

STATE_LABELS: dict[str, str] = {
    "pending": "Checking whether it can be deployed",
    "ready": "Ready to deploy",
    "no_changes": "No schema changes to deploy",
    "error": "Failed its deploy checks",
    "queued": "Queued for deployment",
    "submitting": "Starting the deployment",
    "in_progress": "Deploying",
    "pending_cutover": "Waiting to be applied (gated deploy)",
    "in_progress_vschema": "Applying",
    "in_progress_cutover": "Applying",
    "in_progress_cancel": "Cancelling",
    "complete": "Deployed",
    "complete_cancel": "Deployment cancelled",
    "cancelled": "Deployment cancelled",
    "complete_error": "Deployment failed; the deploy queue is blocked",
    "complete_pending_revert": "Deployed; can still be reverted",
    "in_progress_revert": "Reverting",
    "in_progress_revert_vschema": "Reverting",
    "complete_revert": "Reverted",
    "complete_revert_error": "Revert failed; the deploy queue is blocked",
}


def refresh_seconds(*, state: str, deployment_state: str) -> float | None:
    """How soon a card in this state is read again; None: only when somebody asks."""
    seconds = _REFRESH_SECONDS.get(deployment_state)
    if state == "closed" and seconds == _IN_REVIEW:
        return None  # closed without deploying: nothing will move it any more
    return seconds


def valid_actions(*, state: str, deployment_state: str) -> tuple[CardAction, ...]:
    """The changing actions a deploy request in this state accepts, in the card's button order."""
    if state != "open" and deployment_state != "complete_pending_revert":
        return tuple(action for action in (CardAction.UNBLOCK,) if deployment_state in _VALID[action])
    return tuple(action for action, states in _VALID.items() if deployment_state in states)


# Before the cutover: while a gated deploy's "waits for Apply changes" is still news.
BEFORE_CUTOVER = frozenset({"pending", "ready", "queued", "submitting", "in_progress", "pending_cutover"})


def awaits_review(*, state: str, deployment_state: str) -> bool:
    """Whether approval still matters: "not approved yet" is noise on a deployed or closed deploy request."""
    return state == "open" and deployment_state in _REVIEWABLE | {"queued"}


def is_valid(action: CardAction, *, state: str, deployment_state: str) -> bool:
    return action not in CHANGING or action in valid_actions(state=state, deployment_state=deployment_state)


def state_label(*, state: str, deployment_state: str) -> str:
    if state == "closed" and deployment_state in _CLOSABLE:
        return "Closed"
    return STATE_LABELS.get(deployment_state, deployment_state.replace("_", " ").capitalize())
