"""Fault injection: 429 with Retry-After, 500, connection reset, hangs past a client timeout, latency."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.sandbox.planetscale import Faults, paths
from tests.support.planetscale import ServedPlanetScale

SHOP = "/organizations/acme/databases/shop"


def _client(planetscale: ServedPlanetScale, *, timeout: float = 5.0) -> httpx.AsyncClient:
    assert planetscale.demo is not None
    return planetscale.client(planetscale.token(planetscale.demo.admin), timeout=timeout)


async def test_rate_limit_with_retry_after_then_recovery(planetscale: ServedPlanetScale) -> None:
    planetscale.world.faults.rate_limit(method="GET", path=paths.BRANCHES, retry_after=2, times=1)
    async with _client(planetscale) as client:
        limited = await client.get(f"{SHOP}/branches")
        recovered = await client.get(f"{SHOP}/branches")
        untouched = await client.get(f"{SHOP}")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert limited.json()["code"] == "rate_limited"
    assert recovered.status_code == untouched.status_code == 200
    assert [(call.status, call.injected) for call in planetscale.calls("GET", paths.BRANCHES)] == [
        (429, "status"),
        (200, None),
    ]


async def test_server_error_forever_until_cleared(planetscale: ServedPlanetScale) -> None:
    planetscale.world.faults.error(path=paths.DEPLOY_REQUEST, status=500)
    async with _client(planetscale) as client:
        statuses = [(await client.get(f"{SHOP}/deploy-requests/1")).status_code for _ in range(3)]
        failed = await client.get(f"{SHOP}/deploy-requests/1")
        planetscale.world.faults.clear()
        fine = await client.get(f"{SHOP}/deploy-requests/1")
    assert statuses == [500, 500, 500]
    assert failed.json() == {"code": "internal_server_error", "message": "Internal server error"}
    assert fine.status_code == 200


async def test_connection_reset_sends_no_response(planetscale: ServedPlanetScale) -> None:
    planetscale.world.faults.reset(method="POST", path=paths.DEPLOY, times=1)
    async with _client(planetscale) as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.post(f"{SHOP}/deploy-requests/1/deploy", json={})
        after = await client.get(f"{SHOP}/deploy-requests/1")
    assert after.json()["deployment_state"] == "ready"  # the dropped deploy never ran
    assert [(call.status, call.injected) for call in planetscale.calls("POST", paths.DEPLOY)] == [(None, "reset")]


async def test_hang_outlasts_a_client_timeout_until_released(planetscale: ServedPlanetScale) -> None:
    planetscale.world.faults.hang(path=paths.USER, times=1)
    async with _client(planetscale, timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/user")
        assert time.monotonic() - started < 2
        planetscale.world.faults.release()
        assert (await client.get("/user")).status_code == 200


async def test_latency_delays_but_answers(planetscale: ServedPlanetScale) -> None:
    planetscale.world.faults.latency(path=paths.USER, seconds=0.2, times=1)
    async with _client(planetscale) as client:
        started = time.monotonic()
        response = await client.get("/user")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_rules_must_name_a_served_route() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="not a path template"):
        faults.error(path="/organizations/{org}/typo", status=500)
    with pytest.raises(ValueError, match="4xx or 5xx"):
        faults.error(path=paths.USER, status=200)
