"""Retries, timeouts, errors and token refresh over real HTTP, with faults injected into the stand-in."""

from __future__ import annotations

import time

import pytest

from bot.planetscale import (
    AccessUnavailable,
    ConnectionFailed,
    LinkRequired,
    NotFound,
    NotLinked,
    PlanetScaleAPI,
    PlanetScaleClient,
    RateLimited,
    RetryPolicy,
    ServerError,
    Timeout,
    TokenUnavailable,
    Unauthorized,
)
from tests.planetscale.conftest import SimulatedTime, Tokens, unpaced
from tests.support.planetscale import ServedPlanetScale

DEPLOY_REQUEST = "/organizations/{organization}/databases/{database}/deploy-requests/{number}"
BRANCHES = "/organizations/{organization}/databases/{database}/branches"


async def test_429_then_success_honours_retry_after(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, sleeps: SimulatedTime
) -> None:
    planetscale.world.faults.rate_limit(method="GET", path=DEPLOY_REQUEST, retry_after=2, times=1)
    request = await alice.deploy_requests.get("acme", "shop", 1)
    assert request.number == 1
    assert len(planetscale.calls("GET", DEPLOY_REQUEST)) == 2
    assert sleeps.delays == [2.0]


async def test_429_without_retry_after_backs_off_exponentially(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, sleeps: SimulatedTime
) -> None:
    planetscale.world.faults.rate_limit(method="GET", path=DEPLOY_REQUEST, times=2)
    await alice.deploy_requests.get("acme", "shop", 1)
    # Backoff 0.5 s, then the pacer holds everyone for the rest of its 1 s pause after a 429 (the limit is shared),
    # then backoff 1.0 s (which outlasts the second pause). Jitter is pinned to 0 by the fixture.
    assert sleeps.delays == [0.5, 0.5, 1.0]
    assert len(planetscale.calls("GET", DEPLOY_REQUEST)) == 3


async def test_429_asking_for_longer_than_the_budget_is_raised_at_once(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, sleeps: SimulatedTime
) -> None:
    planetscale.world.faults.rate_limit(method="POST", path=BRANCHES, retry_after=60, times=1)
    with pytest.raises(RateLimited) as raised:
        await alice.branches.create("acme", "shop", "later")
    assert (raised.value.status, raised.value.retry_after, sleeps.delays) == (429, 60.0, [])


async def test_500_on_a_get_is_retried(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, sleeps: SimulatedTime
) -> None:
    planetscale.world.faults.error(method="GET", path=DEPLOY_REQUEST, status=500, times=1)
    assert (await alice.deploy_requests.get("acme", "shop", 1)).number == 1
    assert len(planetscale.calls("GET", DEPLOY_REQUEST)) == 2
    assert sleeps.delays == [0.5]


async def test_persistent_500_on_a_get_gives_up_after_max_retries(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale
) -> None:
    planetscale.world.faults.error(method="GET", path=DEPLOY_REQUEST, status=503, message="Down for maintenance")
    with pytest.raises(ServerError) as raised:
        await alice.deploy_requests.get("acme", "shop", 1)
    assert (raised.value.status, raised.value.message) == (503, "Down for maintenance")
    assert len(planetscale.calls("GET", DEPLOY_REQUEST)) == 4  # the first try and three retries


async def test_500_on_a_post_is_not_retried(
    alice: PlanetScaleAPI, planetscale: ServedPlanetScale, sleeps: SimulatedTime
) -> None:
    planetscale.world.faults.error(method="POST", path=BRANCHES, status=500, times=1)
    with pytest.raises(ServerError):
        await alice.branches.create("acme", "shop", "once-only")
    assert len(planetscale.calls("POST", BRANCHES)) == 1
    assert sleeps.delays == []


async def test_connection_reset_on_a_post_is_not_retried(alice: PlanetScaleAPI, planetscale: ServedPlanetScale) -> None:
    planetscale.world.faults.reset(method="POST", path=BRANCHES, times=1)
    with pytest.raises(ConnectionFailed) as raised:
        await alice.branches.create("acme", "shop", "maybe-created")
    assert raised.value.request_sent
    assert len(planetscale.calls("POST", BRANCHES)) == 1


async def test_connection_reset_on_a_get_is_retried(alice: PlanetScaleAPI, planetscale: ServedPlanetScale) -> None:
    planetscale.world.faults.reset(method="GET", path=DEPLOY_REQUEST, times=1)
    assert (await alice.deploy_requests.get("acme", "shop", 1)).number == 1
    assert len(planetscale.calls("GET", DEPLOY_REQUEST)) == 2


async def test_a_hang_becomes_timeout_within_the_budget(planetscale: ServedPlanetScale) -> None:
    assert planetscale.demo is not None
    planetscale.world.faults.hang(method="GET", path=DEPLOY_REQUEST)
    async with PlanetScaleClient(
        base_url=planetscale.base_url, pacer=unpaced(), retry=RetryPolicy(budget=0.6, jitter=lambda: 0.0)
    ) as client:
        api = client.as_user(Tokens(planetscale.token(planetscale.demo.admin)))
        started = time.monotonic()
        with pytest.raises(Timeout) as raised:
            await api.deploy_requests.get("acme", "shop", 1)
        elapsed = time.monotonic() - started
    assert raised.value.status is None
    assert elapsed < 1.5, f"the call took {elapsed:.2f} s on a 0.6 s budget"


async def test_404_is_not_found_with_planetscales_message(alice: PlanetScaleAPI) -> None:
    with pytest.raises(NotFound) as raised:
        await alice.deploy_requests.get("acme", "shop", 999)
    error = raised.value
    assert (error.status, error.code, error.message, error.method) == (404, "not_found", "Not Found", "GET")
    assert error.path == DEPLOY_REQUEST
    assert "permission or OAuth scope" in str(error)


async def test_401_refreshes_the_token_once_then_succeeds(
    client: PlanetScaleClient, planetscale: ServedPlanetScale
) -> None:
    assert planetscale.demo is not None
    stale = planetscale.token(planetscale.demo.admin)
    planetscale.world.revoke_token(stale)
    tokens = Tokens(stale, planetscale.token(planetscale.demo.admin))
    user = await client.as_user(tokens).users.current()
    assert user.display_name == "Alice Admin"
    assert tokens.rejected == [stale]
    assert [record.status for record in planetscale.calls("GET", "/user")] == [401, 200]


async def test_a_second_401_raises_unauthorized(client: PlanetScaleClient, planetscale: ServedPlanetScale) -> None:
    tokens = Tokens("pscale_oauth_revoked", "pscale_oauth_also_revoked")
    with pytest.raises(Unauthorized) as raised:
        await client.as_user(tokens).users.current()
    assert raised.value.status == 401
    assert tokens.rejected == ["pscale_oauth_revoked"]  # asked to refresh exactly once
    assert len(planetscale.calls("GET", "/user")) == 2


class NoToken:
    """A TokenProvider with nothing to give: `error` is what it raises, as bot/linking does."""

    def __init__(self, error: TokenUnavailable) -> None:
        self.error = error
        self.asked = 0

    async def access_token(self) -> str:
        self.asked += 1
        raise self.error

    async def refresh_after_unauthorized(self, rejected_token: str) -> str:
        raise AssertionError("nothing was sent, so nothing can have been rejected")


async def test_no_grant_is_not_linked_naming_the_call_that_was_not_sent(
    client: PlanetScaleClient, planetscale: ServedPlanetScale
) -> None:
    provider = NoToken(LinkRequired())
    with pytest.raises(NotLinked) as raised:
        await client.as_user(provider).deploy_requests.get("acme", "shop", 1)
    assert isinstance(raised.value, Unauthorized)  # every caller's "link again" path
    assert (raised.value.method, raised.value.path, raised.value.status) == ("GET", DEPLOY_REQUEST, None)
    assert "not linked" in raised.value.message
    assert provider.asked == 1
    assert planetscale.calls() == []


async def test_no_token_just_now_is_retried_then_access_unavailable(
    client: PlanetScaleClient, planetscale: ServedPlanetScale, sleeps: SimulatedTime
) -> None:
    provider = NoToken(TokenUnavailable("PlanetScale could not refresh your access just now."))
    with pytest.raises(AccessUnavailable) as raised:
        await client.as_user(provider).deploy_requests.close("acme", "shop", 1)
    assert raised.value.message == "PlanetScale could not refresh your access just now."
    assert raised.value.status is None
    assert provider.asked == 4  # a POST too: without a token it never left
    assert len(sleeps.delays) == 3
    assert planetscale.calls() == []
