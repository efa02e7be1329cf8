"""PlanetScale's OAuth server stand-in holds the line the bot's client is tested against."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.planetscale.oauth import AutoApprove, ConsentPage, PlanetScaleOAuthServer
from tests.support.oauth_browser import query_of
from tests.support.servers import serve_asgi

REDIRECT = "https://bot.example.com/oauth/planetscale/callback"
SCOPE = "user:read_user organization:read_databases"


@dataclass
class Served:
    server: PlanetScaleOAuthServer
    http: httpx.Client

    def authorize(self, **overrides: str) -> httpx.Response:
        params = {"client_id": "app", "redirect_uri": REDIRECT, "response_type": "code", "scope": SCOPE, "state": "s1"}
        params.update(overrides)
        return self.http.get("/oauth/authorize", params={key: value for key, value in params.items() if value})

    def code(self) -> str:
        return query_of(self.authorize().headers["location"])["code"]

    def token(self, **form: str) -> httpx.Response:
        return self.http.post("/oauth/token", data={"client_id": "app", "client_secret": "secret", **form})

    def exchange(self) -> dict[str, Any]:
        answer = self.token(grant_type="authorization_code", code=self.code(), redirect_uri=REDIRECT)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def revoke(self, token: str) -> httpx.Response:
        return self.http.post("/oauth/revoke", data={"client_id": "app", "client_secret": "secret", "token": token})


@pytest.fixture
def served() -> Iterator[Served]:
    world = World()
    demo = seed_demo(world)
    server = PlanetScaleOAuthServer(
        world, client_id="app", client_secret="secret", redirect_uri=REDIRECT, consent=AutoApprove(demo.admin.id)
    )
    with serve_asgi(server.app) as url, httpx.Client(base_url=url, timeout=5) as http:
        yield Served(server, http)


def test_authorize_refuses_unknown_clients_and_redirect_uris_without_redirecting(served: Served) -> None:
    for overrides in ({"client_id": "other"}, {"redirect_uri": REDIRECT + "/x"}, {"redirect_uri": ""}):
        answer = served.authorize(**overrides)
        assert answer.status_code == 400
        assert "location" not in answer.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"scope": ""}, "invalid_scope"),
        ({"scope": "user:read_user organization:delete_organization_everything"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "unsupported_response_type"),
    ],
)
def test_authorize_redirects_protocol_errors(served: Served, overrides: dict[str, str], error: str) -> None:
    answer = served.authorize(**overrides)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith(REDIRECT + "?")
    assert query_of(answer.headers["location"]) == {"error": error, "state": "s1"}


def test_codes_are_single_use_bound_to_the_redirect_uri_and_expire(served: Served) -> None:
    body = served.exchange()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 2_592_000
    assert body["scope"] == "organization:read_databases user:read_user"
    assert body["access_token"].startswith("pscale_oauth_")
    assert body["refresh_token"].startswith("pscale_oauth_refresh_")

    code = served.code()
    assert served.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT + "x").status_code == 400
    used = served.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT)  # burned by the try above
    assert (used.status_code, used.json()["error"]) == (400, "invalid_grant")

    late = served.code()
    served.server.world.advance(61)
    assert served.token(grant_type="authorization_code", code=late, redirect_uri=REDIRECT).json()["error"] == (
        "invalid_grant"
    )
    assert served.server.counters.exchanges == 4


def test_bad_client_credentials_get_401(served: Served) -> None:
    code = served.code()
    answer = served.http.post(
        "/oauth/token",
        data={"client_id": "app", "client_secret": "wrong", "grant_type": "authorization_code", "code": code,
              "redirect_uri": REDIRECT},
    )
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")
    assert served.http.post("/oauth/revoke", data={"client_id": "app", "token": "x"}).status_code == 401
    assert served.token(grant_type="password").json()["error"] == "unsupported_grant_type"


def test_refresh_tokens_rotate(served: Served) -> None:
    first = served.exchange()
    second = served.token(grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    replay = served.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    assert served.token(grant_type="refresh_token", refresh_token=second["refresh_token"]).status_code == 200
    assert served.server.counters.refreshes == 3


def test_revoking_one_token_leaves_the_other(served: Served) -> None:
    tokens = served.exchange()
    assert served.revoke(tokens["access_token"]).json() == {}
    assert not served.server.is_active(tokens["access_token"])
    assert served.server.is_active(tokens["refresh_token"])

    other = served.exchange()
    assert served.revoke(other["refresh_token"]).status_code == 200
    assert served.server.is_active(other["access_token"])
    assert served.token(grant_type="refresh_token", refresh_token=other["refresh_token"]).json()["error"] == (
        "invalid_grant"
    )
    assert served.revoke("never-issued").status_code == 200  # RFC 7009: unknown tokens are fine too
    assert served.server.counters.revocations == 3


def test_token_info(served: Served) -> None:
    tokens = served.exchange()
    info = served.http.get("/oauth/token/info", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["active"] is True
    assert info["sub"] in served.server.world.users
    assert info["exp"] - info["iat"] == 2_592_000
    assert info["client_id"] == "app"
    served.revoke(tokens["access_token"])
    gone = served.http.get("/oauth/token/info", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert gone.json() == {"active": False}


def test_the_consent_page_lets_a_person_pick_who_they_are(served: Served) -> None:
    served.server.consent = ConsentPage()
    page = served.authorize()
    assert page.status_code == 200
    assert "Bob Builder" in page.text
    bob = next(user.id for user in served.server.world.users.values() if user.name == "bob")
    form = {"client_id": "app", "redirect_uri": REDIRECT, "scope": SCOPE, "state": "s1", "user_id": bob}

    approved = served.http.post("/oauth/authorize", data={**form, "decision": "approve"})
    code = query_of(approved.headers["location"])["code"]
    tokens = served.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    info = served.http.get("/oauth/token/info", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["sub"] == bob

    denied = served.http.post("/oauth/authorize", data={**form, "decision": "deny"})
    assert query_of(denied.headers["location"]) == {"error": "access_denied", "state": "s1"}
    forged = served.http.post(
        "/oauth/authorize", data={**form, "redirect_uri": "https://evil.example", "decision": "approve"}
    )
    assert forged.status_code == 400
    assert "location" not in forged.headers


def test_an_optional_scope_is_granted_only_when_ticked(served: Served) -> None:
    webhooks = "organization:write_databases"
    served.server.consent = ConsentPage(optional={webhooks: "Also let the bot create webhooks"})
    scope = f"{SCOPE} {webhooks}"
    page = served.authorize(scope=scope)
    assert 'name="grant:organization:write_databases"' in page.text
    bob = next(user.id for user in served.server.world.users.values() if user.name == "bob")
    form = {"client_id": "app", "redirect_uri": REDIRECT, "scope": scope, "state": "s", "user_id": bob,
            "decision": "approve"}

    def granted(**ticked: str) -> set[str]:
        answer = served.http.post("/oauth/authorize", data={**form, **ticked})
        code = query_of(answer.headers["location"])["code"]
        tokens = served.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
        return set(tokens["scope"].split())

    assert webhooks not in granted()
    assert granted() == set(SCOPE.split())
    assert webhooks in granted(**{f"grant:{webhooks}": "yes"})
