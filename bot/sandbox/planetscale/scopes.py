"""Which OAuth scopes each operation accepts, copied from the "OAuth Scopes" table in each operation's description in
PlanetScale's spec (tests/planetscale_standin checks this table against the vendored spec so it cannot drift).

A token holding none of an operation's scopes gets 404 `not_found` when it cannot even read the resource (PlanetScale
hides what you cannot see) and 403 `forbidden` when it can read it but not change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.planetscale.world import forbidden, not_found


def _scopes(*names: str) -> frozenset[str]:
    return frozenset(names)


READ_USER = _scopes("user:read_user")
READ_ORGANIZATIONS = _scopes("user:read_organizations")
READ_ORGANIZATION = _scopes("user:read_organizations", "organization:read_organization")
READ_MEMBERS = _scopes("organization:read_organization")
READ_DATABASES = _scopes("organization:read_databases")
READ_DATABASE = _scopes("organization:read_databases", "database:read_database")
WRITE_DATABASE = _scopes("organization:write_databases", "database:write_database")
READ_BRANCHES = _scopes("organization:read_branches", "database:read_branches", "branch:read_branch")
WRITE_BRANCHES = _scopes(
    "organization:write_branches",
    "organization:restore_production_branch_backups",
    "organization:restore_backups",
    "database:write_branches",
    "database:restore_production_branch_backups",
    "database:restore_backups",
    "branch:restore_backups",
)
DELETE_BRANCHES = _scopes(
    "organization:delete_branches",
    "organization:delete_production_branches",
    "database:delete_branches",
    "database:delete_production_branches",
    "branch:delete_branch",
)
MANAGE_PASSWORDS = _scopes(
    "organization:manage_passwords",
    "organization:manage_production_branch_passwords",
    "organization:manage_read_only_passwords",
    "organization:manage_production_read_only_passwords",
    "database:manage_passwords",
    "database:manage_production_branch_passwords",
    "database:manage_read_only_passwords",
    "database:manage_production_read_only_passwords",
    "branch:manage_passwords",
    "branch:manage_read_only_passwords",
)
READ_DEPLOY_REQUESTS = _scopes("organization:read_deploy_requests", "database:read_deploy_requests")
WRITE_DEPLOY_REQUESTS = _scopes("organization:write_deploy_requests", "database:write_deploy_requests")
DEPLOY_DEPLOY_REQUESTS = _scopes("organization:deploy_deploy_requests", "database:deploy_deploy_requests")
APPROVE_DEPLOY_REQUESTS = _scopes("organization:approve_deploy_requests", "database:approve_deploy_requests")


@dataclass(frozen=True)
class Access:
    allowed: frozenset[str]  # any one of these lets the token perform the operation
    visible: frozenset[str]  # any one of these lets it see the resource, so a refusal is 403 rather than 404

    def check(self, granted: frozenset[str]) -> None:
        if granted & self.allowed:
            return
        if granted & self.visible:
            raise forbidden("The access token does not have the scope this action needs.")
        raise not_found()


def _read(scopes: frozenset[str]) -> Access:
    return Access(allowed=scopes, visible=scopes)


def _write(scopes: frozenset[str], *, visible: frozenset[str]) -> Access:
    return Access(allowed=scopes, visible=visible)


OPERATION_ACCESS: dict[str, Access] = {
    "get_current_user": _read(READ_USER),
    "list_organizations": _read(READ_ORGANIZATIONS),
    "get_organization": _read(READ_ORGANIZATION),
    "list_organization_members": _read(READ_MEMBERS),
    "list_databases": _read(READ_DATABASES),
    "get_database": _read(READ_DATABASE),
    "list_branches": _read(READ_BRANCHES),
    "get_branch": _read(READ_BRANCHES),
    "get_branch_schema": _read(READ_BRANCHES),
    "lint_branch_schema": _read(READ_BRANCHES),
    "create_branch": _write(WRITE_BRANCHES, visible=READ_BRANCHES),
    "delete_branch": _write(DELETE_BRANCHES, visible=READ_BRANCHES),
    "list_passwords": _write(MANAGE_PASSWORDS, visible=READ_BRANCHES),
    "create_password": _write(MANAGE_PASSWORDS, visible=READ_BRANCHES),
    "delete_password": _write(MANAGE_PASSWORDS, visible=READ_BRANCHES),
    "list_deploy_requests": _read(READ_DEPLOY_REQUESTS),
    "get_deploy_request": _read(READ_DEPLOY_REQUESTS),
    "get_deployment": _read(READ_DEPLOY_REQUESTS),
    "list_deploy_operations": _read(READ_DEPLOY_REQUESTS),
    "list_deploy_request_reviews": _read(READ_DEPLOY_REQUESTS),
    # The spec lists no scopes for the deploy queue (docs/reference/planetscale-api.md §7.6); reading deploy
    # requests is the natural fit.
    "get_deploy_queue": _read(READ_DEPLOY_REQUESTS),
    "create_deploy_request": _write(WRITE_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "close_deploy_request": _write(WRITE_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "review_deploy_request": _write(APPROVE_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "queue_deploy_request": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "cancel_deploy_request": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "update_auto_apply": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "force_cutover_deploy_request": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "complete_gated_deploy_request": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "complete_revert": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "skip_revert_period": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "complete_errored_deploy": _write(DEPLOY_DEPLOY_REQUESTS, visible=READ_DEPLOY_REQUESTS),
    "list_webhooks": _read(READ_DATABASE),
    "create_webhook": _write(WRITE_DATABASE, visible=READ_DATABASE),
    "delete_webhook": _write(WRITE_DATABASE, visible=READ_DATABASE),
    "test_webhook": _write(WRITE_DATABASE, visible=READ_DATABASE),
}

ALL_SCOPES: frozenset[str] = frozenset().union(*(access.allowed for access in OPERATION_ACCESS.values()))
"""Every scope some served operation accepts: a token with these can do everything the stand-in serves."""

BOT_SCOPES: tuple[str, ...] = (
    "user:read_user",
    "user:read_organizations",
    "organization:read_organization",
    "organization:read_databases",
    "organization:read_branches",
    "organization:write_branches",
    "organization:delete_branches",
    "organization:read_deploy_requests",
    "organization:write_deploy_requests",
    "organization:approve_deploy_requests",
    "organization:deploy_deploy_requests",
    "organization:manage_passwords",
)
"""The default `PLANETSCALE_SCOPES` of docs/interface.md §2."""
