"""A served PlanetScale stand-in for tests, checked against PlanetScale's spec after every test.

The `planetscale` fixture serves a seeded `World` (see `bot.sandbox.planetscale.seed`) on an ephemeral loopback
port and, at teardown, validates every exchange it served during the test against the vendored spec subset plus
its overlay (tests/data/planetscale/) with openapi-core: status codes must be declared, response bodies and content
types must match. A request the spec would reject is reported only when the stand-in accepted it (2xx), since
refusing bad input is the stand-in's job. Exchanges shaped by an injected status or reset fault are not checked:
the test wrote those, not the stand-in.

    async def test_x(planetscale: ServedPlanetScale) -> None:
        token = planetscale.token(planetscale.demo.admin)
        async with planetscale.client(token) as client:
            response = await client.get("/user")
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from bot.sandbox.planetscale import ALL_SCOPES, DemoWorld, RequestRecord, World, create_planetscale_api, seed_demo
from bot.sandbox.planetscale.webhooks import WebhookSender
from bot.sandbox.planetscale.world import DEFAULT_TOKEN_LIFETIME, User
from tests.support.servers import LOOPBACK_TLS, serve_asgi

__all__ = [
    "ServedPlanetScale",
    "conformance_problems",
    "load_spec",
    "planetscale",
    "serve_planetscale",
]

DATA = Path(__file__).resolve().parent.parent / "data" / "planetscale"
SUBSET = DATA / "openapi.subset.json"
OVERLAY = DATA / "overlay.json"
# The spec's server; requests are validated as if sent there, so the stand-in's host and port do not matter.
SPEC_HOST = "https://api.planetscale.com"
NOT_CHECKED_FAULTS = frozenset({"status", "reset"})


def load_spec() -> dict[str, Any]:
    """The vendored subset with the overlay merged in (a fresh copy each call)."""
    return copy.deepcopy(_merged_spec())


@cache
def _merged_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SUBSET.read_text(encoding="utf-8"))
    overlay: dict[str, Any] = json.loads(OVERLAY.read_text(encoding="utf-8"))
    spec.setdefault("components", {}).setdefault("schemas", {}).update(overlay["schemas"])
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation["responses"]
            for status, addition in overlay["every_operation"]["responses"].items():
                response = responses.setdefault(status, {"description": addition["description"]})
                if "content" not in response:
                    response["content"] = copy.deepcopy(error_content)
                    response["x-overlay"] = addition["x-overlay"]
    return spec


@cache
def _openapi() -> OpenAPI:
    return OpenAPI.from_dict(_merged_spec())


def _describe(error: Exception) -> str:
    parts = [str(error)]
    cause = error.__cause__
    for schema_error in getattr(cause, "schema_errors", ()) or ():
        location = "/".join(str(step) for step in schema_error.absolute_path)
        parts.append(f"  at /{location}: {schema_error.message}")
    if cause is not None and not getattr(cause, "schema_errors", None):
        parts.append(f"  {cause}")
    return "\n".join(parts)


def conformance_problems(records: Iterable[RequestRecord]) -> list[str]:
    """One line (plus details) per exchange that does not match the spec subset + overlay. An answer still being sent
    is not judged (a test's checks may run while the bot's follow-ups are still being answered): only part of its body
    has been logged."""
    problems: list[str] = []
    for record in records:
        if record.template is None or not record.answered or record.injected in NOT_CHECKED_FAULTS:
            continue
        problems.extend(
            _exchange_problems(
                record.method, record.path, record.query, record.request_body, record.request_content_type,
                record.status, record.response_body, tuple(record.response_headers.items()),
                record.response_content_type,
            )
        )
    return problems


# An exchange is checked once per process: the same request and answer (a reconciler re-reading an unchanged deploy
# request every pass, the link flow's reads in every test) get the same verdict from the same spec, and checking one
# costs ~5 ms of CPU, which the suite spent thousands of times over. Everything the check reads is in the key.
@lru_cache(maxsize=8192)
def _exchange_problems(
    method: str, path: str, query: str, request_body: bytes, request_content_type: str | None, status: int,
    response_body: bytes, response_headers: tuple[tuple[str, str], ...], response_content_type: str | None,
) -> tuple[str, ...]:
    openapi = _openapi()
    request = MockRequest(
        SPEC_HOST,
        method,
        path,
        args=dict(parse_qsl(query, keep_blank_values=True)),
        # The log keeps no Authorization header (tokens are secrets); the spec's oauth2 scheme needs one present.
        headers={"Authorization": "Bearer redacted"},
        data=request_body,
        content_type=request_content_type or "application/json",
    )
    response = MockResponse(
        response_body, status_code=status, headers=dict(response_headers), content_type=response_content_type or ""
    )
    label = f"{method} {path}?{query} → {status}"
    problems = [f"{label}: response: {_describe(error)}" for error in openapi.iter_response_errors(request, response)]
    if 200 <= status < 300:
        with warnings.catch_warnings():
            # openapi-core cannot check oauth2 ("Unsupported scheme type"); the stand-in checks tokens itself.
            warnings.simplefilter("ignore", UserWarning)
            request_errors = list(openapi.iter_request_errors(request))
        problems.extend(f"{label}: accepted a request the spec rejects: {_describe(error)}" for error in request_errors)
    return tuple(problems)


@dataclass
class ServedPlanetScale:
    """A stand-in being served: its world, its base URL (ending in /v1), the seeded people, and what it sends to
    registered webhooks."""

    world: World
    base_url: str
    demo: DemoWorld | None
    webhooks: WebhookSender

    def token(
        self, user: User | str, scopes: Iterable[str] = ALL_SCOPES, *, expires_in: int = DEFAULT_TOKEN_LIFETIME
    ) -> str:
        user_id = user if isinstance(user, str) else user.id
        return self.world.issue_access_token(user_id, scopes, expires_in=expires_in)

    def client(self, token: str | None = None, *, timeout: float = 5.0) -> httpx.AsyncClient:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=timeout, verify=LOOPBACK_TLS)

    def calls(self, method: str | None = None, template: str | None = None) -> list[RequestRecord]:
        """The logged requests, optionally only those with this method and/or spec path template."""
        with self.world.lock:
            return [
                record
                for record in self.world.requests
                if (method is None or record.method == method) and (template is None or record.template == template)
            ]

    def problems(self) -> list[str]:
        with self.world.lock:
            records = list(self.world.requests)
        return conformance_problems(records)


@contextmanager
def serve_planetscale(world: World, *, demo: DemoWorld | None = None) -> Iterator[ServedPlanetScale]:
    """Serve `world` on a loopback port, sending its webhook deliveries as they happen; hung requests are released
    before the server stops."""
    with serve_asgi(create_planetscale_api(world)) as base_url, WebhookSender(world).running() as sender:
        try:
            yield ServedPlanetScale(world=world, base_url=f"{base_url}/v1", demo=demo, webhooks=sender)
        finally:
            world.faults.clear()


@pytest.fixture
def planetscale() -> Iterator[ServedPlanetScale]:
    """The seeded stand-in on a ManualClock; fails the test if any exchange it served breaks the spec."""
    world = World()
    demo = seed_demo(world)
    with serve_planetscale(world, demo=demo) as served:
        yield served
    problems = served.problems()
    if problems:
        pytest.fail("PlanetScale stand-in broke the spec:\n" + "\n".join(problems), pytrace=False)
