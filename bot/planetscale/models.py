"""Pydantic models of the PlanetScale API responses the bot reads (hand-written from planetscale/openapi.json).

Only what the bot uses is declared; everything else PlanetScale sends is kept (`extra="allow"`) and never breaks
parsing. Identity fields are required; the rest have defaults, so a field PlanetScale drops later degrades one
detail instead of a whole reply. States are plain strings with the known values as `StrEnum` constants, because
PlanetScale adds states over time and a new one must not make a deploy request unreadable.
tests/planetscale/test_models_match_spec.py proves every declared field exists in the spec with a compatible type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

__all__ = [
    "Actor",
    "Branch",
    "BranchSchema",
    "CountedPage",
    "Database",
    "DeployOperation",
    "DeployRequest",
    "DeployRequestState",
    "DeployReview",
    "Deployment",
    "DeploymentState",
    "LintError",
    "MemberRole",
    "OperationState",
    "Organization",
    "OrganizationMember",
    "OrganizationSummary",
    "Page",
    "Password",
    "PasswordBranch",
    "PasswordRole",
    "Region",
    "ReviewState",
    "TableSchema",
    "User",
    "Webhook",
]


class PlanetScaleModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


# ----- known values (compare with ==; unknown values still parse) ---------------------------------------------------


class DeployRequestState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DeploymentState(StrEnum):
    """`deployment_state` / `deployment.state`, docs/reference/planetscale-api.md §5."""

    PENDING = "pending"
    READY = "ready"
    NO_CHANGES = "no_changes"
    QUEUED = "queued"
    SUBMITTING = "submitting"
    IN_PROGRESS = "in_progress"
    PENDING_CUTOVER = "pending_cutover"
    IN_PROGRESS_VSCHEMA = "in_progress_vschema"
    IN_PROGRESS_CANCEL = "in_progress_cancel"
    IN_PROGRESS_CUTOVER = "in_progress_cutover"
    COMPLETE = "complete"
    COMPLETE_CANCEL = "complete_cancel"
    COMPLETE_ERROR = "complete_error"
    COMPLETE_PENDING_REVERT = "complete_pending_revert"
    IN_PROGRESS_REVERT = "in_progress_revert"
    IN_PROGRESS_REVERT_VSCHEMA = "in_progress_revert_vschema"
    COMPLETE_REVERT = "complete_revert"
    COMPLETE_REVERT_ERROR = "complete_revert_error"
    CANCELLED = "cancelled"
    ERROR = "error"


class OperationState(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    ERROR = "error"


class ReviewState(StrEnum):
    COMMENTED = "commented"
    APPROVED = "approved"


class MemberRole(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


class PasswordRole(StrEnum):
    READER = "reader"
    WRITER = "writer"
    READWRITER = "readwriter"
    ADMIN = "admin"


# ----- people and places --------------------------------------------------------------------------------------------


class Actor(PlanetScaleModel):
    id: str
    display_name: str
    avatar_url: str | None = None


class OrganizationSummary(PlanetScaleModel):
    """The `default_organization` inside a user."""

    id: str
    name: str


class User(PlanetScaleModel):
    id: str
    display_name: str | None = None
    name: str | None = None
    email: str | None = None
    avatar_url: str | None = None
    default_organization: OrganizationSummary | None = None
    created_at: datetime | None = None


class Organization(PlanetScaleModel):
    id: str
    name: str
    plan: str | None = None
    database_count: int | None = None
    sso: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class OrganizationMember(PlanetScaleModel):
    """A membership: who, and whether they administer the organization (admins approve deploy requests)."""

    id: str
    role: str  # MemberRole values
    user: User


class Region(PlanetScaleModel):
    id: str | None = None
    slug: str
    display_name: str | None = None
    provider: str | None = None
    location: str | None = None


class Database(PlanetScaleModel):
    id: str
    name: str
    state: str | None = None  # pending|importing|sleep_in_progress|sleeping|awakening|import_ready|ready
    kind: str | None = None  # mysql|postgresql (deploy requests and passwords are MySQL/Vitess only)
    ready: bool | None = None
    default_branch: str | None = None
    require_approval_for_deploy: bool = False
    branches_count: int | None = None
    production_branches_count: int | None = None
    development_branches_count: int | None = None
    sharded: bool | None = None
    plan: str | None = None
    region: Region | None = None
    html_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Branch(PlanetScaleModel):
    id: str
    name: str
    parent_branch: str | None = None
    production: bool = False
    safe_migrations: bool | None = None
    ready: bool | None = None
    schema_ready: bool | None = None
    state: str | None = None  # pending|sleep_in_progress|sleeping|awakening|ready
    kind: str | None = None
    deletion_protected: bool | None = None
    sharded: bool | None = None
    actor: Actor | None = None
    region: Region | None = None
    html_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    schema_last_updated_at: datetime | None = None


class TableSchema(PlanetScaleModel):
    name: str
    raw: str
    html: str | None = None


class BranchSchema(PlanetScaleModel):
    """`GET …/branches/{branch}/schema`: one entry per table."""

    data: list[TableSchema] = Field(default_factory=list)


class LintError(PlanetScaleModel):
    lint_error: str
    subject_type: str | None = None  # table|vschema|routing_rules
    keyspace_name: str | None = None
    table_name: str | None = None
    column_name: str | None = None
    error_description: str | None = None
    docs_url: str | None = None


# ----- deploy requests ----------------------------------------------------------------------------------------------


class DeployOperation(PlanetScaleModel):
    id: str
    state: str  # OperationState values
    keyspace_name: str | None = None
    table_name: str | None = None
    operation_name: str | None = None
    ddl_statement: str | None = None
    eta_seconds: float | None = None
    progress_percentage: float | None = None
    can_drop_data: bool | None = None
    table_locked: bool | None = None
    deploy_errors: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Deployment(PlanetScaleModel):
    """A deploy request's deployment; also the items of the deploy queue."""

    id: str
    state: str  # DeploymentState values
    deploy_request_number: int
    into_branch: str | None = None
    deployable: bool | None = None
    auto_cutover: bool | None = None
    auto_delete_branch: bool | None = None
    instant_ddl: bool | None = None
    instant_ddl_eligible: bool | None = None
    deploy_check_errors: str | None = None
    # The spec leaves these objects open (`additionalProperties: true`), so they stay plain dicts.
    lint_errors: list[dict[str, Any]] = Field(default_factory=list)
    preceding_deployments: list[dict[str, Any]] = Field(default_factory=list)
    deploy_operations: list[DeployOperation] = Field(default_factory=list)
    queue_paused: bool | None = None
    queue_pause_reason: str | None = None
    cutover_expiring: bool | None = None
    table_locked: bool | None = None
    locked_table_name: str | None = None
    actor: Actor | None = None
    cutover_actor: Actor | None = None
    cancelled_actor: Actor | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    queued_at: datetime | None = None
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    ready_to_cutover_at: datetime | None = None
    cutover_at: datetime | None = None
    force_cutover_requested_at: datetime | None = None
    # When the branch schema this deployment would apply last changed: an approval given before it was dismissed.
    schema_last_updated_at: datetime | None = None
    # Once deployed, the revert PlanetScale keeps ready; its `waiting_period_end_at` ends the revert window. The spec
    # leaves it open, so it stays a dict (bot/deploy_requests/summary.py reads it).
    deployment_revert_request: dict[str, Any] | None = None


class DeployRequest(PlanetScaleModel):
    id: str
    number: int
    branch: str
    into_branch: str
    state: str  # DeployRequestState values
    deployment_state: str  # DeploymentState values
    approved: bool = False
    actor: Actor | None = None
    closed_by: Actor | None = None
    notes: str | None = None
    html_url: str | None = None
    num_comments: int | None = None
    branch_deleted: bool | None = None
    deployment: Deployment | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    deployed_at: datetime | None = None


class DeployReview(PlanetScaleModel):
    id: str
    state: str  # ReviewState values
    body: str | None = None
    actor: Actor | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# ----- credentials and webhooks -------------------------------------------------------------------------------------


class PasswordBranch(PlanetScaleModel):
    """The `database_branch` inside a password."""

    id: str | None = None
    name: str
    production: bool | None = None


class Password(PlanetScaleModel):
    """A branch password. `plain_text` is only set in the create response; SecretStr keeps it out of reprs and logs."""

    id: str
    name: str
    role: str | None = None  # PasswordRole values
    username: str | None = None
    plain_text: SecretStr | None = None
    access_host_url: str | None = None
    ttl_seconds: int | None = None
    expires_at: datetime | None = None
    expired: bool | None = None
    replica: bool | None = None
    cidrs: list[str] | None = None
    actor: Actor | None = None
    database_branch: PasswordBranch | None = None
    created_at: datetime | None = None
    last_used_at: datetime | None = None


class Webhook(PlanetScaleModel):
    id: str
    url: str
    secret: SecretStr | None = None  # signs deliveries (X-PlanetScale-Signature)
    enabled: bool | None = None
    events: list[str] = Field(default_factory=list)
    last_sent_result: str | None = None
    last_sent_success: bool | None = None
    last_sent_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# ----- pagination ---------------------------------------------------------------------------------------------------

ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(PlanetScaleModel, Generic[ItemT]):
    """One page of a list; `next_page` is None on the last one.

    A page is also the way through the whole list: `async for item in page` reads this page's items, then those of
    the following pages, each fetched (at this page's size) only when the reader gets to it; `page.items(limit=N)`
    stops after N items. The client makes every page it returns able to fetch the next (`read_on_with`); a page
    built by hand ends with its own data.
    """

    data: list[ItemT]
    current_page: int = 1
    per_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    _fetch_page: Callable[[int], Awaitable[Page[ItemT]]] | None = PrivateAttr(default=None)

    def read_on_with(self, fetch_page: Callable[[int], Awaitable[Page[ItemT]]]) -> Self:
        """Let iteration fetch the following pages with `fetch_page(page_number)` (the client's job)."""
        self._fetch_page = fetch_page
        return self

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self.items()

    async def items(self, *, limit: int | None = None) -> AsyncIterator[ItemT]:
        """The items from this page on, reading no further than the caller does, nor past `limit` items."""
        page: Page[ItemT] = self
        yielded = 0
        while True:
            for item in page.data:
                if limit is not None and yielded >= limit:
                    return
                yield item
                yielded += 1
            fetch, number = page._fetch_page, page.next_page
            # An empty page ends the list even if it names a next one: following it could loop forever.
            if fetch is None or number is None or not page.data or (limit is not None and yielded >= limit):
                return
            page = await fetch(number)


class CountedPage(Page[ItemT], Generic[ItemT]):
    """A page of a list that also reports its size: databases, branches, deploy requests and passwords.
    (Organizations, reviews, operations, the deploy queue, lint errors and webhooks come without totals.)"""

    total_count: int | None = None
    total_pages: int | None = None
