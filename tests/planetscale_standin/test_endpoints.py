"""Every endpoint of the PlanetScale stand-in over real HTTP: the happy path, with PlanetScale's status codes.

The `planetscale` fixture validates each exchange against the vendored spec at teardown, so these tests also prove
the bodies match the spec.
"""

from __future__ import annotations

import httpx

from tests.support.planetscale import ServedPlanetScale

SHOP = "/organizations/acme/databases/shop"
ANALYTICS = "/organizations/acme/databases/analytics"


def _client(planetscale: ServedPlanetScale) -> httpx.AsyncClient:
    assert planetscale.demo is not None
    return planetscale.client(planetscale.token(planetscale.demo.admin))


async def test_user_organizations_and_databases(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        user = (await client.get("/user")).json()
        assert user["name"] == "alice"
        assert user["default_organization"]["name"] == "acme"

        organizations = (await client.get("/organizations")).json()
        assert organizations["type"] == "list"
        assert [org["name"] for org in organizations["data"]] == ["acme"]
        assert "total_count" not in organizations  # the reference: organization lists carry no totals

        organization = (await client.get("/organizations/acme")).json()
        assert organization["database_count"] == 2

        databases = (await client.get("/organizations/acme/databases")).json()
        assert [db["name"] for db in databases["data"]] == ["analytics", "shop"]
        assert databases["total_count"] == 2

        shop = (await client.get(SHOP)).json()
        assert shop["kind"] == "mysql"
        assert shop["default_branch"] == "main"
        assert shop["require_approval_for_deploy"] is True


async def test_branches_create_get_delete(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        listed = (await client.get(f"{SHOP}/branches", params={"production": "true"})).json()
        assert [branch["name"] for branch in listed["data"]] == ["main"]
        assert listed["data"][0]["safe_migrations"] is True

        created = await client.post(f"{SHOP}/branches", json={"name": "feature-x", "parent_branch": "main"})
        assert created.status_code == 201
        assert created.json()["parent_branch"] == "main"
        assert created.json()["production"] is False

        fetched = await client.get(f"{SHOP}/branches/feature-x")
        assert fetched.json()["id"] == created.json()["id"]

        deleted = await client.delete(f"{SHOP}/branches/feature-x")
        assert deleted.status_code == 204
        assert deleted.content == b""
        assert (await client.get(f"{SHOP}/branches/feature-x")).status_code == 404


async def test_branch_create_refusals_are_422(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        duplicate = await client.post(f"{SHOP}/branches", json={"name": "main"})
        bad_name = await client.post(f"{SHOP}/branches", json={"name": "Not A Name"})
        production = await client.delete(f"{SHOP}/branches/main")
    assert duplicate.status_code == bad_name.status_code == production.status_code == 422
    assert duplicate.json()["code"] == "unprocessable"
    assert "already been taken" in duplicate.json()["message"]


async def test_schema_and_lint(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        schema = (await client.get(f"{SHOP}/branches/main/schema")).json()
        assert {table["name"] for table in schema["data"]} >= {"users", "orders"}
        assert schema["data"][0]["raw"].startswith("CREATE TABLE")

        lint = (await client.get(f"{SHOP}/branches/add-json-settings/schema/lint")).json()
        assert [error["lint_error"] for error in lint["data"]] == ["INVALID_COLUMN_TYPE"]
        assert lint["data"][0]["table_name"] == "users"


async def test_passwords_reveal_plain_text_once(planetscale: ServedPlanetScale) -> None:
    start = planetscale.world.now()
    async with _client(planetscale) as client:
        created = await client.post(
            f"{SHOP}/branches/main/passwords", json={"name": "ci", "role": "readwriter", "ttl": 3600}
        )
        assert created.status_code == 201
        body = created.json()
        assert body["plain_text"]
        assert body["role"] == "readwriter"
        assert body["ttl_seconds"] == 3600
        assert body["expires_at"] is not None
        assert body["expires_at"] > body["created_at"]

        listed = (await client.get(f"{SHOP}/branches/main/passwords")).json()
        ours = next(password for password in listed["data"] if password["id"] == body["id"])
        assert ours["plain_text"] is None
        assert listed["total_count"] == 2  # the seeded app-reader and ours

        planetscale.world.advance(3601)
        listed = (await client.get(f"{SHOP}/branches/main/passwords")).json()
        assert next(password for password in listed["data"] if password["id"] == body["id"])["expired"] is True

        deleted = await client.delete(f"{SHOP}/branches/main/passwords/{body['id']}")
        assert deleted.status_code == 204
        bad_role = await client.post(f"{SHOP}/branches/main/passwords", json={"role": "root"})
        assert bad_role.status_code == 422
    assert planetscale.world.now() == start + 3601


async def test_deploy_request_lifecycle_endpoints(planetscale: ServedPlanetScale) -> None:
    world = planetscale.world
    world.create_branch("acme", "analytics", name="add-col", actor_id=None)
    world.change_schema(
        "acme",
        "analytics",
        "add-col",
        table="events",
        ddl="ALTER TABLE `events` ADD COLUMN `source` varchar(32)",
        create_sql="CREATE TABLE `events` (`id` bigint, `source` varchar(32))",
    )
    async with _client(planetscale) as client:
        created = await client.post(
            f"{ANALYTICS}/deploy-requests", json={"branch": "add-col", "into_branch": "main", "notes": "why"}
        )
        assert created.status_code == 201
        request = created.json()
        number = request["number"]
        assert request["deployment_state"] == "ready"
        assert request["state"] == "open"

        listed = (await client.get(f"{ANALYTICS}/deploy-requests", params={"state": "open"})).json()
        assert number in [item["number"] for item in listed["data"]]

        operations = (await client.get(f"{ANALYTICS}/deploy-requests/{number}/operations")).json()
        assert operations["data"][0]["ddl_statement"].startswith("ALTER TABLE `events`")
        assert operations["data"][0]["state"] == "pending"

        review = await client.post(
            f"{ANALYTICS}/deploy-requests/{number}/reviews", json={"state": "commented", "body": "looks fine"}
        )
        assert review.status_code == 201
        reviews = (await client.get(f"{ANALYTICS}/deploy-requests/{number}/reviews")).json()
        assert [item["body"] for item in reviews["data"]] == ["looks fine"]

        deployment = (await client.get(f"{ANALYTICS}/deploy-requests/{number}/deployment")).json()
        assert deployment["deploy_request_number"] == number
        assert deployment["deployable"] is True

        closed = await client.patch(f"{ANALYTICS}/deploy-requests/{number}", json={"state": "closed"})
        assert closed.status_code == 200
        assert closed.json()["state"] == "closed"
        assert closed.json()["closed_by"]["display_name"] == "Alice Admin"


async def test_deploy_queue_lists_in_deploy_order(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        assert (await client.get(f"{SHOP}/deploy-queue")).json()["data"] == []
        queue = (await client.get(f"{ANALYTICS}/deploy-queue")).json()
    assert [(item["deploy_request_number"], item["state"]) for item in queue["data"]] == [
        (2, "pending_cutover"),
        (3, "queued"),
    ]
    assert [item["deploy_request_number"] for item in queue["data"][1]["preceding_deployments"]] == [2]


async def test_webhooks_create_test_list_delete(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        created = await client.post(
            f"{SHOP}/webhooks", json={"url": "https://bot.example.com/hook", "events": ["deploy_request.opened"]}
        )
        assert created.status_code == 201
        hook = created.json()
        assert len(hook["secret"]) >= 32

        tested = await client.post(f"{SHOP}/webhooks/{hook['id']}/test")
        assert tested.status_code == 204
        again = await client.post(f"{SHOP}/webhooks/{hook['id']}/test")
        assert again.status_code == 429  # one test every 20 seconds
        assert len((await client.get(f"{SHOP}/webhooks")).json()["data"]) == 1

        assert (await client.delete(f"{SHOP}/webhooks/{hook['id']}")).status_code == 204
        assert (await client.get(f"{SHOP}/webhooks")).json()["data"] == []
        unknown_event = await client.post(f"{SHOP}/webhooks", json={"url": "https://x.example", "events": ["nope"]})
        assert unknown_event.status_code == 422
        for url in ("http://bot.example.com/hook", "https://127.0.0.1/hook", "https://localhost/hook"):
            refused = await client.post(f"{SHOP}/webhooks", json={"url": url, "events": ["deploy_request.opened"]})
            assert refused.status_code == 422, url  # PlanetScale delivers only to public https URLs


async def test_unknown_paths_and_bad_bodies_answer_in_planetscale_shape(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        unknown = await client.get("/no-such-thing")
        bad_json = await client.post(
            f"{SHOP}/branches", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        not_a_number = await client.get(f"{SHOP}/deploy-requests/abc")
    assert unknown.status_code == 404
    assert unknown.json() == {"code": "not_found", "message": "Not Found"}
    assert bad_json.status_code == 400
    assert bad_json.json()["code"] == "bad_request"
    assert not_a_number.status_code == 404


async def test_request_log_counts_calls_by_template(planetscale: ServedPlanetScale) -> None:
    async with _client(planetscale) as client:
        await client.get(f"{SHOP}/deploy-requests/1")
        await client.get(f"{SHOP}/deploy-requests/2")
    calls = planetscale.calls("GET", "/organizations/{organization}/databases/{database}/deploy-requests/{number}")
    assert [(call.path.rsplit("/", 1)[-1], call.status) for call in calls] == [("1", 200), ("2", 200)]
    assert b"Bearer" not in b"".join(call.request_body for call in calls)
