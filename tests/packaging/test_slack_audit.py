"""The suite's Slack audit (tests/support/slack_audit.py) fails for each way the manifest and the bot can drift."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.sandbox.slack import ApiCall, ResponseUrlPost
from tests.support.slack_audit import Tally, problems

# A manifest of the shape manifest.yml has, fixed here: these tests judge the audit, not today's manifest.
APP: dict[str, Any] = {
    "features": {"slash_commands": [{"command": "/pscale"}]},
    "oauth_config": {"scopes": {"bot": ["commands", "chat:write", "chat:write.public", "users:read", "links:read",
                                        "links:write"]}},
    "settings": {"event_subscriptions": {"bot_events": ["app_uninstalled", "tokens_revoked", "user_change",
                                                        "link_shared"]}},
}


def manifest() -> dict[str, Any]:
    return copy.deepcopy(APP)


def used(*scopes: str, method: str = "chat.postMessage", error: str | None = None) -> ApiCall:
    response: dict[str, Any] = {"ok": error is None} | ({"error": error} if error else {})
    return ApiCall(method, {}, 200, response, scopes)


def everything_the_manifest_asks_for() -> list[ApiCall]:
    return [used("chat:write", "chat:write.public"), used("users:read", method="users.info"),
            used("links:write", method="chat.unfurl"), used("connections:write", method="apps.connections.open")]


def test_a_suite_that_uses_exactly_the_manifests_scopes_passes() -> None:
    tally = Tally()
    tally.add(everything_the_manifest_asks_for(), [])
    assert problems(tally, manifest()) == []


def test_a_scope_nothing_relied_on_fails() -> None:
    tally = Tally()
    tally.add([call for call in everything_the_manifest_asks_for() if call.method != "chat.unfurl"], [])
    [problem] = problems(tally, manifest())
    assert "`links:write`" in problem
    assert "no Web API call" in problem


def test_a_scope_the_manifest_lacks_fails() -> None:
    tally = Tally()
    tally.add([*everything_the_manifest_asks_for(), used("channels:read", method="conversations.info")], [])
    assert problems(tally, manifest()) == [
        "a Web API call relied on `channels:read`, which manifest.yml does not ask for"
    ]


@pytest.mark.parametrize("error", ["missing_scope", "invalid_blocks", "msg_too_long", "msg_blocks_too_long"])
def test_a_refusal_the_bot_must_never_cause_fails(error: str) -> None:
    tally = Tally()
    tally.add([*everything_the_manifest_asks_for(), used(error=error)], [])
    assert problems(tally, manifest()) == [f"1 × chat.postMessage {error}: the bot must never cause this"]
    posts = [ResponseUrlPost(url="u", body={}, status=400, error=error, channel="C", user="U", message_ts=None)]
    from_response_url = Tally()
    from_response_url.add(everything_the_manifest_asks_for(), posts)
    assert problems(from_response_url, manifest()) == [f"1 × response_url {error}: the bot must never cause this"]


def test_refusals_users_can_cause_are_not_the_bots_fault() -> None:
    tally = Tally()
    tally.add([*everything_the_manifest_asks_for(), used(error="not_in_channel"), used(error="ratelimited")], [])
    assert problems(tally, manifest()) == []


def test_scopes_needed_by_the_manifests_features_count_as_used() -> None:
    app = copy.deepcopy(manifest())
    tally = Tally()
    tally.add([used("chat:write", "chat:write.public"), used("links:write", method="chat.unfurl")], [])
    assert problems(tally, app) == []  # users:read: the user_change event; commands: the slash command
    app["settings"]["event_subscriptions"]["bot_events"].remove("user_change")
    assert any("`users:read`" in problem for problem in problems(tally, app))
    app["settings"]["event_subscriptions"]["bot_events"].append("reaction_added")
    with pytest.raises(KeyError, match="reaction_added"):
        problems(tally, app)


def test_tallies_travel_between_processes_unchanged() -> None:
    tally = Tally()
    tally.add(everything_the_manifest_asks_for(), [])
    again = Tally.from_json(tally.to_json())
    assert (again.calls, again.scopes_used, again.refusals) == (tally.calls, tally.scopes_used, tally.refusals)
