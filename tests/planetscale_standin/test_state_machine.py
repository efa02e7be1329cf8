"""The deployment state machine (docs/reference/planetscale-api.md §5) on a ManualClock, mostly through the World itself
and end to end over HTTP for the main path."""

from __future__ import annotations

import pytest

from bot.sandbox.planetscale import DeployTimings, PlanetScaleError, World
from bot.sandbox.planetscale.world import DeployRequest, User
from tests.support.planetscale import ServedPlanetScale

TIMINGS = DeployTimings(
    submit_seconds=1, run_seconds=10, cutover_seconds=2, revert_window_seconds=1800, revert_seconds=5
)
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
    assert scenario.state(request) == "complete_pending_revert"
    assert "t_add_a" in scenario.main_tables()
    assert request.deployed_at is not None
    assert request.state == "open"
    scenario.world.advance(1800)
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
    scenario.world.advance(2)
    assert scenario.state(request) == "complete_pending_revert"
    assert request.deployment.cutover_actor_id == scenario.bob.id
    assert "t_gated" in scenario.main_tables()


def test_revert_restores_the_schema_and_skip_revert_completes() -> None:
    scenario = Scenario()
    reverted = scenario.open("to-revert")
    scenario.deploy(reverted)
    scenario.world.advance(11)
    scenario.world.revert("org", "db", reverted.number, actor_id=scenario.alice.id)
    assert scenario.state(reverted) == "in_progress_revert"
    scenario.world.advance(5)
    assert scenario.state(reverted) == "complete_revert"
    assert "t_to_revert" not in scenario.main_tables()
    assert reverted.state == "closed"

    kept = scenario.open("to-keep")
    scenario.deploy(kept)
    scenario.world.advance(11)
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
    scenario.world.advance(11)
    # The first holds the queue during its revert window.
    assert [scenario.state(request) for request in (first, second)] == ["complete_pending_revert", "queued"]
    scenario.world.cancel("org", "db", second.number, actor_id=scenario.alice.id)
    scenario.world.skip_revert("org", "db", first.number, actor_id=scenario.alice.id)
    assert scenario.state(third) == "submitting"
    # Letting the clock run past the revert window frees the queue by itself, at the right moment.
    scenario.world.advance(11 + 1800 + 11)
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
    scenario.world.advance(11)
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
        planetscale.world.advance(planetscale.world.timings.cutover_seconds)
        assert (await client.get(analytics)).json()["deployment_state"] == "complete_pending_revert"
        reverted = await client.post(f"{analytics}/revert")
        assert reverted.json()["deployment_state"] == "in_progress_revert"
        planetscale.world.advance(planetscale.world.timings.revert_seconds)
        final = (await client.get(analytics)).json()
        assert (final["state"], final["deployment_state"]) == ("closed", "complete_revert")
        again = await client.post(f"{analytics}/revert")
        assert again.status_code == 422
        assert "complete_revert" in again.json()["message"]

        # The revert's end freed the queue for #3, which was queued behind #2.
        third = analytics.removesuffix("/2") + "/3"
        assert (await client.get(third)).json()["deployment_state"] == "submitting"
        cancelled = await client.post(f"{third}/cancel")
        assert cancelled.json()["deployment_state"] == "complete_cancel"
