"""Fault injection: 429 with Retry-After, 500, connection reset, hangs past a client timeout, latency."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from bot.sandbox.planetscale import Faults, paths
from tests.support.planetscale import ServedPlanetScale
from tests.support.webhooks import until

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


@pytest.mark.parametrize("hold", ["latency", "hang"])
async def test_a_client_that_gives_up_on_a_held_request_leaves_it_unanswered_unrun_and_quiet(
    planetscale: ServedPlanetScale, caplog: pytest.LogCaptureFixture, hold: str
) -> None:
    """The issue: the bot timed out while a latency fault held its POST; the stand-in then read the body of a
    request whose client had gone, logged a ClientDisconnect traceback and recorded a 500 nobody received."""
    caplog.set_level(logging.WARNING)
    faults = planetscale.world.faults
    if hold == "latency":
        faults.latency(method="POST", path=paths.DEPLOY, seconds=1.0, times=1)
    else:
        faults.hang(method="POST", path=paths.DEPLOY, times=1)
    async with _client(planetscale, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{SHOP}/deploy-requests/1/deploy", json={"instant_ddl": False})
        # Settled, one way or the other (a hang ends when its client leaves, not when it is released).
        await until(
            lambda: any(call.abandoned or call.status for call in planetscale.calls("POST", paths.DEPLOY)), timeout=5
        )
        await asyncio.sleep(1.0)  # past the latency: the held request must not run after all
        after = await client.get(f"{SHOP}/deploy-requests/1")
    (deploy,) = planetscale.calls("POST", paths.DEPLOY)
    assert (deploy.status, deploy.abandoned, deploy.response_body, deploy.injected) == (None, True, b"", hold)
    assert deploy.request_body == b'{"instant_ddl":false}'
    assert after.json()["deployment_state"] == "ready"  # the deploy its client gave up on never ran
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


async def test_a_held_request_whose_client_waits_gets_its_body_and_its_answer(planetscale: ServedPlanetScale) -> None:
    """The held request's body, read while watching for the client to leave, reaches the operation intact."""
    planetscale.world.faults.latency(method="POST", path=paths.BRANCHES, seconds=0.2, times=1)
    async with _client(planetscale) as client:
        created = await client.post(f"{SHOP}/branches", json={"name": "held-branch", "parent_branch": "main"})
    assert (created.status_code, created.json()["name"]) == (201, "held-branch")
    (call,) = planetscale.calls("POST", paths.BRANCHES)
    assert (call.status, call.abandoned, call.injected) == (201, False, "latency")


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
