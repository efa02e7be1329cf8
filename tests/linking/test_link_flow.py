"""The link over real HTTP: start page → POST → PlanetScale (stand-in) → callback, and every way it must fail."""

from __future__ import annotations

from bot.linking import CALLBACK_PATH, START_PATH
from bot.sandbox.planetscale.oauth import AutoDeny
from tests.linking.conftest import (
    ALICE_SLACK,
    BOB_SLACK,
    CLIENT_ID,
    SCOPES,
    TEAM,
    Notice,
    Rig,
)
from tests.support.oauth_browser import Browser, query_of, reason_tokens


def assert_refused(response_text: str, status: int, reason: str) -> None:
    assert status == 400, response_text
    assert reason_tokens(response_text) == [reason]


async def test_whole_dance_then_whoami(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    start_url = await rig.start_url()
    assert start_url.startswith(f"{rig.base_url}{START_PATH}?t=")

    redirect = browser.start(start_url)
    assert redirect.status_code == 303
    authorize = redirect.headers["location"]
    assert authorize.startswith(rig.app.authorize_url + "?")
    sent = query_of(authorize)
    assert sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == rig.base_url + CALLBACK_PATH
    assert sent["response_type"] == "code"
    assert sent["scope"] == " ".join(SCOPES)
    assert len(sent["state"]) >= 43  # 256 random bits, url-safe base64
    cookie = redirect.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/oauth/planetscale" in cookie
    assert "Secure" not in cookie  # BOT_PUBLIC_URL is http here

    page = browser.http.get(browser.authorize(authorize))
    assert page.status_code == 200, page.text
    assert "Alice Admin" in page.text
    assert reason_tokens(page.text) == []
    assert rig.oauth.counters.exchanges == 1

    assert rig.notifier.notices == [Notice(TEAM, ALICE_SLACK, "linked", "Alice Admin")]

    linking = await rig.linking()
    assert await linking.has_active_grant(TEAM, ALICE_SLACK)
    assert not await linking.has_active_grant(TEAM, BOB_SLACK)
    account = await linking.whoami(TEAM, ALICE_SLACK)
    assert account is not None
    assert (account.planetscale_name, account.planetscale_email) == ("Alice Admin", "alice@acme.example.com")
    assert "acme" in account.organizations
    assert "globex" not in account.organizations
    assert set(account.scopes) == set(SCOPES)
    assert account.linked_since > 0
    assert await linking.whoami(TEAM, BOB_SLACK) is None


async def test_a_replayed_callback_is_refused_and_exchanges_nothing(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    redirect = browser.start(await rig.start_url())
    callback = browser.authorize(redirect.headers["location"])
    assert browser.http.get(callback).status_code == 200

    replay = browser.http.get(callback)
    assert_refused(replay.text, replay.status_code, "invalid_state")
    assert rig.oauth.counters.exchanges == 1


async def test_a_callback_without_the_cookie_is_refused_and_does_not_spoil_the_real_one(
    rig: Rig, browsers: list[Browser]
) -> None:
    owner, stranger = browsers
    callback = owner.authorize(owner.start(await rig.start_url()).headers["location"])

    refused = stranger.http.get(callback)
    assert_refused(refused.text, refused.status_code, "invalid_browser")
    assert rig.oauth.counters.exchanges == 0
    assert not await (await rig.linking()).has_active_grant(TEAM, ALICE_SLACK)

    assert owner.http.get(callback).status_code == 200  # the state was not used up by the stranger


async def test_another_users_state_is_refused(rig: Rig, browsers: list[Browser]) -> None:
    alice, bob = browsers
    alice_callback = alice.authorize(alice.start(await rig.start_url(user_id=ALICE_SLACK)).headers["location"])
    bob.start(await rig.start_url(user_id=BOB_SLACK))  # Bob's browser has its own cookie and state

    refused = bob.http.get(alice_callback)
    assert_refused(refused.text, refused.status_code, "invalid_browser")
    assert rig.oauth.counters.exchanges == 0
    linking = await rig.linking()
    assert not await linking.has_active_grant(TEAM, ALICE_SLACK)
    assert not await linking.has_active_grant(TEAM, BOB_SLACK)


async def test_an_expired_state_is_refused(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    callback = browser.authorize(browser.start(await rig.start_url()).headers["location"])
    rig.clock.advance(11 * 60)

    refused = browser.http.get(callback)
    assert_refused(refused.text, refused.status_code, "expired_state")
    assert rig.oauth.counters.exchanges == 0
    again = browser.http.get(callback)
    assert_refused(again.text, again.status_code, "invalid_state")


async def test_access_denied_is_refused(rig: Rig, browsers: list[Browser]) -> None:
    rig.oauth.consent = AutoDeny()
    browser = browsers[0]
    callback = browser.authorize(browser.start(await rig.start_url()).headers["location"])
    assert query_of(callback)["error"] == "access_denied"

    refused = browser.http.get(callback)
    assert_refused(refused.text, refused.status_code, "access_denied")
    assert rig.oauth.counters.exchanges == 0
    assert not await (await rig.linking()).has_active_grant(TEAM, ALICE_SLACK)


async def test_a_failing_exchange_is_refused_once(rig: Rig, browsers: list[Browser]) -> None:
    rig.oauth.fail_token_requests(status=500, error="server_error")
    browser = browsers[0]
    callback = browser.authorize(browser.start(await rig.start_url()).headers["location"])

    refused = browser.http.get(callback)
    assert_refused(refused.text, refused.status_code, "exchange_failed")
    assert rig.oauth.counters.exchanges == 1
    replay = browser.http.get(callback)
    assert_refused(replay.text, replay.status_code, "invalid_state")
    assert rig.oauth.counters.exchanges == 1
    assert not await (await rig.linking()).has_active_grant(TEAM, ALICE_SLACK)
    assert rig.notifier.notices == []


async def test_a_callback_without_code_is_refused(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    state = query_of(browser.start(await rig.start_url()).headers["location"])["state"]

    refused = browser.http.get(f"{rig.base_url}{CALLBACK_PATH}", params={"state": state})
    assert_refused(refused.text, refused.status_code, "missing_code")
    assert rig.oauth.counters.exchanges == 0


async def test_a_fresh_token_refused_once_is_retried_after_a_pause(rig: Rig, browsers: list[Browser]) -> None:
    rig.world.faults.error(method="GET", path="/user", status=401, times=1)

    page = browsers[0].link(await rig.start_url())
    assert page.status_code == 200, page.text
    assert rig.sleep.calls == [2.0]
    assert len(rig.planetscale.calls("GET", "/user")) == 2


async def test_a_fresh_token_refused_twice_fails_the_link_and_is_revoked(rig: Rig, browsers: list[Browser]) -> None:
    rig.world.faults.error(method="GET", path="/user", status=401, times=2)

    refused = browsers[0].link(await rig.start_url())
    assert_refused(refused.text, refused.status_code, "exchange_failed")
    assert rig.oauth.counters.revocations == 2  # both the access and the refresh token
    assert not await (await rig.linking()).has_active_grant(TEAM, ALICE_SLACK)


async def test_the_ticket_survives_a_look_but_not_a_use(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    start_url = await rig.start_url()
    for _ in range(2):  # a link scanner's GET does not use the ticket up
        page = browser.http.get(start_url)
        assert page.status_code == 200
        assert "Continue to PlanetScale" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
    assert browser.start(start_url).status_code == 303

    again = browser.http.post(start_url.partition("?")[0], data={"t": query_of(start_url)["t"]})
    assert again.status_code == 400
    assert "/pscale login" in again.text
    assert browser.http.get(start_url).status_code == 400


async def test_unknown_expired_and_malformed_tickets_get_a_clear_page(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    start = f"{rig.base_url}{START_PATH}"
    for params in ({}, {"t": "nope"}, {"t": "x" * 43}, {"t": "<script>alert(1)</script>"}):
        page = browser.http.get(start, params=params)
        assert page.status_code == 400
        assert "/pscale login" in page.text
        assert "<script>" not in page.text
    stale = await rig.start_url()
    rig.clock.advance(11 * 60)
    assert browser.http.get(stale).status_code == 400
    assert browser.http.post(start, data={"t": query_of(stale)["t"]}).status_code == 400


async def test_a_second_tab_does_not_spoil_the_first(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    first = browser.start(await rig.start_url())
    second = browser.start(await rig.start_url())
    assert first.headers["location"] != second.headers["location"]
    assert browser.http.get(browser.authorize(first.headers["location"])).status_code == 200


async def test_linking_again_replaces_and_revokes_the_old_grant(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    assert browser.link(await rig.start_url()).status_code == 200
    linking = await rig.linking()
    old = await linking.token_provider(TEAM, ALICE_SLACK).access_token()

    assert browser.link(await rig.start_url()).status_code == 200
    new = await linking.token_provider(TEAM, ALICE_SLACK).access_token()
    assert new != old
    assert not rig.oauth.is_active(old)
    assert rig.oauth.is_active(new)


async def test_provider_errors_other_than_denial_are_named(rig: Rig, browsers: list[Browser]) -> None:
    browser = browsers[0]
    browser.start(await rig.start_url())
    page = browser.http.get(f"{rig.base_url}{CALLBACK_PATH}", params={"error": "invalid_scope", "state": "x"})
    assert_refused(page.text, page.status_code, "access_denied")
    assert "invalid_scope" in page.text
    sneaky = browser.http.get(f"{rig.base_url}{CALLBACK_PATH}", params={"error": "<b>expired_state</b>"})
    assert_refused(sneaky.text, sneaky.status_code, "access_denied")
