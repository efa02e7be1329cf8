"""A list call reads one page; iterating the page follows `next_page` only as far as the reader goes."""

from __future__ import annotations

import pytest

from bot.planetscale import PlanetScaleAPI
from bot.planetscale.models import Organization, Page
from tests.support.planetscale import ServedPlanetScale

BRANCHES = "/organizations/{organization}/databases/{database}/branches"


@pytest.fixture
def big_database(planetscale: ServedPlanetScale) -> str:
    """`acme/big` with exactly 1,000 branches (main and 999 development branches)."""
    planetscale.world.add_database("acme", "big")
    planetscale.world.add_many_branches("acme", "big", 999)
    return "big"


async def test_showing_100_reads_one_page_and_reports_the_total(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, big_database: str
) -> None:
    page = await alice.branches.list("acme", big_database, per_page=100)
    assert (len(page.data), page.total_count, page.total_pages, page.next_page) == (100, 1000, 10, 2)
    assert len(planetscale.calls("GET", BRANCHES)) == 1


async def test_iterating_a_page_reads_through_everything_at_its_size(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, big_database: str
) -> None:
    branches = [branch async for branch in await alice.branches.list("acme", big_database, per_page=100)]
    assert len(branches) == 1000
    assert len({branch.name for branch in branches}) == 1000
    calls = planetscale.calls("GET", BRANCHES)
    assert len(calls) == 10
    assert all("per_page=100" in call.query for call in calls)


async def test_a_limit_stops_reading_pages_early(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, big_database: str
) -> None:
    page = await alice.branches.list("acme", big_database, per_page=100)
    first = [branch async for branch in page.items(limit=150)]
    assert len(first) == 150
    assert len(planetscale.calls("GET", BRANCHES)) == 2
    assert [branch async for branch in page.items(limit=100)] == page.data  # the page in hand: nothing more read
    assert len(planetscale.calls("GET", BRANCHES)) == 2


async def test_iteration_reads_no_further_than_the_caller(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, big_database: str
) -> None:
    seen = 0
    async for _branch in await alice.branches.list("acme", big_database, per_page=100):
        seen += 1
        if seen == 101:
            break
    assert len(planetscale.calls("GET", BRANCHES)) == 2


async def test_iteration_of_a_list_without_totals(alice: PlanetScaleAPI) -> None:
    organizations = [organization.name async for organization in await alice.organizations.list()]
    assert organizations == ["acme"]
    page = await alice.deploy_requests.list("acme", "shop", state="open", per_page=1)
    requests = [request async for request in page.items(limit=2)]
    assert [request.number for request in requests] == [4, 3]  # the filter holds on the page after the first


async def test_bad_page_arguments_are_refused_before_any_request(alice: PlanetScaleAPI) -> None:
    with pytest.raises(ValueError, match="per_page"):
        await alice.branches.list("acme", "shop", per_page=101)
    with pytest.raises(ValueError, match="page starts at 1"):
        await alice.branches.list("acme", "shop", page=0)


async def test_a_page_built_by_hand_ends_with_its_own_data() -> None:
    page = Page[Organization](data=[Organization(id="o1", name="acme")], next_page=2)
    assert [organization.name async for organization in page] == ["acme"]
    assert [organization async for organization in page.items(limit=0)] == []
