"""Bearer tokens, scopes and visibility, as PlanetScale enforces them."""

from __future__ import annotations

from bot.sandbox.planetscale import ALL_SCOPES
from tests.support.planetscale import ServedPlanetScale

SHOP = "/organizations/acme/databases/shop"


async def test_missing_unknown_revoked_and_expired_tokens_get_401(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    revoked = planetscale.token(planetscale.demo.admin)
    planetscale.world.revoke_token(revoked)
    expiring = planetscale.token(planetscale.demo.admin, expires_in=60)
    async with planetscale.client(expiring) as client:
        assert (await client.get("/user")).status_code == 200
    planetscale.world.advance(61)
    for token in (None, "pscale_oauth_made_up", revoked, expiring):
        async with planetscale.client(token) as client:
            response = await client.get("/user")
        assert response.status_code == 401, token
        assert response.json()["code"] == "unauthorized"
    async with planetscale.client() as client:
        legacy = await client.get("/user", headers={"Authorization": "id:token"})  # service-token style: not here
    assert legacy.status_code == 401


async def test_without_read_scope_a_resource_is_404(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    token = planetscale.token(planetscale.demo.admin, ["organization:read_databases"])
    async with planetscale.client(token) as client:
        assert (await client.get(SHOP)).status_code == 200
        hidden = await client.get(f"{SHOP}/branches")
        assert (await client.get(f"{SHOP}/deploy-requests/1")).status_code == 404
    assert hidden.status_code == 404
    assert hidden.json() == {"code": "not_found", "message": "Not Found"}


async def test_with_read_but_not_write_scope_a_change_is_403(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    token = planetscale.token(planetscale.demo.admin, ["organization:read_deploy_requests"])
    async with planetscale.client(token) as client:
        readable = await client.get(f"{SHOP}/deploy-requests/1")
        refused = await client.post(f"{SHOP}/deploy-requests/1/deploy", json={})
    assert readable.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"


async def test_database_scoped_grants_work_like_organization_ones(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    token = planetscale.token(planetscale.demo.admin, ["database:read_branches"])
    async with planetscale.client(token) as client:
        assert (await client.get(f"{SHOP}/branches/main")).status_code == 200


async def test_users_see_only_their_organizations(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    async with planetscale.client(planetscale.token(planetscale.demo.outsider, ALL_SCOPES)) as client:
        organizations = (await client.get("/organizations")).json()
        acme = await client.get("/organizations/acme")
        shop = await client.get(f"{SHOP}/deploy-requests")
    assert [org["name"] for org in organizations["data"]] == ["globex"]
    assert acme.status_code == shop.status_code == 404
