"""Every client method once, over real HTTP against the seeded stand-in (which checks each exchange against the spec).

The seed (bot/sandbox/planetscale/seed.py): org `acme`, databases `shop` (approval required) and `analytics`.
shop #1 ready awaiting approval, #2 deployed and complete, #3 approved and ready, #4 failed lint, #5 closed; analytics
#1 complete, #2 gated in pending_cutover, #3 queued behind #2.
"""

from __future__ import annotations

import pytest

from bot.planetscale import NotFound, PlanetScaleAPI
from bot.planetscale.models import DeploymentState, ReviewState
from tests.support.planetscale import ServedPlanetScale


async def test_reads(alice: PlanetScaleAPI) -> None:
    user = await alice.users.current()
    assert (user.display_name, user.default_organization and user.default_organization.name) == ("Alice Admin", "acme")

    organizations = await alice.organizations.list()
    assert [organization.name for organization in organizations.data] == ["acme"]
    assert (await alice.organizations.get("acme")).name == "acme"

    databases = await alice.databases.list("acme")
    assert (databases.total_count, sorted(db.name for db in databases.data)) == (2, ["analytics", "shop"])
    shop = await alice.databases.get("acme", "shop")
    assert (shop.require_approval_for_deploy, shop.default_branch) == (True, "main")

    branches = await alice.branches.list("acme", "shop", q="add-")
    assert {branch.name for branch in branches.data} >= {"add-orders-index", "add-json-settings"}
    main = await alice.branches.get("acme", "shop", "main")
    assert main.production
    assert main.parent_branch is None
    tables = await alice.branches.schema("acme", "shop", "main")
    assert {table.name for table in tables} == {"users", "orders", "coupons_legacy", "loyalty_points"}  # #2 deployed
    assert "CREATE TABLE `orders`" in next(table.raw for table in tables if table.name == "orders")
    lint = await alice.branches.lint("acme", "shop", "add-json-settings")
    assert [(error.lint_error, error.table_name) for error in lint.data] == [("INVALID_COLUMN_TYPE", "users")]

    open_requests = await alice.deploy_requests.list("acme", "shop", state="open")
    assert {request.number for request in open_requests.data} == {1, 3, 4}
    by_branch = await alice.deploy_requests.list("acme", "shop", branch="add-orders-index", into_branch="main")
    assert [request.number for request in by_branch.data] == [1]
    failed = await alice.deploy_requests.get("acme", "shop", 4)
    assert failed.deployment_state == DeploymentState.ERROR
    reviews = await alice.deploy_requests.reviews("acme", "shop", 2)
    assert [(review.state, review.actor and review.actor.display_name) for review in reviews.data] == [
        ("approved", "Bob Builder")
    ]
    operations = await alice.deploy_requests.operations("acme", "shop", 2)
    assert [(op.table_name, op.state) for op in operations.data] == [("loyalty_points", "complete")]
    deployment = await alice.deploy_requests.deployment("acme", "shop", 2)
    assert (deployment.state, deployment.deploy_request_number) == (DeploymentState.COMPLETE, 2)
    assert (await alice.deploy_queue.list("acme", "shop")).data == []
    queue = await alice.deploy_queue.list("acme", "analytics")
    assert [entry.deploy_request_number for entry in queue.data] == [2, 3]

    passwords = await alice.passwords.list("acme", "shop", "main")
    assert [(password.name, password.plain_text) for password in passwords.data] == [("app-reader", None)]


async def test_branch_create_and_delete(alice: PlanetScaleAPI) -> None:
    created = await alice.branches.create("acme", "shop", "feature-x", parent_branch="main")
    assert (created.name, created.parent_branch, created.production) == ("feature-x", "main", False)
    await alice.branches.delete("acme", "shop", "feature-x")
    with pytest.raises(NotFound) as raised:
        await alice.branches.get("acme", "shop", "feature-x")
    assert raised.value.path == "/organizations/{organization}/databases/{database}/branches/{branch}"


async def test_review_deploy_cancel_close(
    alice: PlanetScaleAPI, bob: PlanetScaleAPI, planetscale: ServedPlanetScale
) -> None:
    approval = await bob.deploy_requests.approve("acme", "shop", 1, comment="Ship it")
    assert (approval.state, approval.body) == (ReviewState.APPROVED, "Ship it")
    comment = await alice.deploy_requests.comment("acme", "shop", 1, body="Deploying after lunch")
    assert comment.state == ReviewState.COMMENTED

    started = await alice.deploy_requests.deploy("acme", "shop", 1)
    assert started.deployment_state == DeploymentState.SUBMITTING  # nothing ahead of it in shop's queue
    cancelled = await alice.deploy_requests.cancel("acme", "shop", 1)
    assert cancelled.deployment_state == DeploymentState.IN_PROGRESS_CANCEL  # a running deployment takes a moment
    planetscale.world.advance(planetscale.world.timings.cancel_seconds)
    assert (await alice.deploy_requests.get("acme", "shop", 1)).deployment_state == DeploymentState.COMPLETE_CANCEL
    closed = await alice.deploy_requests.close("acme", "shop", 1)
    assert closed.state == "closed"
    assert closed.closed_by is not None
    assert closed.closed_by.display_name == "Alice Admin"


async def test_skip_revert_then_revert(
    alice: PlanetScaleAPI, bob: PlanetScaleAPI, planetscale: ServedPlanetScale
) -> None:
    await alice.deploy_requests.deploy("acme", "shop", 3)
    planetscale.world.advance(60)  # deployed, into its revert window
    skipped = await alice.deploy_requests.skip_revert("acme", "shop", 3)
    assert skipped.deployment_state == DeploymentState.COMPLETE
    await bob.deploy_requests.approve("acme", "shop", 1)
    await alice.deploy_requests.deploy("acme", "shop", 1)
    planetscale.world.advance(60)
    reverting = await alice.deploy_requests.revert("acme", "shop", 1)
    assert reverting.deployment_state == DeploymentState.IN_PROGRESS_REVERT


async def test_apply_gated_deploy_then_unblock_a_failure(alice: PlanetScaleAPI, planetscale: ServedPlanetScale) -> None:
    applied = await alice.deploy_requests.apply_deploy("acme", "analytics", 2)
    assert applied.deployment_state == DeploymentState.IN_PROGRESS_CUTOVER
    planetscale.world.fail_deployment("acme", "analytics", 2)
    unblocked = await alice.deploy_requests.complete_deploy("acme", "analytics", 2)
    assert unblocked.deployment_state == DeploymentState.COMPLETE


async def test_create_deploy_request_and_deploy_instantly(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale
) -> None:
    await alice.branches.create("acme", "analytics", "add-notes")
    planetscale.world.change_schema(
        "acme",
        "analytics",
        "add-notes",
        table="notes",
        ddl="CREATE TABLE `notes` (`id` bigint NOT NULL, PRIMARY KEY (`id`))",
        create_sql="CREATE TABLE `notes` (\n  `id` bigint NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB",
    )
    created = await alice.deploy_requests.create(
        "acme", "analytics", branch="add-notes", into_branch="main", notes="Notes table", auto_cutover=True
    )
    assert (created.branch, created.into_branch, created.notes) == ("add-notes", "main", "Notes table")
    deployed = await alice.deploy_requests.deploy("acme", "analytics", created.number, instant_ddl=True)
    assert deployed.deployment is not None
    assert deployed.deployment.instant_ddl is True


async def test_passwords(alice: PlanetScaleAPI) -> None:
    password = await alice.passwords.create(
        "acme", "shop", "main", name="slack-reader", role="reader", ttl_seconds=86400
    )
    assert password.plain_text is not None
    assert password.plain_text.get_secret_value()
    assert password.plain_text.get_secret_value() not in repr(password)  # never shows up in logs or reprs
    assert password.username
    assert password.access_host_url
    assert password.ttl_seconds == 86400
    await alice.passwords.delete("acme", "shop", "main", password.id)
    remaining = await alice.passwords.list("acme", "shop", "main")
    assert [entry.name for entry in remaining.data] == ["app-reader"]


async def test_webhooks(alice: PlanetScaleAPI) -> None:
    webhook = await alice.webhooks.create(
        "acme", "shop", url="https://bot.example.com/webhooks/planetscale/abc", events=["deploy_request.opened"]
    )
    assert webhook.secret is not None
    assert webhook.events == ["deploy_request.opened"]
    listed = await alice.webhooks.list("acme", "shop")
    assert [entry.id for entry in listed.data] == [webhook.id]
    await alice.webhooks.test("acme", "shop", webhook.id)
    await alice.webhooks.delete("acme", "shop", webhook.id)
    assert (await alice.webhooks.list("acme", "shop")).data == []


async def test_members_auto_apply_and_force_cutover(alice: PlanetScaleAPI, planetscale: ServedPlanetScale) -> None:
    admins = await alice.organizations.admins("acme")
    assert sorted(admin.display_name or "" for admin in admins) == ["Alice Admin", "Bob Builder"]
    members = await alice.organizations.members("acme")
    assert (members.total_count, {member.role for member in members.data}) == (3, {"admin", "member"})

    gated = await alice.deploy_requests.get("acme", "analytics", 2)
    assert gated.deployment is not None
    assert gated.deployment.auto_cutover is False
    applied = await alice.deploy_requests.set_auto_apply("acme", "analytics", 2, enable=True)
    assert applied.deployment_state == DeploymentState.IN_PROGRESS_CUTOVER  # it was waiting, so it cuts over now

    planetscale.world.block_cutover("acme", "analytics", 2)
    forced = await alice.deploy_requests.force_cutover("acme", "analytics", 2)
    assert forced.deployment is not None
    assert forced.deployment.force_cutover_requested_at is not None
    planetscale.world.advance(planetscale.world.timings.vschema_seconds)
    deployed = await alice.deploy_requests.get("acme", "analytics", 2)
    assert deployed.deployment_state == DeploymentState.COMPLETE_PENDING_REVERT
    assert deployed.deployment is not None
    assert deployed.deployment.deployment_revert_request is not None
    assert deployed.deployment.deployment_revert_request["waiting_period_end_at"]
