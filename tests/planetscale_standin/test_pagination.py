"""PlanetScale's page envelope over a 1,000-branch database."""

from __future__ import annotations

from bot.sandbox.planetscale import World
from tests.support.planetscale import serve_planetscale

BRANCHES = "/organizations/big/databases/huge/branches"


async def test_walks_1000_branches_by_next_page() -> None:
    world = World()
    owner = world.add_user("owner")
    world.add_organization("big", admins=[owner.id])
    world.add_database("big", "huge")
    world.add_many_branches("big", "huge", 1000)
    with serve_planetscale(world) as served:
        async with served.client(served.token(owner)) as client:
            names: list[str] = []
            pages = 0
            url: str | None = f"{served.base_url}{BRANCHES}?per_page=100"
            while url is not None:
                body = (await client.get(url)).json()
                pages += 1
                names.extend(branch["name"] for branch in body["data"])
                assert body["total_count"] == 1001
                assert body["total_pages"] == 11
                url = body["next_page_url"]
            first = (await client.get(BRANCHES)).json()
            clamped = (await client.get(BRANCHES, params={"per_page": 500, "page": 2})).json()
            beyond = (await client.get(BRANCHES, params={"page": 99})).json()
            bad_page = await client.get(BRANCHES, params={"page": 0})
            searched = (await client.get(BRANCHES, params={"q": "branch-099"})).json()
        problems = served.problems()
    assert pages == 11
    assert len(names) == len(set(names)) == 1001
    assert names[0] == "main"
    assert (first["per_page"], len(first["data"]), first["next_page"], first["prev_page"]) == (25, 25, 2, None)
    assert (clamped["per_page"], clamped["current_page"], clamped["prev_page"]) == (100, 2, 1)
    assert clamped["prev_page_url"].endswith("page=1&per_page=100")
    assert (beyond["data"], beyond["next_page"]) == ([], None)
    assert bad_page.status_code == 400
    assert bad_page.json()["code"] == "bad_request"
    assert [branch["name"] for branch in searched["data"]] == [f"branch-099{digit}" for digit in range(10)]
    assert problems == []
