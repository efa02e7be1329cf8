"""Client details that need exact control over the answers: an httpx MockTransport instead of the stand-in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx
import pytest

from bot.planetscale import (
    Pacer,
    PlanetScaleAPI,
    PlanetScaleClient,
    RateLimited,
    RetryPolicy,
    ServerError,
    UnexpectedResponse,
)
from bot.planetscale.pacing import MAX_PAUSE_SECONDS
from tests.planetscale.conftest import Tokens, unpaced

TOKEN = "pscale_oauth_secret_value"
REFRESHED_TOKEN = "pscale_oauth_refreshed_secret"
Handler = Callable[[httpx.Request], httpx.Response]


def api_for(handler: Handler, *, pacer: Pacer | None = None, retry: RetryPolicy | None = None) -> PlanetScaleAPI:
    client = PlanetScaleClient(
        base_url="https://api.example.test/v1/",
        transport=httpx.MockTransport(handler),
        pacer=pacer or unpaced(),
        retry=retry or RetryPolicy(max_retries=0),
    )
    return client.as_user(Tokens(TOKEN, REFRESHED_TOKEN))


async def test_path_parameters_are_one_encoded_segment_each() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    await api_for(handler).passwords.delete("acme corp", "shop", "feat/x?y#z", "pw%1")
    assert seen[0].url.raw_path == (
        b"/v1/organizations/acme%20corp/databases/shop/branches/feat%2Fx%3Fy%23z/passwords/pw%251"
    )
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("name", ["", ".", ".."])
async def test_names_that_would_change_the_path_are_refused(name: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"nothing should be sent, got {request.url}")

    with pytest.raises(ValueError, match="not a valid PlanetScale branch name"):
        await api_for(handler).branches.get("acme", "shop", name)


async def test_an_html_error_page_becomes_a_readable_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html><body>nginx</body></html>", headers={"Content-Type": "text/html"})

    with pytest.raises(ServerError) as raised:
        await api_for(handler).databases.get("acme", "shop")
    assert (raised.value.status, raised.value.code, raised.value.message) == (502, None, "Bad Gateway")


async def test_a_plain_text_error_keeps_its_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="  upstream\n overloaded ", headers={"Retry-After": "3"})

    with pytest.raises(ServerError) as raised:
        await api_for(handler).databases.get("acme", "shop")
    assert (raised.value.message, raised.value.retry_after) == ("upstream overloaded", 3.0)


async def test_a_success_with_an_unreadable_body_is_unexpected_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"name": "shop"})  # no id

    with pytest.raises(UnexpectedResponse, match=r"id: Field required"):
        await api_for(handler).databases.get("acme", "shop")


async def test_a_redirect_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/"})

    with pytest.raises(UnexpectedResponse) as raised:
        await api_for(handler).databases.get("acme", "shop")
    assert raised.value.status == 302


async def test_the_token_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    answers = iter([httpx.Response(500, json={"code": "internal", "message": "oops"}), httpx.Response(401)])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, json={"id": "u1"}))

    caplog.set_level(logging.DEBUG)
    api = api_for(handler, retry=RetryPolicy(initial_delay=0.001, jitter=lambda: 0.0))
    assert (await api.users.current()).id == "u1"
    assert caplog.records  # the retry and the refresh were logged...
    assert TOKEN not in caplog.text  # ...without the tokens
    assert REFRESHED_TOKEN not in caplog.text


async def test_pacing_that_cannot_send_within_the_budget_says_so() -> None:
    pacer = Pacer(requests_per_minute=2, burst=1)
    await pacer.acquire("someone else")  # the only token: the next comes in 60 s

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing should be sent")

    api = api_for(handler, pacer=pacer, retry=RetryPolicy(budget=0.05))
    with pytest.raises(RateLimited) as raised:
        await api.users.current()
    assert (raised.value.status, raised.value.code) == (None, "paced")


async def test_an_hour_long_retry_after_pauses_only_its_user_and_for_a_minute_at_most() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])
        if len(sent) == 1:
            return httpx.Response(429, headers={"Retry-After": "3600"}, json={"code": "rate_limited", "message": "x"})
        return httpx.Response(200, json={"id": "u1", "type": "User", "display_name": "Bob"})

    client = PlanetScaleClient(
        base_url="https://api.example.test/v1/", transport=httpx.MockTransport(handler), pacer=unpaced(),
        retry=RetryPolicy(max_retries=0),
    )
    alice = client.as_user(Tokens("alice-token", "alice-refreshed"), user_key="alice")
    bob = client.as_user(Tokens("bob-token", "bob-refreshed"), user_key="bob")
    with pytest.raises(RateLimited) as first:
        await alice.users.current()
    assert (first.value.status, first.value.retry_after) == (429, MAX_PAUSE_SECONDS)
    with pytest.raises(RateLimited) as again:
        await alice.users.current()
    assert again.value.code == "paused"
    assert 0 < (again.value.retry_after or 0) <= MAX_PAUSE_SECONDS
    assert (await bob.users.current()).id == "u1"
    assert sent == ["Bearer alice-token", "Bearer bob-token"]  # Alice's second call was never sent


class _EachWaitsForTheOther:
    """A shared budget and a token provider that each finish only once the other has begun: done one after the
    other they would wait for ever; at the same time, both finish."""

    def __init__(self) -> None:
        self.budget_begun = asyncio.Event()
        self.token_begun = asyncio.Event()

    async def spend(
        self, name: str, *, per_second: float, burst: float, sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        self.budget_begun.set()
        await self.token_begun.wait()

    async def access_token(self) -> str:
        self.token_begun.set()
        await self.budget_begun.wait()
        return TOKEN

    async def refresh_after_unauthorized(self, rejected_token: str) -> str:
        raise AssertionError("not asked for in this test")


async def test_the_token_is_read_while_the_request_waits_for_its_turn() -> None:
    both = _EachWaitsForTheOther()
    client = PlanetScaleClient(
        base_url="https://api.example.test/v1/",
        transport=httpx.MockTransport(lambda request: httpx.Response(204)),
        pacer=Pacer(requests_per_minute=60_000, burst=1_000, shared=both),
        retry=RetryPolicy(max_retries=0),
    )
    async with asyncio.timeout(5):
        await client.as_user(both).passwords.delete("acme", "shop", "main", "pw1")
