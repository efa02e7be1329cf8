"""PlanetScale's approval rules over HTTP, on the seeded `shop` database (admin approval required)."""

from __future__ import annotations

from bot.sandbox.planetscale import World
from tests.support.planetscale import ServedPlanetScale

SHOP = "/organizations/acme/databases/shop/deploy-requests"


async def test_author_cannot_approve_their_own_deploy_request(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    # Alice authored shop #5's sibling #2; open a fresh one by her to approve.
    planetscale.world.create_branch("acme", "shop", name="alice-change", actor_id=planetscale.demo.admin.id)
    planetscale.world.change_schema(
        "acme", "shop", "alice-change", table="t", ddl="CREATE TABLE `t` (`id` int)", create_sql="CREATE TABLE t"
    )
    async with planetscale.client(planetscale.token(planetscale.demo.admin)) as client:
        created = (await client.post(SHOP, json={"branch": "alice-change", "into_branch": "main"})).json()
        refused = await client.post(f"{SHOP}/{created['number']}/reviews", json={"state": "approved"})
    assert refused.status_code == 422
    assert refused.json() == {"code": "unprocessable", "message": "You cannot approve your own deploy request."}


async def test_members_cannot_approve(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    async with planetscale.client(planetscale.token(planetscale.demo.member)) as client:
        refused = await client.post(f"{SHOP}/3/reviews", json={"state": "approved"})
        commented = await client.post(f"{SHOP}/3/reviews", json={"state": "commented", "body": "+1"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert "administrators" in refused.json()["message"]
    assert commented.status_code == 201


async def test_deploy_needs_approval_then_succeeds(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    async with planetscale.client(planetscale.token(planetscale.demo.member)) as carol:
        refused = await carol.post(f"{SHOP}/1/deploy", json={})
    assert refused.status_code == 422
    assert "must be approved" in refused.json()["message"]

    async with planetscale.client(planetscale.token(planetscale.demo.second_admin)) as bob:
        approval = await bob.post(f"{SHOP}/1/reviews", json={"state": "approved", "body": "ship it"})
        assert approval.status_code == 201
        assert (await bob.get(f"{SHOP}/1")).json()["approved"] is True
    async with planetscale.client(planetscale.token(planetscale.demo.member)) as carol:
        deployed = await carol.post(f"{SHOP}/1/deploy", json={})
    assert deployed.status_code == 200
    # Nothing else holds shop's deploy queue, so #1 starts at once.
    assert deployed.json()["deployment_state"] == "submitting"
    assert deployed.json()["deployment"]["preceding_deployments"] == []


def test_a_sole_admin_may_approve_their_own() -> None:
    world = World()
    solo = world.add_user("solo")
    world.add_organization("one", admins=[solo.id])
    world.add_database("one", "db", require_approval_for_deploy=True)
    world.create_branch("one", "db", name="b", actor_id=solo.id)
    world.change_schema("one", "db", "b", table="t", ddl="CREATE TABLE t (id int)", create_sql="CREATE TABLE t")
    request = world.create_deploy_request("one", "db", actor_id=solo.id, branch="b")
    world.review_deploy_request("one", "db", request.number, actor_id=solo.id, state="approved")
    assert request.approved
