"""Fixtures for the PlanetScale client tests: a client pointed at the served stand-in, fake tokens, recorded sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.planetscale import Pacer, PlanetScaleAPI, PlanetScaleClient, RetryPolicy
from tests.support.planetscale import ServedPlanetScale, planetscale

__all__ = ["planetscale"]


def unpaced(
    *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> Pacer:
    """A pacer generous enough never to delay these tests; pacing itself is tested on simulated time."""
    return Pacer(requests_per_minute=60_000, burst=1_000, clock=clock, sleep=sleep)


class Tokens:
    """A TokenProvider handing out `tokens` in order: the first is current, each refresh moves to the next."""

    def __init__(self, *tokens: str) -> None:
        self._tokens = list(tokens)
        self.rejected: list[str] = []

    async def access_token(self) -> str:
        return self._tokens[0]

    async def refresh_after_unauthorized(self, rejected_token: str) -> str:
        self.rejected.append(rejected_token)
        self._tokens.pop(0)
        return self._tokens[0]


class SimulatedTime:
    """A clock and a sleep for the client's retries and pacing: sleeping returns at once, moves the clock on and
    is remembered. (HTTP timeouts still run on real time.)"""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.delays: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> SimulatedTime:
    return SimulatedTime()


@pytest.fixture
async def client(planetscale: ServedPlanetScale, sleeps: SimulatedTime) -> AsyncIterator[PlanetScaleClient]:
    async with PlanetScaleClient(
        base_url=planetscale.base_url,
        sleep=sleeps.sleep,
        clock=sleeps.clock,
        pacer=unpaced(clock=sleeps.clock, sleep=sleeps.sleep),
        retry=RetryPolicy(jitter=lambda: 0.0),
    ) as ps_client:
        yield ps_client


@pytest.fixture
def alice(client: PlanetScaleClient, planetscale: ServedPlanetScale) -> PlanetScaleAPI:
    """The API as Alice, an admin of `acme`."""
    assert planetscale.demo is not None
    return client.as_user(Tokens(planetscale.token(planetscale.demo.admin)), user_key="alice")


@pytest.fixture
def bob(client: PlanetScaleClient, planetscale: ServedPlanetScale) -> PlanetScaleAPI:
    """The API as Bob, the other admin of `acme`."""
    assert planetscale.demo is not None
    return client.as_user(Tokens(planetscale.token(planetscale.demo.second_admin)), user_key="bob")
