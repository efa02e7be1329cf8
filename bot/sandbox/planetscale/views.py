"""JSON bodies in the shapes of PlanetScale's spec, built from the world's records.

Every field the spec marks required is present; values the stand-in does not model (billing, vtgate sizing…) get
fixed, plausible values. Call these with the world's lock held so a body is one consistent snapshot.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the world builds webhook events with these bodies, so it imports this module
    from bot.sandbox.planetscale.world import (
        Branch,
        Database,
        DeployRequest,
        LintError,
        Operation,
        Organization,
        Password,
        Review,
        User,
        Webhook,
        World,
    )

Json = dict[str, Any]
APP_URL = "https://app.planetscale.com"
REGION: Json = {
    "id": "us-east-1x7x9a",
    "provider": "AWS",
    "enabled": True,
    "public_ip_addresses": ["3.209.149.66", "3.215.97.46", "34.193.111.15"],
    "display_name": "AWS us-east-1",
    "location": "Ashburn, Virginia",
    "slug": "us-east",
    "current_default": True,
    "mysql_supported": True,
    "postgresql_supported": True,
}
ACCESS_HOST = "aws.connect.psdb.cloud"


def timestamp(value: float) -> str:
    """PlanetScale's format: ISO 8601 in UTC with milliseconds, e.g. 2026-01-05T09:00:00.000Z."""
    return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(value * 1000) % 1000:03d}Z"


def optional_timestamp(value: float | None) -> str | None:
    return None if value is None else timestamp(value)


def actor(world: World, user_id: str | None) -> Json | None:
    user = world.user(user_id)
    if user is None:
        return None
    return {"id": user.id, "display_name": user.display_name, "avatar_url": avatar_url(user)}


def avatar_url(user: User) -> str:
    return f"https://avatars.planetscale.com/{user.id}.png"


def user_body(world: World, user: User) -> Json:
    organizations = world.visible_organizations(user.id)
    default = organizations[0] if organizations else None
    return {
        "id": user.id,
        "display_name": user.display_name,
        "name": user.name,
        "email": user.email,
        "avatar_url": avatar_url(user),
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.created_at),
        "two_factor_auth_configured": False,
        "default_organization": None
        if default is None
        else {
            "id": default.id,
            "name": default.name,
            "created_at": timestamp(default.created_at),
            "updated_at": timestamp(default.created_at),
            "deleted_at": None,
        },
        "sso": False,
        "managed": False,
        "directory_managed": False,
        "email_verified": True,
    }


def organization_body(organization: Organization) -> Json:
    return {
        "id": organization.id,
        "name": organization.name,
        "billing_email": f"billing@{organization.name}.example.com",
        "created_at": timestamp(organization.created_at),
        "updated_at": timestamp(organization.created_at),
        "plan": "scaler_pro",
        "valid_billing_info": True,
        "sso": False,
        "sso_directory": False,
        "single_tenancy": False,
        "managed_tenancy": False,
        "has_past_due_invoices": False,
        "database_count": len(organization.databases),
        "sso_portal_url": None,
        "features": {},
        "idp_managed_roles": False,
        "invoice_budget_amount": "0.0",
        "keyspace_shard_limit": 32,
        "has_card": True,
        "payment_info_required": False,
    }


def database_body(database: Database) -> Json:
    production = sum(1 for branch in database.branches.values() if branch.production)
    default_branch = database.branches.get(database.default_branch)
    return {
        "id": database.id,
        "name": database.name,
        "url": f"{APP_URL}/{database.organization}/{database.name}",
        "branches_url": f"{APP_URL}/{database.organization}/{database.name}/branches",
        "branches_count": len(database.branches),
        "open_schema_recommendations_count": 0,
        "development_branches_count": len(database.branches) - production,
        "production_branches_count": production,
        "issues_count": 0,
        "multiple_admins_required_for_deletion": False,
        "ready": True,
        "at_backup_restore_branches_limit": False,
        "at_development_branch_usage_limit": False,
        "data_import": None,
        "region": dict(REGION),
        "html_url": f"{APP_URL}/{database.organization}/{database.name}",
        "kind": database.kind,
        "state": "ready",
        "sharded": False,
        "default_branch_shard_count": 1,
        "default_branch_read_only_regions_count": 0,
        "default_branch_table_count": 0 if default_branch is None else len(default_branch.tables),
        "default_branch": database.default_branch,
        "require_approval_for_deploy": database.require_approval_for_deploy,
        "resizing": False,
        "resize_queued": False,
        "allow_data_branching": True,
        "foreign_keys_enabled": True,
        "automatic_migrations": False,
        "restrict_branch_region": False,
        "insights_raw_queries": False,
        "plan": "scaler_pro",
        "insights_enabled": True,
        "production_branch_web_console": False,
        "migration_table_name": None,
        "migration_framework": None,
        "config_change_queued": False,
        "config_changing": False,
        "created_at": timestamp(database.created_at),
        "updated_at": timestamp(database.updated_at),
        "schema_last_updated_at": optional_timestamp(
            None if default_branch is None else default_branch.schema_last_updated_at
        ),
        "deletion_protected": False,
    }


def branch_body(world: World, database: Database, branch: Branch) -> Json:
    return {
        "id": branch.id,
        "name": branch.name,
        "created_at": timestamp(branch.created_at),
        "updated_at": timestamp(branch.updated_at),
        "deleted_at": None,
        "restore_checklist_completed_at": None,
        "schema_last_updated_at": optional_timestamp(branch.schema_last_updated_at),
        "kind": database.kind,
        "mysql_address": f"{ACCESS_HOST}",
        "mysql_edge_address": f"{ACCESS_HOST}",
        "state": "ready",
        "direct_vtgate": False,
        "vtgate_size": "vtg.c1",
        "vtgate_count": 1,
        "vtgate_autoscaling": False,
        "vtgate_max_count": None,
        "vtgate_target_cpu_utilization": None,
        "vtgate_name": None,
        "vtgate_options": {},
        "cluster_name": "PS_10",
        "cluster_iops": None,
        "ready": True,
        "schema_ready": True,
        "metal": False,
        "production": branch.production,
        "safe_migrations": branch.safe_migrations,
        "sharded": False,
        "shard_count": 1,
        "keyspace_count": 1,
        "stale_schema": False,
        "actor": actor(world, branch.actor_id),
        "restored_from_branch": None,
        "private_edge_connectivity": False,
        "has_replicas": branch.production,
        "has_read_only_replicas": False,
        "html_url": f"{APP_URL}/{database.organization}/{database.name}/{branch.name}",
        "url": f"{APP_URL}/{database.organization}/{database.name}/{branch.name}",
        "region": dict(REGION),
        "parent_branch": branch.parent_branch,
        "deletion_protected": False,
    }


def schema_body(branch: Branch) -> Json:
    return {
        "data": [
            {"name": name, "html": f"<pre>{html.escape(raw)}</pre>", "raw": raw}
            for name, raw in sorted(branch.tables.items())
        ]
    }


def lint_error_body(error: LintError) -> Json:
    # The spec marks every field required, even those that only apply to some kinds of error.
    return {
        "lint_error": error.lint_error,
        "subject_type": "table",
        "keyspace_name": error.keyspace_name,
        "table_name": error.table_name,
        "error_description": error.error_description,
        "docs_url": error.docs_url,
        "column_name": error.column_name,
        "foreign_key_column_names": [],
        "auto_increment_column_names": [],
        "charset_name": "",
        "engine_name": "",
        "vindex_name": "",
        "json_path": "",
        "check_constraint_name": "",
        "enum_value": "",
        "partitioning_type": "",
        "partition_name": "",
    }


def password_body(world: World, database: Database, branch: Branch, password: Password, *, reveal: bool) -> Json:
    now = world.now()
    expired = password.expires_at is not None and password.expires_at <= now
    return {
        "id": password.id,
        "name": password.name,
        "role": password.role,
        "cidrs": password.cidrs,
        "created_at": timestamp(password.created_at),
        "deleted_at": None,
        "expires_at": optional_timestamp(password.expires_at),
        "last_used_at": None,
        "expired": expired,
        "direct_vtgate": False,
        "direct_vtgate_addresses": [],
        "ttl_seconds": password.ttl_seconds,
        "access_host_url": ACCESS_HOST,
        "access_host_regional_url": ACCESS_HOST,
        "access_host_regional_urls": [ACCESS_HOST],
        "actor": actor(world, password.actor_id),
        "region": dict(REGION),
        "username": password.username,
        # PlanetScale returns the secret once, in the create response; every later read has null.
        "plain_text": password.plain_text if reveal else None,
        "replica": password.replica,
        "renewable": password.ttl_seconds is not None and not expired,
        "database_branch": {
            "name": branch.name,
            "id": branch.id,
            "production": branch.production,
            "mysql_edge_address": ACCESS_HOST,
            "private_edge_connectivity": False,
        },
    }


def webhook_body(webhook: Webhook) -> Json:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "secret": webhook.secret,
        "enabled": webhook.enabled,
        "last_sent_result": webhook.last_sent_result,
        "last_sent_success": webhook.last_sent_success,
        "last_sent_at": optional_timestamp(webhook.last_sent_at),
        "created_at": timestamp(webhook.created_at),
        "updated_at": timestamp(webhook.updated_at),
        "events": list(webhook.events),
    }


def review_body(world: World, review: Review) -> Json:
    return {
        "id": review.id,
        "body": review.body,
        "html_body": f"<p>{html.escape(review.body)}</p>" if review.body else "",
        "state": review.state,
        "created_at": timestamp(review.created_at),
        "updated_at": timestamp(review.created_at),
        "actor": actor(world, review.actor_id),
    }


def operation_body(world: World, request: DeployRequest, operation: Operation) -> Json:
    progress, eta = world.operation_progress(request)
    if operation.state == "complete":
        progress, eta = 100.0, 0.0
    return {
        "id": operation.id,
        "state": operation.state,
        "keyspace_name": operation.keyspace_name,
        "table_name": operation.table_name,
        "table_locked": False,
        "table_recently_used": False,
        "table_recently_used_at": None,
        "removed_foreign_key_names": [],
        "deploy_error_docs_url": None,
        "deploy_errors": operation.deploy_errors,
        "can_drop_data": operation.can_drop_data,
        "operation_name": operation.operation_name,
        "ddl_statement": operation.ddl_statement,
        "syntax_highlighted_ddl": f"<pre>{html.escape(operation.ddl_statement)}</pre>",
        "eta_seconds": eta,
        "progress_percentage": progress,
        "throttled_at": None,
        "created_at": timestamp(operation.created_at),
        "updated_at": timestamp(operation.updated_at),
    }


def deployment_body(world: World, database: Database, request: DeployRequest, *, with_queue: bool = True) -> Json:
    deployment = request.deployment
    preceding = world.preceding(database.organization, database.name, request) if with_queue else []
    return {
        "id": deployment.id,
        "auto_cutover": deployment.auto_cutover,
        "auto_delete_branch": deployment.auto_delete_branch,
        "created_at": timestamp(deployment.created_at),
        "cutover_at": optional_timestamp(deployment.cutover_at),
        "cutover_expiring": False,
        "deploy_check_errors": deployment.deploy_check_errors,
        "finished_at": optional_timestamp(deployment.finished_at),
        "queued_at": optional_timestamp(deployment.queued_at),
        "ready_to_cutover_at": optional_timestamp(deployment.ready_to_cutover_at),
        "started_at": optional_timestamp(deployment.started_at),
        "state": deployment.state,
        "submitted_at": optional_timestamp(deployment.submitted_at),
        "updated_at": timestamp(deployment.updated_at),
        "into_branch": request.into_branch,
        "deploy_request_number": request.number,
        "deployable": deployment.state in {"ready", "complete_cancel", "cancelled"} and request.state == "open",
        "preceding_deployments": [deployment_body(world, database, other, with_queue=False) for other in preceding],
        "deploy_operations": [operation_body(world, request, operation) for operation in request.operations],
        "deploy_operation_summaries": [],
        "lint_errors": [lint_error_body(error) for error in request.lint_errors],
        "sequential_diff_dependencies": [],
        "lookup_vindex_operations": [],
        "throttler_configurations": None,
        "deployment_revert_request": _revert_request(world, request),
        "actor": actor(world, deployment.actor_id),
        "cutover_actor": actor(world, deployment.cutover_actor_id),
        "cancelled_actor": actor(world, deployment.cancelled_actor_id),
        "schema_last_updated_at": optional_timestamp(deployment.schema_last_updated_at),
        "table_locked": deployment.cutover_blocked,
        "locked_table_name": (
            request.operations[0].table_name if deployment.cutover_blocked and request.operations else None
        ),
        "instant_ddl": deployment.instant_ddl,
        "instant_ddl_eligible": instant_ddl_eligible(request),
        "force_cutover_requested_at": optional_timestamp(deployment.force_cutover_requested_at),
        "queue_paused": False,
        "queue_pause_reason": None,
    }


def _revert_request(world: World, request: DeployRequest) -> Json | None:
    """Once the schema is applied: the revert PlanetScale keeps ready, and when its window ends. The spec leaves this
    object open; the fields are those of the examples in https://planetscale.com/docs/api/webhook-events."""
    deployment = request.deployment
    if deployment.revert_request_id is None or deployment.revert_window_ends_at is None:
        return None
    return {
        "id": deployment.revert_request_id,
        "type": "DeploymentRevert",
        "actor": actor(world, deployment.revert_actor_id or world.planetscale_bot.id),
        "cancelled_at": None,
        "finished_at": optional_timestamp(deployment.revert_finished_at),
        "waiting_period_end_at": timestamp(deployment.revert_window_ends_at),
        "deploy_revert_operations": [
            {
                "id": operation.id,
                "type": "DeployRevertOperation",
                "ddl_statement": operation.ddl_statement,
                "operation_name": operation.operation_name,
                "state": "complete" if deployment.revert_finished_at is not None else "submit",
                "table_name": operation.table_name,
                "created_at": timestamp(operation.created_at),
                "updated_at": timestamp(operation.updated_at),
                "revert_errors": None,
            }
            for operation in request.operations
        ],
    }


def member_body(world: World, organization: Organization, user: User) -> Json:
    """An organization membership (`list_organization_members`)."""
    return {
        "id": f"m{user.id[1:]}",
        "user": user_body(world, user),
        "role": organization.members[user.id],
        "created_at": timestamp(organization.created_at),
        "updated_at": timestamp(organization.created_at),
    }


def deploy_request_body(world: World, database: Database, request: DeployRequest) -> Json:
    return {
        "id": request.id,
        "number": request.number,
        "actor": actor(world, request.actor_id),
        "closed_by": actor(world, request.closed_by_id),
        "branch": request.branch,
        "branch_id": request.branch_id,
        "branch_deleted": request.branch_deleted,
        "branch_deleted_by": actor(world, request.branch_deleted_by_id),
        "branch_deleted_at": optional_timestamp(request.branch_deleted_at),
        "into_branch": request.into_branch,
        "into_branch_sharded": False,
        "into_branch_shard_count": 1,
        "into_branch_keyspace_count": 1,
        "approved": request.approved,
        "state": request.state,
        "deployment_state": request.deployment.state,
        "deployment": deployment_body(world, database, request),
        "num_comments": sum(1 for review in request.reviews if review.body),
        "html_url": f"{APP_URL}/{database.organization}/{database.name}/deploy-requests/{request.number}",
        "notes": request.notes,
        "html_body": f"<p>{html.escape(request.notes)}</p>" if request.notes else "",
        "created_at": timestamp(request.created_at),
        "updated_at": timestamp(request.updated_at),
        "closed_at": optional_timestamp(request.closed_at),
        "deployed_at": optional_timestamp(request.deployed_at),
    }


def instant_ddl_eligible(request: DeployRequest) -> bool:
    # A rough stand-in for Vitess's rules: new tables and added columns can be applied instantly.
    return bool(request.operations) and all(
        operation.operation_name == "CREATE" or "ADD COLUMN" in operation.ddl_statement.upper()
        for operation in request.operations
    )
