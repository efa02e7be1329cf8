"""The deployment state machine (docs/reference/planetscale-api.md §5) on a ManualClock, mostly through the World itself
and end to end over HTTP for the main path."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.sandbox.planetscale import DeployTimings, PlanetScaleError, World
from bot.sandbox.planetscale.world import DeployRequest, User
from tests.support.planetscale import ServedPlanetScale

TIMINGS = DeployTimings(
    submit_seconds=1, run_seconds=10, cutover_seconds=2, vschema_seconds=1, revert_window_seconds=1800,
    revert_seconds=5, cancel_seconds=2,
)
DEPLOYED = 1 + 10 + 2 + 1  # from submitting to complete_pending_revert
ORDERS = "CREATE TABLE `orders` (`id` bigint NOT NULL, PRIMARY KEY (`id`))"


class Scenario:
    """An org with two admins and a member, database `db` (no approval needed) with table `orders`."""

    def __init__(self, *, require_approval: bool = False) -> None:
        self.world = World(timings=TIMINGS)
        self.alice = self.world.add_user("alice")
        self.bob = self.world.add_user("bob")
        self.carol = self.world.add_user("carol")
        self.world.add_organization("org", admins=[self.alice.id, self.bob.id], members=[self.carol.id])
        self.world.add_database("org", "db", require_approval_for_deploy=require_approval, tables={"orders": ORDERS})

    def open(self, branch: str, *, author: User | None = None, auto_cutover: bool = True) -> DeployRequest:
        self.world.create_branch("org", "db", name=branch, actor_id=None)
        self.world.change_schema(
            "org",
            "db",
            branch,
            table=f"t_{branch.replace('-', '_')}",
            ddl=f"CREATE TABLE `t_{branch}` (`id` int)",
            create_sql=f"CREATE TABLE `t_{branch}` (`id` int)",
        )
        return self.world.create_deploy_request(
            "org", "db", actor_id=(author or self.alice).id, branch=branch, auto_cutover=auto_cutover
        )

    def deploy(self, request: DeployRequest) -> None:
        self.world.deploy("org", "db", request.number, actor_id=self.alice.id)

    def state(self, request: DeployRequest) -> str:
        self.world.settle()
        return request.deployment.state

    def main_tables(self) -> set[str]:
        return set(self.world.organizations["org"].databases["db"].branches["main"].tables)


def test_auto_cutover_deploy_runs_through_the_revert_window_to_complete() -> None:
    scenario = Scenario()
    request = scenario.open("add-a")
    assert scenario.state(request) == "ready"
    scenario.deploy(request)
    # Nothing holds the queue, so the deployment is submitted at once.
    assert scenario.state(request) == "submitting"
    scenario.world.advance(1)
    assert scenario.state(request) == "in_progress"
    assert request.operations[0].state == "in_progress"
    scenario.world.advance(5)
    assert scenario.world.operation_progress(request) == (50.0, 5.0)
    scenario.world.advance(5)
    # Auto-apply cuts over by itself, through the same intermediate states a gated deploy's apply goes through.
    assert scenario.state(request) == "in_progress_cutover"
    assert request.deployment.cutover_at == request.deployed_at == scenario.world.now()
    scenario.world.advance(2)
    assert scenario.state(request) == "in_progress_vschema"
    scenario.world.advance(1)
    assert scenario.state(request) == "complete_pending_revert"
    assert "t_add_a" in scenario.main_tables()
    assert request.state == "open"
    # PlanetScale's revert window: 30 minutes from when the deployment finished, not from the cutover.
    assert request.deployment.finished_at == scenario.world.now()
    assert request.deployment.revert_window_ends_at == scenario.world.now() + 1800
    scenario.world.advance(1799)
    assert scenario.state(request) == "complete_pending_revert"
    scenario.world.advance(1)
    assert scenario.state(request) == "complete"
    assert request.state == "closed"


def test_gated_deploy_waits_for_apply() -> None:
    scenario = Scenario()
    request = scenario.open("gated", auto_cutover=False)
    scenario.deploy(request)
    scenario.world.advance(11)
    assert scenario.state(request) == "pending_cutover"
    assert "t_gated" not in scenario.main_tables()
    scenario.world.advance(3600)
    assert scenario.state(request) == "pending_cutover"  # it waits for a person
    scenario.world.apply_deploy("org", "db", request.number, actor_id=scenario.bob.id)
    assert scenario.state(request) == "in_progress_cutover"
    scenario.world.advance(3)
    assert scenario.state(request) == "complete_pending_revert"
    assert request.deployment.cutover_actor_id == scenario.bob.id
    assert "t_gated" in scenario.main_tables()


def test_revert_restores_the_schema_and_skip_revert_completes() -> None:
    scenario = Scenario()
    reverted = scenario.open("to-revert")
    scenario.deploy(reverted)
    scenario.world.advance(DEPLOYED)
    scenario.world.revert("org", "db", reverted.number, actor_id=scenario.alice.id)
    assert scenario.state(reverted) == "in_progress_revert"
    scenario.world.advance(5)
    assert scenario.state(reverted) == "in_progress_revert_vschema"
    scenario.world.advance(1)
    assert scenario.state(reverted) == "complete_revert"
    assert "t_to_revert" not in scenario.main_tables()
    assert reverted.state == "closed"

    kept = scenario.open("to-keep")
    scenario.deploy(kept)
    scenario.world.advance(DEPLOYED)
    scenario.world.skip_revert("org", "db", kept.number, actor_id=scenario.alice.id)
    assert scenario.state(kept) == "complete"
    assert "t_to_keep" in scenario.main_tables()


@pytest.mark.parametrize(("wait", "state_before"), [(0, "submitting"), (5, "in_progress")])
def test_cancel_a_running_deploy(wait: float, state_before: str) -> None:
    scenario = Scenario()
    request = scenario.open("cancel-me")
    scenario.deploy(request)
    scenario.world.advance(wait)
    assert scenario.state(request) == state_before
    scenario.world.cancel("org", "db", request.number, actor_id=scenario.bob.id)
    assert scenario.state(request) == "in_progress_cancel"  # a running deployment takes a moment to stop
    scenario.world.advance(2)
    assert scenario.state(request) == "complete_cancel"
    assert request.operations[0].state == "cancelled"
    assert request.deployment.cancelled_actor_id == scenario.bob.id
    # A cancelled deploy request can be deployed again.
    scenario.deploy(request)
    assert scenario.state(request) == "submitting"


def test_deploy_queue_runs_one_at_a_time_in_order() -> None:
    scenario = Scenario()
    first, second, third = scenario.open("one"), scenario.open("two"), scenario.open("three")
    for request in (first, second, third):
        scenario.deploy(request)
    assert [scenario.state(request) for request in (first, second, third)] == ["submitting", "queued", "queued"]
    assert scenario.world.preceding("org", "db", third) == [first, second]
    scenario.world.advance(DEPLOYED)
    # The first holds the queue during its revert window.
    assert [scenario.state(request) for request in (first, second)] == ["complete_pending_revert", "queued"]
    scenario.world.cancel("org", "db", second.number, actor_id=scenario.alice.id)
    assert scenario.state(second) == "complete_cancel"  # only queued: dropped at once
    scenario.world.skip_revert("org", "db", first.number, actor_id=scenario.alice.id)
    assert scenario.state(third) == "submitting"
    # Letting the clock run past the revert window frees the queue by itself, at the right moment.
    scenario.world.advance(DEPLOYED + 1800)
    assert scenario.state(third) == "complete"


def test_failed_deploy_blocks_the_queue_until_unblocked() -> None:
    scenario = Scenario()
    failing, waiting = scenario.open("fails"), scenario.open("waits")
    scenario.deploy(failing)
    scenario.deploy(waiting)
    scenario.world.advance(3)
    scenario.world.fail_deployment("org", "db", failing.number)
    assert scenario.state(failing) == "complete_error"
    assert failing.operations[0].state == "error"
    scenario.world.advance(600)
    assert scenario.state(waiting) == "queued"
    scenario.world.complete_deploy("org", "db", failing.number, actor_id=scenario.alice.id)
    assert scenario.state(failing) == "complete"
    assert scenario.state(waiting) == "submitting"


def test_failed_revert_is_unblocked_to_complete_revert() -> None:
    scenario = Scenario()
    request = scenario.open("revert-fails")
    scenario.deploy(request)
    scenario.world.advance(DEPLOYED)
    scenario.world.revert("org", "db", request.number, actor_id=scenario.alice.id)
    scenario.world.fail_deployment("org", "db", request.number)
    assert scenario.state(request) == "complete_revert_error"
    scenario.world.complete_deploy("org", "db", request.number, actor_id=scenario.alice.id)
    assert scenario.state(request) == "complete_revert"


def test_actions_in_the_wrong_state_are_422_with_a_reason() -> None:
    scenario = Scenario()
    request = scenario.open("wrong-state")
    world = scenario.world
    refusals = {
        "apply": lambda: world.apply_deploy("org", "db", request.number, actor_id=scenario.alice.id),
        "revert": lambda: world.revert("org", "db", request.number, actor_id=scenario.alice.id),
        "skip": lambda: world.skip_revert("org", "db", request.number, actor_id=scenario.alice.id),
        "cancel": lambda: world.cancel("org", "db", request.number, actor_id=scenario.alice.id),
        "unblock": lambda: world.complete_deploy("org", "db", request.number, actor_id=scenario.alice.id),
    }
    for name, action in refusals.items():
        with pytest.raises(PlanetScaleError) as refused:
            action()
        assert refused.value.status == 422, name
        assert "ready" in refused.value.message, name
    scenario.deploy(request)
    with pytest.raises(PlanetScaleError, match="cancel it first"):
        world.close("org", "db", request.number, actor_id=scenario.alice.id)
    with pytest.raises(PlanetScaleError, match="cannot be deployed while its deployment is submitting"):
        scenario.deploy(request)


def test_lint_errors_and_empty_branches_cannot_deploy() -> None:
    scenario = Scenario()
    world = scenario.world
    world.create_branch("org", "db", name="linty", actor_id=None)
    world.change_schema("org", "db", "linty", table="x", ddl="CREATE TABLE `x` (`j` json)", create_sql="CREATE TABLE x")
    world.add_lint_error("org", "db", "linty", table="x", lint_error="BAD", description="JSON column without default")
    linty = world.create_deploy_request("org", "db", actor_id=scenario.alice.id, branch="linty")
    assert scenario.state(linty) == "error"
    assert linty.deployment.deploy_check_errors == "JSON column without default"
    world.create_branch("org", "db", name="empty", actor_id=None)
    empty = world.create_deploy_request("org", "db", actor_id=scenario.alice.id, branch="empty")
    assert scenario.state(empty) == "no_changes"
    for request, reason in ((linty, "failed its deploy checks"), (empty, "no schema changes")):
        with pytest.raises(PlanetScaleError, match=reason):
            scenario.deploy(request)


def test_deploy_request_rules_on_create() -> None:
    scenario = Scenario()
    scenario.open("dup")
    with pytest.raises(PlanetScaleError, match="already exists"):
        scenario.world.create_deploy_request("org", "db", actor_id=scenario.alice.id, branch="dup")
    with pytest.raises(PlanetScaleError, match="safe migrations"):
        scenario.world.create_deploy_request("org", "db", actor_id=scenario.alice.id, branch="main", into_branch="dup")


async def test_state_machine_over_http(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    analytics = "/organizations/acme/databases/analytics/deploy-requests/2"
    async with planetscale.client(planetscale.token(planetscale.demo.second_admin)) as client:
        gated = (await client.get(analytics)).json()
        assert gated["deployment_state"] == "pending_cutover"
        applied = await client.post(f"{analytics}/apply-deploy")
        assert applied.json()["deployment_state"] == "in_progress_cutover"
        timings = planetscale.world.timings
        planetscale.world.advance(timings.cutover_seconds)
        assert (await client.get(analytics)).json()["deployment_state"] == "in_progress_vschema"
        planetscale.world.advance(timings.vschema_seconds)
        deployed = (await client.get(analytics)).json()
        assert deployed["deployment_state"] == "complete_pending_revert"
        deployment = deployed["deployment"]
        window_end = datetime.fromisoformat(deployment["deployment_revert_request"]["waiting_period_end_at"])
        assert window_end - datetime.fromisoformat(deployment["finished_at"]) == timedelta(minutes=30)
        reverted = await client.post(f"{analytics}/revert")
        assert reverted.json()["deployment_state"] == "in_progress_revert"
        planetscale.world.advance(timings.revert_seconds + timings.vschema_seconds)
        final = (await client.get(analytics)).json()
        assert (final["state"], final["deployment_state"]) == ("closed", "complete_revert")
        again = await client.post(f"{analytics}/revert")
        assert again.status_code == 422
        assert "complete_revert" in again.json()["message"]

        # The revert's end freed the queue for #3, which was queued behind #2.
        third = analytics.removesuffix("/2") + "/3"
        assert (await client.get(third)).json()["deployment_state"] == "submitting"
        cancelled = await client.post(f"{third}/cancel")
        assert cancelled.json()["deployment_state"] == "in_progress_cancel"  # a running deployment takes a moment
        planetscale.world.advance(timings.cancel_seconds)
        assert (await client.get(third)).json()["deployment_state"] == "complete_cancel"


def test_auto_apply_is_inherited_from_the_previous_deploy_request_and_can_be_switched() -> None:
    scenario = Scenario()
    world = scenario.world
    first = scenario.open("first")
    assert first.deployment.auto_cutover is True  # no earlier deploy request: auto-apply
    gated = scenario.open("gated", auto_cutover=False)
    world.create_branch("org", "db", name="later", actor_id=None)
    world.change_schema("org", "db", "later", table="t_later", ddl="CREATE TABLE `t_later` (`id` int)",
                        create_sql="CREATE TABLE `t_later` (`id` int)")
    later = world.create_deploy_request("org", "db", actor_id=scenario.alice.id, branch="later")
    assert later.deployment.auto_cutover is False  # as the previous deploy request (#2, gated)

    world.set_auto_apply("org", "db", gated.number, enable=True, actor_id=scenario.bob.id)
    assert gated.deployment.auto_cutover is True
    scenario.deploy(later)
    world.advance(11)
    assert scenario.state(later) == "pending_cutover"
    # Switching auto-apply on while it waits cuts over now.
    world.set_auto_apply("org", "db", later.number, enable=True, actor_id=scenario.bob.id)
    assert scenario.state(later) == "in_progress_cutover"
    world.advance(3)
    with pytest.raises(PlanetScaleError, match="before the cutover"):
        world.set_auto_apply("org", "db", later.number, enable=False, actor_id=scenario.bob.id)


def test_a_blocked_cutover_waits_until_forced() -> None:
    scenario = Scenario()
    world = scenario.world
    request = scenario.open("locked")
    with pytest.raises(PlanetScaleError, match="in_progress_cutover"):
        world.force_cutover("org", "db", request.number, actor_id=scenario.alice.id)
    scenario.deploy(request)
    world.advance(11)
    assert scenario.state(request) == "in_progress_cutover"
    world.block_cutover("org", "db", request.number)
    world.advance(3600)
    assert scenario.state(request) == "in_progress_cutover"
    world.force_cutover("org", "db", request.number, actor_id=scenario.alice.id)
    assert request.deployment.force_cutover_requested_at == world.now()
    assert scenario.state(request) == "in_progress_vschema"
    world.advance(1)
    assert scenario.state(request) == "complete_pending_revert"


def test_a_schema_change_dismisses_the_approval_recomputes_and_leaves_the_queue() -> None:
    scenario = Scenario(require_approval=True)
    world = scenario.world
    holder, request = scenario.open("holds-the-queue"), scenario.open("changes-later", author=scenario.carol)
    for approved in (holder, request):
        world.review_deploy_request("org", "db", approved.number, actor_id=scenario.bob.id, state="approved")
    scenario.deploy(holder)
    scenario.deploy(request)
    assert scenario.state(request) == "queued"
    approval = request.reviews[0]
    world.advance(1)

    world.change_schema("org", "db", "changes-later", table="orders", ddl="ALTER TABLE `orders` DROP COLUMN `id`",
                        create_sql="CREATE TABLE `orders` (`x` int)")
    assert not request.approved
    assert approval.state == "approved"  # the review itself stays as it was: the API cannot say "dismissed"
    comment = request.reviews[-1]
    assert (comment.actor_id, comment.state) == (world.planetscale_bot.id, "commented")
    assert "orders" in comment.body
    assert [(op.table_name, op.operation_name, op.can_drop_data) for op in request.operations] == [
        ("t_changes_later", "CREATE", False), ("orders", "ALTER", True)
    ]
    assert request.deployment.schema_last_updated_at == world.now() > approval.created_at
    assert scenario.state(request) == "ready"  # out of the queue, checked again
    with pytest.raises(PlanetScaleError, match="must be approved"):
        scenario.deploy(request)
    world.review_deploy_request("org", "db", request.number, actor_id=scenario.bob.id, state="approved")
    scenario.deploy(request)
    assert scenario.state(request) == "queued"
