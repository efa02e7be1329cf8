"""The client's aiohttp transport (bot/planetscale/transport.py) against real servers on loopback: what it hands
httpx, and which failures it says left the request unsent."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.planetscale import ConnectionFailed, PlanetScaleClient, RetryPolicy
from bot.planetscale.client import DEFAULT_LIMITS
from bot.planetscale.transport import AiohttpTransport
from tests.planetscale.conftest import Tokens, unpaced
from tests.support.servers import free_port, serve_asgi

ORGANIZATIONS = {"type": "list", "current_page": 1, "data": [{"id": "o1", "name": "acme-" + "x" * 600}]}


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({
        "method": request.method,
        "query": request.url.query,
        "authorization": request.headers.get("authorization"),
        "body": (await request.body()).decode(),
    })


async def organizations(request: Request) -> JSONResponse:
    return JSONResponse(ORGANIZATIONS)


COOKIES_SEEN: list[str | None] = []


async def organizations_with_a_session_cookie(request: Request) -> JSONResponse:
    COOKIES_SEEN.append(request.headers.get("cookie"))
    answer = JSONResponse(ORGANIZATIONS)
    answer.set_cookie("session", request.headers["authorization"].removeprefix("Bearer "))
    return answer


APP = Starlette(
    routes=[
        Route("/echo", echo, methods=["GET", "POST"]), Route("/organizations", organizations),
        Route("/cookie/v1/organizations", organizations_with_a_session_cookie),
    ],
    middleware=[Middleware(GZipMiddleware, minimum_size=100)],
)


async def test_a_gzipped_answer_is_decoded_once() -> None:
    with serve_asgi(APP) as base_url:
        async with httpx.AsyncClient(transport=AiohttpTransport(limits=DEFAULT_LIMITS)) as http:
            answer = await http.get(f"{base_url}/organizations")
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.json() == ORGANIZATIONS


async def test_method_query_headers_and_body_arrive_as_httpx_built_them() -> None:
    with serve_asgi(APP) as base_url:
        async with httpx.AsyncClient(transport=AiohttpTransport(limits=DEFAULT_LIMITS)) as http:
            answer = await http.post(
                f"{base_url}/echo", params={"page": 2, "q": "a b"}, json={"name": "feat/x"},
                headers={"Authorization": "Bearer t"},
            )
    assert answer.status_code == 200
    assert answer.reason_phrase == "OK"
    assert answer.json() == {
        "method": "POST", "query": "page=2&q=a+b", "authorization": "Bearer t", "body": '{"name":"feat/x"}',
    }


async def test_nothing_listening_is_a_request_never_sent() -> None:
    """So a POST may be tried again: only a connection that was never made proves that (a reset after sending is
    `test_connection_reset_on_a_post_is_not_retried`)."""
    async with PlanetScaleClient(
        base_url=f"http://127.0.0.1:{free_port()}/v1", pacer=unpaced(), retry=RetryPolicy(max_retries=0)
    ) as client:
        with pytest.raises(ConnectionFailed) as raised:
            await client.as_user(Tokens("t")).branches.create("acme", "shop", "feat")
    assert not raised.value.request_sent


async def test_a_cookie_set_in_one_persons_answer_is_never_sent_with_anyones_request() -> None:
    """One client carries every linked person's requests: a cookie kept from Alice's answer would go out with Bob's
    (httpx's jar and aiohttp's would each keep it)."""
    COOKIES_SEEN.clear()
    with serve_asgi(APP) as base_url:
        # By name: aiohttp's jar keeps no cookie from a bare IP address.
        by_name = base_url.replace("127.0.0.1", "localhost")
        async with PlanetScaleClient(base_url=f"{by_name}/cookie/v1", pacer=unpaced()) as client:
            for token in ("alice-token", "bob-token", "alice-token"):
                await client.as_user(Tokens(token)).organizations.list()
    assert COOKIES_SEEN == [None, None, None]
