"""The PlanetScale stand-in's in-memory world: accounts, databases, branches, deploy requests and their deployments.

Every public method takes the world's lock, so the HTTP server thread and the test thread can both use it. Deploy
requests move through the deployment state machine of docs/reference/planetscale-api.md §5 on the world's clock:
state is *settled* lazily (before every read or action, and by the webhook sender's ticks) by replaying the timed
transitions that became due, in time order. With a `ManualClock` nothing moves until `advance()`, which keeps tests
deterministic; with the wall clock (the sandbox) the deployments run on their own.

Every move a webhook event exists for is put in `outbox` as a signed-to-be delivery (bot/sandbox/planetscale/
webhooks.py sends them), with the deploy request as it was at that moment, as PlanetScale does.

Rule violations raise `PlanetScaleError`, which the API turns into PlanetScale's `{code, message}` error bodies.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import secrets
import string
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.sandbox.planetscale import views
from bot.sandbox.planetscale.clock import Clock, ManualClock
from bot.sandbox.planetscale.faults import Faults, RequestRecord, ResponseMutator
from bot.sandbox.planetscale.views import instant_ddl_eligible

Role = Literal["admin", "member"]
ReviewState = Literal["commented", "approved"]
# PlanetScale spells a deploy operation's `operation_name` in capitals: the webhook examples of
# https://planetscale.com/docs/api/webhook-events carry `"operation_name": "ALTER"`.
OperationName = Literal["CREATE", "ALTER", "DROP"]
PasswordRole = Literal["reader", "writer", "admin", "readwriter"]
PASSWORD_ROLES: tuple[PasswordRole, ...] = ("reader", "writer", "admin", "readwriter")

# Deployments in these states occupy their database's deploy queue: nothing queued behind them starts.
# complete_pending_revert holds it too (the CLI: "skip the revert to unblock the deploy queue"), and so do the two
# error states until someone unblocks them with complete-deploy.
QUEUE_HOLDING_STATES = frozenset(
    {
        "submitting",
        "in_progress",
        "in_progress_cancel",
        "pending_cutover",
        "in_progress_cutover",
        "in_progress_vschema",
        "complete_pending_revert",
        "in_progress_revert",
        "in_progress_revert_vschema",
        "complete_error",
        "complete_revert_error",
    }
)
CANCELLABLE_STATES = frozenset({"queued", "submitting", "in_progress", "pending_cutover"})
DEPLOYABLE_STATES = frozenset({"ready", "complete_cancel", "cancelled"})
# Before the deployment starts: a change to the branch's schema still changes what would be deployed, so the deploy
# request's operations are recomputed and its approvals dismissed (https://planetscale.com/docs/vitess/schema-changes/
# deploy-requests, "Approvals dismissed on schema changes").
BEFORE_DEPLOYING_STATES = frozenset(
    {"pending", "ready", "no_changes", "error", "queued", "cancelled", "complete_cancel"}
)
# Auto-apply can be switched while nothing has been cut over yet.
AUTO_APPLY_STATES = BEFORE_DEPLOYING_STATES | {"submitting", "in_progress", "pending_cutover"}
# A deploy request whose deployment is under way cannot be closed; it has to be cancelled (or finish) first.
UNCLOSABLE_STATES = (QUEUE_HOLDING_STATES - {"complete_error", "complete_revert_error"}) | {"queued"}
WEBHOOK_EVENTS = (
    "branch.ready",
    "branch.anomaly",
    "branch.out_of_memory",
    "branch.primary_promoted",
    "branch.schema_recommendation",
    "branch.sleeping",
    "branch.start_maintenance",
    "cluster.storage",
    "keyspace.storage",
    "database.access_request",
    "deploy_request.opened",
    "deploy_request.queued",
    "deploy_request.in_progress",
    "deploy_request.pending_cutover",
    "deploy_request.schema_applied",
    "deploy_request.errored",
    "deploy_request.reverted",
    "deploy_request.closed",
    "webhook.test",
)
MAX_WEBHOOKS_PER_DATABASE = 5
FAILURES_BEFORE_DISABLED = 10  # the stand-in's number: PlanetScale does not publish its own
WEBHOOK_TEST_INTERVAL = 20.0  # "You can only send one webhook test every 20 seconds"
# The deploy-request webhook event each deployment state is announced with (docs/reference/planetscale-api.md §6 and
# the examples of https://planetscale.com/docs/api/webhook-events: `schema_applied` carries complete_pending_revert,
# `reverted` carries in_progress_revert, `errored` a failed check or deploy). Closing is announced by `closed`.
STATE_EVENTS = {
    "queued": "deploy_request.queued",
    "in_progress": "deploy_request.in_progress",
    "pending_cutover": "deploy_request.pending_cutover",
    "complete_pending_revert": "deploy_request.schema_applied",
    "error": "deploy_request.errored",
    "complete_error": "deploy_request.errored",
    "in_progress_revert": "deploy_request.reverted",
}
BRANCH_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DEFAULT_TOKEN_LIFETIME = 2_592_000  # 30 days, the documented `expires_in` example


class PlanetScaleError(Exception):
    """A request PlanetScale would refuse; `status`, `code` and `message` become the error response."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found() -> PlanetScaleError:
    # PlanetScale answers with this exact body both for missing resources and for ones the token cannot see.
    return PlanetScaleError(404, "not_found", "Not Found")


def unprocessable(message: str) -> PlanetScaleError:
    return PlanetScaleError(422, "unprocessable", message)


def forbidden(message: str) -> PlanetScaleError:
    return PlanetScaleError(403, "forbidden", message)


@dataclass(frozen=True)
class DeployTimings:
    """How long each timed deployment step takes, in seconds of the world's clock."""

    check_seconds: float = 0.0  # pending → ready / no_changes / error (the deployability check)
    submit_seconds: float = 1.0  # submitting → in_progress
    run_seconds: float = 10.0  # in_progress → pending_cutover (gated) or in_progress_cutover (auto-apply)
    cutover_seconds: float = 1.0  # in_progress_cutover → in_progress_vschema
    vschema_seconds: float = 0.5  # in_progress_vschema → complete_pending_revert, and the same while reverting
    revert_window_seconds: float = 1800.0  # complete_pending_revert → complete (PlanetScale: 30 minutes)
    revert_seconds: float = 5.0  # in_progress_revert → in_progress_revert_vschema
    cancel_seconds: float = 1.0  # in_progress_cancel → complete_cancel


@dataclass
class User:
    id: str
    name: str
    display_name: str
    email: str
    created_at: float


@dataclass
class AccessToken:
    token: str
    user_id: str
    scopes: frozenset[str]
    expires_at: float
    revoked: bool = False


@dataclass
class SchemaChange:
    """One table difference between a branch and its parent, as a deploy request would apply it."""

    table: str
    ddl: str
    operation_name: OperationName
    create_sql: str | None  # the table's schema after the change; None when the change drops it
    can_drop_data: bool  # PlanetScale's flag on the operation: deploying it may lose rows or values


@dataclass
class LintError:
    lint_error: str
    table_name: str
    error_description: str
    column_name: str = ""
    keyspace_name: str = ""
    docs_url: str = "https://planetscale.com/docs/learn/schema-lint"


@dataclass
class Password:
    id: str
    name: str
    role: PasswordRole
    username: str
    plain_text: str
    actor_id: str
    created_at: float
    ttl_seconds: int | None
    expires_at: float | None
    replica: bool
    cidrs: list[str] | None


@dataclass
class Branch:
    id: str
    name: str
    parent_branch: str | None
    production: bool
    safe_migrations: bool
    actor_id: str | None
    created_at: float
    updated_at: float
    tables: dict[str, str] = field(default_factory=dict)
    changes: list[SchemaChange] = field(default_factory=list)
    lint_errors: list[LintError] = field(default_factory=list)
    passwords: dict[str, Password] = field(default_factory=dict)
    schema_last_updated_at: float | None = None


@dataclass
class Review:
    id: str
    actor_id: str
    state: ReviewState
    body: str
    created_at: float
    # Only the world knows: PlanetScale dismissed this approval when the branch's schema changed. Its API has no
    # way to say so on the review (`state` is commented|approved); the deploy request's `approved` turns false.
    dismissed: bool = False


@dataclass
class Operation:
    id: str
    table_name: str
    keyspace_name: str
    operation_name: str
    ddl_statement: str
    state: str
    created_at: float
    updated_at: float
    can_drop_data: bool = False
    deploy_errors: str | None = None


@dataclass
class Deployment:
    id: str
    state: str
    state_since: float
    auto_cutover: bool
    auto_delete_branch: bool
    created_at: float
    updated_at: float
    instant_ddl: bool = False
    deploy_check_errors: str | None = None
    queued_at: float | None = None
    submitted_at: float | None = None
    started_at: float | None = None
    ready_to_cutover_at: float | None = None
    cutover_at: float | None = None
    finished_at: float | None = None
    schema_last_updated_at: float | None = None  # when the branch schema this deployment would apply last changed
    force_cutover_requested_at: float | None = None
    cutover_blocked: bool = False  # a test's long-running transaction holds the table lock the cutover needs
    revert_window_ends_at: float | None = None  # `deployment_revert_request.waiting_period_end_at`
    revert_request_id: str | None = None
    revert_finished_at: float | None = None
    revert_actor_id: str | None = None
    actor_id: str | None = None
    cutover_actor_id: str | None = None
    cancelled_actor_id: str | None = None


@dataclass
class DeployRequest:
    id: str
    number: int
    branch: str
    branch_id: str
    into_branch: str
    notes: str
    actor_id: str
    created_at: float
    updated_at: float
    deployment: Deployment
    operations: list[Operation]
    lint_errors: list[LintError]
    state: Literal["open", "closed"] = "open"
    closed_at: float | None = None
    closed_by_id: str | None = None
    deployed_at: float | None = None
    branch_deleted: bool = False
    branch_deleted_at: float | None = None
    branch_deleted_by_id: str | None = None
    reviews: list[Review] = field(default_factory=list)
    # The target's tables before this deploy request changed them, so a revert can put them back.
    tables_before_deploy: dict[str, str | None] = field(default_factory=dict)

    # What was last announced by webhook: (deployment state, state).
    announced: tuple[str, str] = ("", "open")

    @property
    def approved(self) -> bool:
        return any(review.state == "approved" and not review.dismissed for review in self.reviews)


@dataclass
class Webhook:
    id: str
    url: str
    secret: str
    enabled: bool
    events: list[str]
    created_at: float
    updated_at: float
    last_sent_at: float | None = None
    last_sent_result: str = ""
    last_sent_success: bool = False
    failures_in_a_row: int = 0
    last_test_at: float | None = None


@dataclass(frozen=True)
class Delivery:
    """A webhook event waiting to be sent: the body is fixed when the event happens, as PlanetScale's is."""

    webhook_id: str
    organization: str
    database: str
    event: str
    body: bytes


@dataclass
class Database:
    id: str
    name: str
    organization: str
    created_at: float
    updated_at: float
    require_approval_for_deploy: bool
    default_branch: str
    branches: dict[str, Branch] = field(default_factory=dict)
    deploy_requests: dict[int, DeployRequest] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    # When each target branch's deploy queue last became free: a queued deployment starts no earlier than this.
    queue_free_at: dict[str, float] = field(default_factory=dict)
    kind: Literal["mysql"] = "mysql"

    @property
    def next_number(self) -> int:
        return max(self.deploy_requests, default=0) + 1


@dataclass
class Organization:
    id: str
    name: str
    created_at: float
    members: dict[str, Role] = field(default_factory=dict)
    databases: dict[str, Database] = field(default_factory=dict)

    @property
    def admin_count(self) -> int:
        return sum(1 for role in self.members.values() if role == "admin")


class World:
    """All state of the PlanetScale stand-in; see the module docstring."""

    def __init__(self, *, clock: Clock | None = None, timings: DeployTimings | None = None, seed: int = 0) -> None:
        self.clock: Clock = clock if clock is not None else ManualClock()
        self.timings = timings if timings is not None else DeployTimings()
        self.lock = threading.RLock()
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        # Test-only seam: rewrites a JSON body after the stand-in built it, to prove the conformance check bites.
        self.response_mutator: ResponseMutator | None = None
        self.users: dict[str, User] = {}
        self.organizations: dict[str, Organization] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._random = random.Random(seed)  # noqa: S311  # ids only need to be reproducible, not secret
        # The account PlanetScale acts as when it comments or deploys on its own; the id and name are those of the
        # examples in https://planetscale.com/docs/api/webhook-events. Nobody signs in as it.
        self.planetscale_bot = User(
            id="g2dr4sbhz6ag", name="planetscale-bot", display_name="PlanetScale Bot", email="", created_at=0.0
        )
        # Webhook deliveries not sent yet, and a flag the sender waits on.
        self.outbox: list[Delivery] = []
        self.outbox_ready = threading.Event()
        # PlanetScale delivers only to public https URLs; tests and the sandbox receive on loopback http.
        self.accept_loopback_webhooks = False

    # ----- time -------------------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    def user(self, user_id: str | None) -> User | None:
        """A person, or PlanetScale's own bot account; None for no one."""
        if user_id == self.planetscale_bot.id:
            return self.planetscale_bot
        return self.users.get(user_id) if user_id is not None else None

    def advance(self, seconds: float) -> None:
        """Move the clock forward and run every deployment step that became due."""
        with self.lock:
            self.clock.advance(seconds)
            self.settle()

    def settle(self) -> None:
        """Apply every timed transition that is due by now, in the order they fell due."""
        with self.lock:
            now = self.clock()
            for organization in self.organizations.values():
                for database in organization.databases.values():
                    self._settle_database(database, now)

    # ----- ids --------------------------------------------------------------------------------------------------

    def new_id(self) -> str:
        # PlanetScale ids are 12 lowercase alphanumerics, e.g. "ks8yl6bszv1t".
        return "".join(self._random.choices(string.ascii_lowercase + string.digits, k=12))

    # ----- accounts and tokens ----------------------------------------------------------------------------------

    def add_user(self, name: str, *, display_name: str | None = None, email: str | None = None) -> User:
        with self.lock:
            user = User(
                id=self.new_id(),
                name=name,
                display_name=display_name or name,
                email=email or f"{name.lower().replace(' ', '.')}@example.com",
                created_at=self.now(),
            )
            self.users[user.id] = user
            return user

    def add_organization(self, name: str, *, admins: Sequence[str] = (), members: Sequence[str] = ()) -> Organization:
        with self.lock:
            if name in self.organizations:
                raise ValueError(f"organization {name!r} exists")
            organization = Organization(id=self.new_id(), name=name, created_at=self.now())
            for user_id in admins:
                organization.members[self._user(user_id).id] = "admin"
            for user_id in members:
                organization.members[self._user(user_id).id] = "member"
            self.organizations[name] = organization
            return organization

    def issue_access_token(
        self, user_id: str, scopes: Iterable[str], *, expires_in: int = DEFAULT_TOKEN_LIFETIME
    ) -> str:
        """An OAuth access token for `user_id` carrying `scopes` (wire names such as `organization:read_branches`)."""
        with self.lock:
            self._user(user_id)
            token = "pscale_oauth_" + secrets.token_urlsafe(24)
            self._tokens[token] = AccessToken(
                token=token, user_id=user_id, scopes=frozenset(scopes), expires_at=self.now() + expires_in
            )
            return token

    def revoke_token(self, token: str) -> None:
        with self.lock:
            if token in self._tokens:
                self._tokens[token].revoked = True

    def authenticate(self, token: str) -> AccessToken:
        """The live token for a bearer value; 401 `unauthorized` for an unknown, revoked or expired one."""
        with self.lock:
            grant = self._tokens.get(token)
            if grant is None or grant.revoked or grant.expires_at <= self.now():
                raise PlanetScaleError(401, "unauthorized", "The access token is invalid, expired or revoked.")
            return grant

    # ----- lookups (visibility: a user sees only organizations they belong to) ---------------------------------

    def visible_organizations(self, user_id: str) -> list[Organization]:
        with self.lock:
            return [org for org in self.organizations.values() if user_id in org.members]

    def organization_for(self, user_id: str, organization: str) -> Organization:
        with self.lock:
            found = self.organizations.get(organization)
            if found is None or user_id not in found.members:
                raise not_found()
            return found

    def database_for(self, user_id: str, organization: str, database: str) -> Database:
        with self.lock:
            found = self.organization_for(user_id, organization).databases.get(database)
            if found is None:
                raise not_found()
            return found

    def branch_for(self, user_id: str, organization: str, database: str, branch: str) -> Branch:
        with self.lock:
            found = self.database_for(user_id, organization, database).branches.get(branch)
            if found is None:
                raise not_found()
            return found

    def deploy_request_for(self, user_id: str, organization: str, database: str, number: int) -> DeployRequest:
        with self.lock:
            self.settle()
            found = self.database_for(user_id, organization, database).deploy_requests.get(number)
            if found is None:
                raise not_found()
            return found

    # ----- databases and branches -------------------------------------------------------------------------------

    def add_database(
        self,
        organization: str,
        name: str,
        *,
        require_approval_for_deploy: bool = False,
        tables: dict[str, str] | None = None,
    ) -> Database:
        """A MySQL database whose default branch `main` is production with safe migrations on."""
        with self.lock:
            org = self._organization(organization)
            if name in org.databases:
                raise ValueError(f"database {name!r} exists in {organization!r}")
            now = self.now()
            database = Database(
                id=self.new_id(),
                name=name,
                organization=organization,
                created_at=now,
                updated_at=now,
                require_approval_for_deploy=require_approval_for_deploy,
                default_branch="main",
            )
            database.branches["main"] = Branch(
                id=self.new_id(),
                name="main",
                parent_branch=None,
                production=True,
                safe_migrations=True,
                actor_id=None,
                created_at=now,
                updated_at=now,
                tables=dict(tables or {}),
                schema_last_updated_at=now,
            )
            org.databases[name] = database
            return database

    def create_branch(
        self, organization: str, database: str, *, name: str, actor_id: str | None, parent_branch: str | None = None
    ) -> Branch:
        """A development branch copying its parent's schema (PlanetScale's rules on names and duplicates)."""
        with self.lock:
            db = self._database(organization, database)
            if not BRANCH_NAME.match(name):
                raise unprocessable(
                    "Name can only contain lowercase, alphanumeric characters and dashes, and must start with a "
                    "letter or digit."
                )
            if name in db.branches:
                raise unprocessable(f"Name has already been taken: a branch named {name!r} exists.")
            parent_name = parent_branch or db.default_branch
            parent = db.branches.get(parent_name)
            if parent is None:
                raise unprocessable(f"Parent branch {parent_name!r} does not exist.")
            now = self.now()
            branch = Branch(
                id=self.new_id(),
                name=name,
                parent_branch=parent.name,
                production=False,
                safe_migrations=False,
                actor_id=actor_id,
                created_at=now,
                updated_at=now,
                tables=dict(parent.tables),
                schema_last_updated_at=now,
            )
            db.branches[name] = branch
            return branch

    def add_many_branches(
        self, organization: str, database: str, count: int, *, prefix: str = "branch-", actor_id: str | None = None
    ) -> list[Branch]:
        """`count` development branches named `{prefix}0001`…, e.g. for pagination tests."""
        width = max(4, len(str(count)))
        with self.lock:
            return [
                self.create_branch(organization, database, name=f"{prefix}{index:0{width}d}", actor_id=actor_id)
                for index in range(1, count + 1)
            ]

    def delete_branch(
        self, organization: str, database: str, branch: str, *, actor_id: str, delete_descendants: bool
    ) -> None:
        with self.lock:
            db = self._database(organization, database)
            target = db.branches.get(branch)
            if target is None:
                raise not_found()
            if target.production:
                raise unprocessable(f"Branch {branch!r} is a production branch; demote it before deleting it.")
            children = [child for child in db.branches.values() if child.parent_branch == branch]
            if children and not delete_descendants:
                names = ", ".join(sorted(child.name for child in children))
                raise unprocessable(
                    f"Branch {branch!r} has child branches ({names}); pass delete_descendants=true to delete them too."
                )
            for child in children:
                self.delete_branch(organization, database, child.name, actor_id=actor_id, delete_descendants=True)
            now = self.now()
            for request in db.deploy_requests.values():
                if request.branch_id == target.id:
                    request.branch_deleted = True
                    request.branch_deleted_at = now
                    request.branch_deleted_by_id = actor_id
                    request.updated_at = now
            del db.branches[branch]

    def change_schema(
        self,
        organization: str,
        database: str,
        branch: str,
        *,
        table: str,
        ddl: str,
        create_sql: str | None,
        can_drop_data: bool | None = None,
    ) -> None:
        """Record a schema change on a development branch: `create_sql` is the table afterwards (None = dropped).
        `can_drop_data` is PlanetScale's verdict on the change (say True for a narrowing MODIFY); by default it
        follows the DDL: dropping a table or a column loses data.

        Like a commit pushed to a pull request, it changes the open deploy request of the branch that has not
        started deploying: its operations are recomputed from the branch's schema, an approval it had is dismissed
        with a comment from PlanetScale's bot, and a queued one leaves the deploy queue (https://planetscale.com/docs/
        vitess/schema-changes/deploy-requests, "Approvals dismissed on schema changes")."""
        with self.lock:
            db = self._database(organization, database)
            target = self._branch(organization, database, branch)
            if target.production:
                raise ValueError("safe migrations forbid direct DDL on a production branch; use a deploy request")
            previous = next((change for change in target.changes if change.table == table), None)
            operation: OperationName
            if create_sql is None:
                operation = "DROP"
            elif previous is not None and previous.operation_name == "CREATE":
                operation, ddl = "CREATE", create_sql  # still a table new on this branch: create it as it is now
            else:
                operation = "ALTER" if table in target.tables else "CREATE"
                if previous is not None and previous.operation_name == "ALTER":
                    ddl = _merge_alters(previous.ddl, ddl)
            drops = _drops_data(operation, ddl) if can_drop_data is None else can_drop_data
            if previous is not None and previous.operation_name == "ALTER" and operation == "ALTER":
                drops = drops or previous.can_drop_data
            target.changes = [change for change in target.changes if change.table != table]
            target.changes.append(
                SchemaChange(table=table, ddl=ddl, operation_name=operation, create_sql=create_sql, can_drop_data=drops)
            )
            if create_sql is None:
                target.tables.pop(table, None)
            else:
                target.tables[table] = create_sql
            now = self.now()
            target.schema_last_updated_at = target.updated_at = now
            for request in db.deploy_requests.values():
                if (
                    request.state == "open"
                    and request.branch_id == target.id
                    and request.deployment.state in BEFORE_DEPLOYING_STATES
                ):
                    self._recompute(db, request, target, changed=table, at=now)
            self._settle_database(db, now)

    def _recompute(self, db: Database, request: DeployRequest, source: Branch, *, changed: str, at: float) -> None:
        """The branch of an open deploy request changed: what it would deploy is computed again."""
        request.operations = self._operations_of(source, database=db.name, at=at)
        request.lint_errors = list(source.lint_errors)
        deployment = request.deployment
        deployment.schema_last_updated_at = at
        deployment.deploy_check_errors = None
        deployment.queued_at = None
        valid = [review for review in request.reviews if review.state == "approved" and not review.dismissed]
        for review in valid:
            review.dismissed = True
        if valid:
            # What planetscale-bot comments with; the docs: "the list of changes since the last approval".
            request.reviews.append(
                Review(
                    id=self.new_id(),
                    actor_id=self.planetscale_bot.id,
                    state="commented",
                    body=f"Approval dismissed: the schema changed since it was approved. Changed since the last "
                    f"approval: `{changed}`.",
                    created_at=at,
                )
            )
        # Checked again from the start; a queued deployment leaves the queue and has to be deployed again.
        self._enter(request, "pending", at=at, operations="pending")

    def _operations_of(self, source: Branch, *, database: str, at: float) -> list[Operation]:
        return [
            Operation(
                id=self.new_id(),
                table_name=change.table,
                keyspace_name=database,
                operation_name=change.operation_name,
                ddl_statement=change.ddl,
                state="pending",
                created_at=at,
                updated_at=at,
                can_drop_data=change.can_drop_data,
            )
            for change in source.changes
        ]

    def add_lint_error(
        self,
        organization: str,
        database: str,
        branch: str,
        *,
        table: str,
        lint_error: str,
        description: str,
        column: str = "",
    ) -> None:
        with self.lock:
            self._branch(organization, database, branch).lint_errors.append(
                LintError(lint_error=lint_error, table_name=table, error_description=description, column_name=column)
            )

    # ----- passwords --------------------------------------------------------------------------------------------

    def create_password(
        self,
        organization: str,
        database: str,
        branch: str,
        *,
        actor_id: str,
        name: str | None,
        role: str | None,
        ttl: int | None,
        replica: bool = False,
        cidrs: list[str] | None = None,
    ) -> Password:
        with self.lock:
            target = self._branch(organization, database, branch)
            # The CLI documents the default: reader for replicas, admin otherwise.
            chosen_role = role if role is not None else ("reader" if replica else "admin")
            if chosen_role not in PASSWORD_ROLES:
                raise unprocessable(f"Role must be one of {', '.join(PASSWORD_ROLES)}.")
            if ttl is not None and ttl <= 0:
                raise unprocessable("TTL must be a positive number of seconds.")
            password_name = name or f"pscale-pw-{self.new_id()[:6]}"
            if any(existing.name == password_name for existing in target.passwords.values()):
                raise unprocessable(f"Name has already been taken: a password named {password_name!r} exists.")
            now = self.now()
            password = Password(
                id=self.new_id(),
                name=password_name,
                role=chosen_role,
                username=self.new_id(),
                plain_text="pscale_pw_" + secrets.token_urlsafe(24),
                actor_id=actor_id,
                created_at=now,
                ttl_seconds=ttl,
                expires_at=None if ttl is None else now + ttl,
                replica=replica,
                cidrs=cidrs,
            )
            target.passwords[password.id] = password
            return password

    def delete_password(self, organization: str, database: str, branch: str, password_id: str) -> None:
        with self.lock:
            if self._branch(organization, database, branch).passwords.pop(password_id, None) is None:
                raise not_found()

    # ----- webhooks ---------------------------------------------------------------------------------------------

    def create_webhook(
        self, organization: str, database: str, *, url: str, events: list[str] | None, enabled: bool = True
    ) -> Webhook:
        with self.lock:
            db = self._database(organization, database)
            self._check_webhook_url(url)
            chosen = list(events) if events else ["deploy_request.opened"]
            unknown = [event for event in chosen if event not in WEBHOOK_EVENTS]
            if unknown:
                raise unprocessable(f"Unknown webhook event: {unknown[0]}.")
            if len(db.webhooks) >= MAX_WEBHOOKS_PER_DATABASE:
                raise unprocessable(f"A database can have at most {MAX_WEBHOOKS_PER_DATABASE} webhooks.")
            now = self.now()
            webhook = Webhook(
                id=self.new_id(),
                url=url,
                secret=secrets.token_hex(20),
                enabled=enabled,
                events=chosen,
                created_at=now,
                updated_at=now,
            )
            db.webhooks[webhook.id] = webhook
            return webhook

    def delete_webhook(self, organization: str, database: str, webhook_id: str) -> None:
        with self.lock:
            if self._database(organization, database).webhooks.pop(webhook_id, None) is None:
                raise not_found()

    def _check_webhook_url(self, url: str) -> None:
        """PlanetScale's rules for the URL: HTTPS, "reachable from the internet, no local hosts"
        (https://planetscale.com/docs/api/webhooks). Loopback http passes where the world accepts it."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback and self.accept_loopback_webhooks and parts.scheme in {"http", "https"}:
            return
        if parts.scheme != "https" or not host:
            raise unprocessable("URL must use HTTPS.")
        if loopback or host.endswith((".local", ".internal")):
            raise unprocessable("URL must be reachable from the internet; local hosts are not allowed.")

    def test_webhook(self, organization: str, database: str, webhook_id: str) -> Webhook:
        """Send the webhook a `webhook.test` event; one test per webhook every 20 seconds."""
        with self.lock:
            db = self._database(organization, database)
            webhook = db.webhooks.get(webhook_id)
            if webhook is None:
                raise not_found()
            now = self.now()
            if webhook.last_test_at is not None and now - webhook.last_test_at < WEBHOOK_TEST_INTERVAL:
                raise PlanetScaleError(429, "rate_limited", "You can only send one webhook test every 20 seconds.")
            webhook.last_test_at = now
            self._queue_delivery(db, webhook, "webhook.test", {**views.database_body(db), "type": "Database"})
            return webhook

    # ----- deploy requests --------------------------------------------------------------------------------------

    def create_deploy_request(
        self,
        organization: str,
        database: str,
        *,
        actor_id: str,
        branch: str,
        into_branch: str | None = None,
        notes: str = "",
        auto_cutover: bool | None = None,
        auto_delete_branch: bool = False,
    ) -> DeployRequest:
        """`auto_cutover=None`: "the setting is inherited from the previous deploy request"
        (https://planetscale.com/docs/vitess/schema-changes/deploy-requests, "Gated deployments"), here the
        database's most recent one; auto-apply when there is none."""
        with self.lock:
            self.settle()
            db = self._database(organization, database)
            source = db.branches.get(branch)
            if source is None:
                raise unprocessable(f"Branch {branch!r} does not exist.")
            # The CLI's default when no target is given: the parent branch, else the database's default branch.
            target_name = into_branch or source.parent_branch or db.default_branch
            target = db.branches.get(target_name)
            if target is None:
                raise unprocessable(f"Branch {target_name!r} does not exist.")
            if target.name == source.name:
                raise unprocessable("A deploy request needs two different branches.")
            if not target.safe_migrations:
                raise unprocessable(
                    f"Branch {target.name!r} does not have safe migrations enabled; deploy requests need it."
                )
            if any(
                request.state == "open" and request.branch_id == source.id for request in db.deploy_requests.values()
            ):
                raise unprocessable(f"An open deploy request already exists for branch {branch!r}.")
            if auto_cutover is None:
                previous = db.deploy_requests.get(max(db.deploy_requests, default=0))
                auto_cutover = previous.deployment.auto_cutover if previous is not None else True
            now = self.now()
            number = db.next_number
            request = DeployRequest(
                id=self.new_id(),
                number=number,
                branch=source.name,
                branch_id=source.id,
                into_branch=target.name,
                notes=notes,
                actor_id=actor_id,
                created_at=now,
                updated_at=now,
                deployment=Deployment(
                    id=self.new_id(),
                    state="pending",
                    state_since=now,
                    auto_cutover=auto_cutover,
                    auto_delete_branch=auto_delete_branch,
                    created_at=now,
                    updated_at=now,
                    schema_last_updated_at=source.schema_last_updated_at or now,
                ),
                operations=self._operations_of(source, database=database, at=now),
                lint_errors=list(source.lint_errors),
            )
            db.deploy_requests[number] = request
            self._announce(db, request, "deploy_request.opened")
            self._settle_database(db, now)
            return request

    def review_deploy_request(
        self, organization: str, database: str, number: int, *, actor_id: str, state: ReviewState, body: str = ""
    ) -> Review:
        with self.lock:
            org = self._organization(organization)
            request = self._deploy_request(organization, database, number)
            if request.state != "open":
                raise unprocessable(f"Deploy request #{number} is closed and can no longer be reviewed.")
            if state == "approved":
                if org.members.get(actor_id) != "admin":
                    raise forbidden("Only organization administrators can approve deploy requests.")
                # PlanetScale's docs: self-approval is allowed only for the organization's sole administrator.
                if request.actor_id == actor_id and org.admin_count > 1:
                    raise unprocessable("You cannot approve your own deploy request.")
            now = self.now()
            review = Review(id=self.new_id(), actor_id=actor_id, state=state, body=body, created_at=now)
            request.reviews.append(review)
            request.updated_at = now
            return review

    def deploy(
        self, organization: str, database: str, number: int, *, actor_id: str, instant_ddl: bool = False
    ) -> DeployRequest:
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            deployment = request.deployment
            self._require_open(request)
            if deployment.state == "pending":
                raise unprocessable(f"Deploy request #{number} is still being checked for deployability.")
            if deployment.state == "error":
                raise unprocessable(f"Deploy request #{number} failed its deploy checks and cannot be deployed.")
            if deployment.state == "no_changes":
                raise unprocessable(f"Deploy request #{number} has no schema changes to deploy.")
            if deployment.state not in DEPLOYABLE_STATES:
                raise unprocessable(
                    f"Deploy request #{number} cannot be deployed while its deployment is {deployment.state}."
                )
            if db.require_approval_for_deploy and not request.approved:
                raise unprocessable(
                    f"Deploy request #{number} must be approved by an administrator before it can be deployed."
                )
            if instant_ddl and not instant_ddl_eligible(request):
                raise unprocessable(f"Deploy request #{number} is not eligible for instant deployment.")
            now = self.now()
            deployment.instant_ddl = instant_ddl
            deployment.actor_id = actor_id
            deployment.queued_at = now
            deployment.submitted_at = deployment.started_at = deployment.finished_at = None
            deployment.ready_to_cutover_at = deployment.cutover_at = deployment.force_cutover_requested_at = None
            deployment.cancelled_actor_id = deployment.cutover_actor_id = None
            self._enter(request, "queued", at=now, operations="queued")
            self._announce(db, request)
            self._settle_database(db, now)
            return request

    def cancel(self, organization: str, database: str, number: int, *, actor_id: str) -> DeployRequest:
        """A queued deployment is dropped at once; a running or gated one stops through `in_progress_cancel`."""
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            state = request.deployment.state
            if state not in CANCELLABLE_STATES:
                raise unprocessable(
                    f"Only a queued, running or gated deployment can be cancelled; deploy request #{number} is {state}."
                )
            now = self.now()
            request.deployment.cancelled_actor_id = actor_id
            if state == "queued":
                self._cancelled(db, request, at=now)
            else:
                self._enter(request, "in_progress_cancel", at=now)
            self._announce(db, request)
            self._settle_database(db, now)
            return request

    def apply_deploy(self, organization: str, database: str, number: int, *, actor_id: str) -> DeployRequest:
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            self._require_state(request, "pending_cutover", action="applied")
            now = self.now()
            request.deployment.cutover_actor_id = actor_id
            self._start_cutover(request, at=now)
            self._announce(db, request)
            self._settle_database(db, now)
            return request

    def force_cutover(self, organization: str, database: str, number: int, *, actor_id: str) -> DeployRequest:
        """Stop waiting for the table lock: PlanetScale retries a blocked cutover for up to an hour, and forcing it
        ends the transactions in the way. Only in `in_progress_cutover` (https://planetscale.com/docs/cli/
        deploy-request, docs/reference/planetscale-api.md §5)."""
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            self._require_state(request, "in_progress_cutover", action="forced to cut over")
            now = self.now()
            deployment = request.deployment
            deployment.force_cutover_requested_at = now
            deployment.cutover_blocked = False
            deployment.updated_at = request.updated_at = now
            self._fire(db, request, at=now)  # the lock is taken: the cutover happens now
            self._settle_database(db, now)
            return request

    def set_auto_apply(
        self, organization: str, database: str, number: int, *, enable: bool, actor_id: str
    ) -> DeployRequest:
        """`PUT …/auto-apply`: switch between auto-apply and a gated deploy until the cutover starts. Switching it on
        for a deployment already waiting in `pending_cutover` cuts over now."""
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            self._require_open(request)
            deployment = request.deployment
            if deployment.state not in AUTO_APPLY_STATES:
                raise unprocessable(
                    f"Auto-apply can only be changed before the cutover; deploy request #{number} is "
                    f"{deployment.state}."
                )
            now = self.now()
            deployment.auto_cutover = enable
            deployment.updated_at = request.updated_at = now
            if enable and deployment.state == "pending_cutover":
                deployment.cutover_actor_id = actor_id
                self._start_cutover(request, at=now)
                self._announce(db, request)
            self._settle_database(db, now)
            return request

    def block_cutover(self, organization: str, database: str, number: int) -> None:
        """Test helper: a long-running transaction holds the table lock, so the cutover waits until forced."""
        with self.lock:
            request = self._deploy_request(organization, database, number)
            request.deployment.cutover_blocked = True

    def revert(self, organization: str, database: str, number: int, *, actor_id: str) -> DeployRequest:
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            self._require_state(request, "complete_pending_revert", action="reverted")
            now = self.now()
            request.deployment.revert_actor_id = actor_id
            self._enter(request, "in_progress_revert", at=now)
            self._announce(db, request)
            self._settle_database(db, now)
            return request

    def skip_revert(self, organization: str, database: str, number: int, *, actor_id: str) -> DeployRequest:
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            self._require_state(request, "complete_pending_revert", action="closed without its revert window")
            now = self.now()
            self._finish(db, request, "complete", at=now)
            self._announce(db, request)
            self._settle_database(db, now)
            return request

    def complete_deploy(self, organization: str, database: str, number: int, *, actor_id: str) -> DeployRequest:
        """Unblock the queue after a failed deploy (complete_error) or failed revert (complete_revert_error)."""
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            state = request.deployment.state
            if state == "complete_error":
                self._finish(db, request, "complete", at=self.now())
            elif state == "complete_revert_error":
                self._finish(db, request, "complete_revert", at=self.now())
            else:
                raise unprocessable(
                    f"Only a deployment that failed (complete_error or complete_revert_error) can be completed; "
                    f"deploy request #{number} is {state}."
                )
            self._announce(db, request)
            self._settle_database(db, self.now())
            return request

    def close(self, organization: str, database: str, number: int, *, actor_id: str) -> DeployRequest:
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            self._require_open(request)
            if request.deployment.state in UNCLOSABLE_STATES:
                raise unprocessable(
                    f"Deploy request #{number} cannot be closed while its deployment is {request.deployment.state}; "
                    "cancel it first."
                )
            now = self.now()
            request.state = "closed"
            request.closed_at = now
            request.closed_by_id = actor_id
            request.updated_at = now
            self._announce(db, request)
            return request

    def fail_deployment(
        self, organization: str, database: str, number: int, *, error: str = "Table copy failed."
    ) -> None:
        """Test helper: make a running deploy (or revert) fail, which blocks the deploy queue."""
        with self.lock:
            db = self._database(organization, database)
            request = self._deploy_request(organization, database, number)
            state = request.deployment.state
            now = self.now()
            if state in {"submitting", "in_progress", "in_progress_cutover"}:
                request.deployment.finished_at = now
                for operation in request.operations:
                    operation.deploy_errors = error
                self._enter(request, "complete_error", at=now, operations="error")
            elif state in {"in_progress_revert", "in_progress_revert_vschema"}:
                self._enter(request, "complete_revert_error", at=now)
            else:
                raise ValueError(f"deploy request #{number} is {state}: nothing running to fail")
            self._announce(db, request)

    def deploy_queue(self, organization: str, database: str) -> list[DeployRequest]:
        """Deploy requests whose deployments are queued or hold the queue, in the order they deploy."""
        with self.lock:
            self.settle()
            return self._queue(self._database(organization, database))

    def preceding(self, organization: str, database: str, request: DeployRequest) -> list[DeployRequest]:
        """The deployments ahead of `request` in its target branch's queue (as of the last settling, so a body built
        while the state machine replays a transition shows the queue of that moment)."""
        with self.lock:
            if request.deployment.state != "queued":
                return []
            queue = [
                other
                for other in self._queue(self._database(organization, database))
                if other.into_branch == request.into_branch
            ]
            return queue[: queue.index(request)]

    @staticmethod
    def _queue(db: Database) -> list[DeployRequest]:
        waiting = [
            request
            for request in db.deploy_requests.values()
            if request.deployment.state == "queued" or request.deployment.state in QUEUE_HOLDING_STATES
        ]
        return sorted(waiting, key=lambda request: (request.deployment.queued_at or 0.0, request.number))

    def operation_progress(self, request: DeployRequest) -> tuple[float | None, float | None]:
        """(progress_percentage, eta_seconds) of the running table copy, both None when nothing runs."""
        with self.lock:
            deployment = request.deployment
            if deployment.state == "submitting":
                return 0.0, self.timings.run_seconds
            if deployment.state != "in_progress" or deployment.started_at is None:
                return None, None
            run = max(self.timings.run_seconds, 1e-9)
            elapsed = min(max(self.now() - deployment.started_at, 0.0), run)
            return round(100.0 * elapsed / run, 1), round(run - elapsed, 1)

    # ----- webhooks out ------------------------------------------------------------------------------------------

    def take_deliveries(self) -> list[Delivery]:
        """The deliveries waiting to be sent, oldest first; the sender owns them from now on."""
        with self.lock:
            taken, self.outbox = self.outbox, []
            self.outbox_ready.clear()
            return taken

    def record_delivery(self, delivery: Delivery, *, success: bool, result: str) -> None:
        """What came of sending `delivery`: shown in the webhook's `last_sent_*`. A webhook that keeps failing is
        disabled ("Webhooks that repeatedly fail will be disabled", https://planetscale.com/docs/api/webhooks; how
        many failures PlanetScale allows is not published)."""
        with self.lock:
            webhook = self._database(delivery.organization, delivery.database).webhooks.get(delivery.webhook_id)
            if webhook is None:
                return
            webhook.last_sent_at = self.now()
            webhook.last_sent_success = success
            webhook.last_sent_result = result
            webhook.failures_in_a_row = 0 if success else webhook.failures_in_a_row + 1
            if webhook.failures_in_a_row >= FAILURES_BEFORE_DISABLED:
                webhook.enabled = False

    def _announce(self, db: Database, request: DeployRequest, *events: str) -> None:
        """Queue the webhook events of `events` and of the deploy request's moves since it was last announced."""
        state = (request.deployment.state, request.state)
        names = list(events)
        if state[0] != request.announced[0] and state[0] in STATE_EVENTS:
            names.append(STATE_EVENTS[state[0]])
        if state[1] == "closed" and request.announced[1] != "closed":
            names.append("deploy_request.closed")
        request.announced = state
        resource: dict[str, Any] | None = None
        for name in names:
            for webhook in db.webhooks.values():
                if not webhook.enabled or name not in webhook.events:
                    continue
                if resource is None:  # built once, as the deploy request is at this moment
                    resource = {**views.deploy_request_body(self, db, request), "type": "DeployRequest"}
                self._queue_delivery(db, webhook, name, resource)

    def _queue_delivery(self, db: Database, webhook: Webhook, event: str, resource: dict[str, Any]) -> None:
        payload = {
            "timestamp": int(self.now()),
            "event": event,
            "organization": db.organization,
            "database": db.name,
            "resource": resource,
        }
        self.outbox.append(
            Delivery(
                webhook_id=webhook.id,
                organization=db.organization,
                database=db.name,
                event=event,
                body=json.dumps(payload, separators=(",", ":")).encode(),
            )
        )
        self.outbox_ready.set()

    # ----- the state machine ------------------------------------------------------------------------------------

    def _settle_database(self, db: Database, now: float) -> None:
        while True:
            due: list[tuple[float, int]] = []
            for request in db.deploy_requests.values():
                when = self._due(db, request)
                if when is not None and when <= now:
                    due.append((when, request.number))
            if not due:
                return
            when, number = min(due)
            self._fire(db, db.deploy_requests[number], at=when)

    def _due(self, db: Database, request: DeployRequest) -> float | None:
        deployment = request.deployment
        since = deployment.state_since
        timings = self.timings
        match deployment.state:
            case "pending":
                return since + timings.check_seconds
            case "queued":
                return self._queue_start(db, request)
            case "submitting":
                return since + timings.submit_seconds
            case "in_progress":
                return since + timings.run_seconds
            case "in_progress_cutover":
                return None if deployment.cutover_blocked else since + timings.cutover_seconds
            case "in_progress_vschema" | "in_progress_revert_vschema":
                return since + timings.vschema_seconds
            case "complete_pending_revert":
                return since + timings.revert_window_seconds
            case "in_progress_revert":
                return since + timings.revert_seconds
            case "in_progress_cancel":
                return since + timings.cancel_seconds
            case _:
                return None

    def _queue_start(self, db: Database, request: DeployRequest) -> float | None:
        lane = [other for other in db.deploy_requests.values() if other.into_branch == request.into_branch]
        if any(other.deployment.state in QUEUE_HOLDING_STATES for other in lane):
            return None
        queued = [other for other in lane if other.deployment.state == "queued"]
        head = min(queued, key=lambda other: (other.deployment.queued_at or 0.0, other.number))
        if head is not request:
            return None
        return max(request.deployment.state_since, db.queue_free_at.get(request.into_branch, float("-inf")))

    def _fire(self, db: Database, request: DeployRequest, *, at: float) -> None:
        deployment = request.deployment
        match deployment.state:
            case "pending":
                if request.lint_errors:
                    deployment.deploy_check_errors = "; ".join(e.error_description for e in request.lint_errors)
                    self._enter(request, "error", at=at)
                elif not request.operations:
                    self._enter(request, "no_changes", at=at)
                else:
                    self._enter(request, "ready", at=at)
            case "queued":
                deployment.submitted_at = at
                self._enter(request, "submitting", at=at, operations="in_progress")
            case "submitting":
                deployment.started_at = at
                self._enter(request, "in_progress", at=at)
            case "in_progress":
                deployment.ready_to_cutover_at = at
                if deployment.instant_ddl:
                    # Instant DDL is applied as it is: no copy to cut over and no revert window to announce it by.
                    deployment.cutover_at = request.deployed_at = at
                    self._apply_schema(db, request, at=at)
                    self._finish(db, request, "complete", at=at)
                    self._announce(db, request, "deploy_request.schema_applied")
                elif deployment.auto_cutover:
                    self._start_cutover(request, at=at)
                else:
                    self._enter(request, "pending_cutover", at=at, operations="complete")
            case "in_progress_cutover":
                self._apply_schema(db, request, at=at)
                # The keyspace's VSchema is applied after the tables swap (inferred from the state's name).
                self._enter(request, "in_progress_vschema", at=at, operations="complete")
            case "in_progress_vschema":
                deployment.finished_at = at
                deployment.revert_request_id = self.new_id()
                # PlanetScale's example: `waiting_period_end_at` is 30 minutes after the deployment finished.
                deployment.revert_window_ends_at = at + self.timings.revert_window_seconds
                self._enter(request, "complete_pending_revert", at=at)
            case "complete_pending_revert":
                self._finish(db, request, "complete", at=at)
            case "in_progress_revert":
                self._restore_schema(db, request, at=at)
                self._enter(request, "in_progress_revert_vschema", at=at)
            case "in_progress_revert_vschema":
                deployment.revert_finished_at = at
                self._finish(db, request, "complete_revert", at=at)
            case "in_progress_cancel":
                self._cancelled(db, request, at=at)
            case other:
                raise AssertionError(f"no timed transition from {other}")
        self._announce(db, request)

    @staticmethod
    def _start_cutover(request: DeployRequest, *, at: float) -> None:
        request.deployment.cutover_at = request.deployed_at = at
        World._enter(request, "in_progress_cutover", at=at)

    def _cancelled(self, db: Database, request: DeployRequest, *, at: float) -> None:
        """The deployment is called off: it gives up its place in (or its hold on) the deploy queue."""
        if request.deployment.state in QUEUE_HOLDING_STATES:
            db.queue_free_at[request.into_branch] = at
        request.deployment.finished_at = at
        self._enter(request, "complete_cancel", at=at, operations="cancelled")

    def _apply_schema(self, db: Database, request: DeployRequest, *, at: float) -> None:
        source = db.branches.get(request.branch)
        target = db.branches.get(request.into_branch)
        if target is None:
            return
        changes = source.changes if source is not None and source.id == request.branch_id else []
        request.tables_before_deploy = {change.table: target.tables.get(change.table) for change in changes}
        for change in changes:
            if change.create_sql is None:
                target.tables.pop(change.table, None)
            else:
                target.tables[change.table] = change.create_sql
        if source is not None and source.id == request.branch_id:
            source.changes = []
        target.schema_last_updated_at = at

    @staticmethod
    def _restore_schema(db: Database, request: DeployRequest, *, at: float) -> None:
        target = db.branches.get(request.into_branch)
        if target is None:
            return
        for table, before in request.tables_before_deploy.items():
            if before is None:
                target.tables.pop(table, None)
            else:
                target.tables[table] = before
        target.schema_last_updated_at = at

    def _finish(self, db: Database, request: DeployRequest, state: str, *, at: float) -> None:
        """A terminal deployment state: the queue frees up and the deploy request closes."""
        deployment = request.deployment
        if deployment.state in QUEUE_HOLDING_STATES:
            db.queue_free_at[request.into_branch] = at
        deployment.finished_at = deployment.finished_at or at
        self._enter(request, state, at=at)
        request.state = "closed"
        request.closed_at = request.closed_at or at
        if state == "complete" and deployment.auto_delete_branch:
            source = db.branches.get(request.branch)
            if source is not None and source.id == request.branch_id and not source.production:
                del db.branches[request.branch]
                request.branch_deleted = True
                request.branch_deleted_at = at

    @staticmethod
    def _enter(request: DeployRequest, state: str, *, at: float, operations: str | None = None) -> None:
        request.deployment.state = state
        request.deployment.state_since = at
        request.deployment.updated_at = request.updated_at = at
        if operations is not None:
            for operation in request.operations:
                operation.state = operations
                operation.updated_at = at

    @staticmethod
    def _require_open(request: DeployRequest) -> None:
        if request.state != "open":
            raise unprocessable(f"Deploy request #{request.number} is closed.")

    @staticmethod
    def _require_state(request: DeployRequest, state: str, *, action: str) -> None:
        if request.deployment.state != state:
            raise unprocessable(
                f"Deploy request #{request.number} can only be {action} when its deployment is {state}; "
                f"it is {request.deployment.state}."
            )

    # ----- internal lookups (no visibility rules: for seeds, tests and the methods above) ----------------------

    def _user(self, user_id: str) -> User:
        if user_id not in self.users:
            raise KeyError(f"no user {user_id!r}")
        return self.users[user_id]

    def _organization(self, organization: str) -> Organization:
        found = self.organizations.get(organization)
        if found is None:
            raise not_found()
        return found

    def _database(self, organization: str, database: str) -> Database:
        found = self._organization(organization).databases.get(database)
        if found is None:
            raise not_found()
        return found

    def _branch(self, organization: str, database: str, branch: str) -> Branch:
        found = self._database(organization, database).branches.get(branch)
        if found is None:
            raise not_found()
        return found

    def _deploy_request(self, organization: str, database: str, number: int) -> DeployRequest:
        db = self._database(organization, database)
        self._settle_database(db, self.now())
        found = db.deploy_requests.get(number)
        if found is None:
            raise not_found()
        return found


_KEEPS_DATA = r"(?:INDEX|KEY|UNIQUE|PRIMARY|FOREIGN|CHECK|CONSTRAINT|PARTITION|DEFAULT)\b"
_DROPS_COLUMN = re.compile(r"\bDROP\s+(?:COLUMN\s+)?(?!" + _KEEPS_DATA + r")`?\w", re.IGNORECASE)


def _drops_data(operation: OperationName, ddl: str) -> bool:
    """A dropped table, or an ALTER dropping a column (not an index, key or constraint), loses data."""
    return operation == "DROP" or (operation == "ALTER" and _DROPS_COLUMN.search(ddl) is not None)


def _merge_alters(first: str, second: str) -> str:
    """Two ALTERs of one table as the single statement PlanetScale's diff would show."""
    head = re.match(r"(?is)^\s*ALTER\s+TABLE\s+`?[\w$]+`?\s+", second)
    if head is None or not first.upper().startswith(head.group(0).upper()):
        return f"{first};\n{second}"
    return f"{first.rstrip().rstrip(';')}, {second[head.end():]}"
