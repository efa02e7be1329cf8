"""Correctly signed requests that are malformed never get a 500 (docs/interface.md §2): each family of shapes that
once did, over real HTTP. Slack retries a failed delivery and disables an app's event subscriptions when more than 5%
fail; PlanetScale retries a webhook delivery. What cannot be read is acknowledged and logged once, without its body.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import quote

import pytest

from bot.render import forms as views
from bot.render.confirm import CONFIRM_ACTION
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import (
    ALICE,
    Actor,
    SignedRequest,
    block_actions_payload,
    event_callback_payload,
    interaction,
    sign,
)
from tests.support.webhooks import signed_delivery, watched_hook

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
DEEP = 10_000
BODY_MARKER = "secret-looking-body-text"


def _json(body: Any) -> SignedRequest:
    return sign(json.dumps(body).encode(), content_type=JSON_TYPE, signing_secret=SIGNING_SECRET)


def _raw(body: bytes, content_type: str = FORM) -> SignedRequest:
    return sign(body, content_type=content_type, signing_secret=SIGNING_SECRET)


def _click(**changes: Any) -> SignedRequest:
    payload = block_actions_payload(
        actions=[{"type": "button", "action_id": CONFIRM_ACTION, "block_id": "b", "value": "p1"}],
        response_url="http://127.0.0.1:9/unused", message_ts="1.2",
    )
    return interaction({**payload, **changes}, signing_secret=SIGNING_SECRET)


def _form(state_values: Any, **view: Any) -> SignedRequest:
    payload = {
        "type": "view_submission", "user": Actor().user, "team": Actor().team, "api_app_id": Actor.api_app_id,
        "view": {"id": "V1", "type": "modal", "callback_id": views.BRANCH_CREATE, "private_metadata": "",
                 "state": {"values": state_values}, **view},
    }
    return interaction(payload, signing_secret=SIGNING_SECRET)


def _suggestion(action_id: str, typed: Any) -> SignedRequest:
    payload = {"type": "block_suggestion", "user": Actor().user, "team": Actor().team, "action_id": action_id,
               "block_id": "b", "value": typed}
    return interaction(payload, signing_secret=SIGNING_SECRET)


def _event(event: Any) -> SignedRequest:
    return _json({**event_callback_payload(event={"type": "app_mention"}), "event": event})


SLACK_CASES: dict[str, SignedRequest] = {
    # The endpoint's own parsing.
    "payload=%7B": _raw(b"payload=%7B"),
    "payload that is a JSON list": _raw(b"payload=%5B1%5D"),
    "JSON body that is a list": _raw(b"[1]", JSON_TYPE),
    f"{DEEP:,} nested [": _raw(b"[" * DEEP, JSON_TYPE),
    f"{DEEP:,} nested [ in payload=": _raw(b"payload=" + b"%5B" * DEEP),
    "form with no command": _raw(f"text={BODY_MARKER}&team_id=T1".encode()),
    # Bolt's internals.
    "event that is 0": _json({"type": "event_callback", "team_id": Actor.team_id, "event": 0}),
    "event without a type": _event({"user": "U1"}),
    "event whose type is a list": _event({"type": ["user_change"]}),
    "view without a type": _form({}, type=None),
    "team that is a number": _click(team=5),
    # The listeners.
    "state.values that is a list": _form([1]),
    "state.values entry that is a string": _form({"b": "x"}),
    "selected option of 151 characters": _form({"b": {"a": {"selected_option": {"value": "x" * 151}}}}),
    "actions that is a string": _click(actions="x"),
    "no actions": _click(actions=[]),
    "button value that is a number": _click(actions=[{"action_id": CONFIRM_ACTION, "value": 5}]),
    "user that is a string": _click(user="U1"),
    "picked database of 151 characters": interaction(
        {**block_actions_payload(actions=[], response_url="http://127.0.0.1:9/unused", message_ts="1.2"),
         "actions": [{"action_id": views.BRANCH_DATABASE_PICKER, "selected_option": {"value": "d" * 151}}],
         "view": {"id": "V1", "type": "modal", "callback_id": views.BRANCH_CREATE, "private_metadata": ""}},
        signing_secret=SIGNING_SECRET,
    ),
    "options request typing a list": _suggestion(views.BRANCH_DATABASE_PICKER, ["x"]),
    "options request for a menu the bot has not": _suggestion("no_such_menu", BODY_MARKER),
    "user_change whose user is a string": _event({"type": "user_change", "user": "U1"}),
    "user_change whose deleted is a string": _event({"type": "user_change", "user": {"id": "U1", "deleted": "yes"}}),
    "tokens_revoked whose tokens is a list": _event({"type": "tokens_revoked", "tokens": [1]}),
    "tokens_revoked with a number for a user": _event({"type": "tokens_revoked", "tokens": {"oauth": [1]}}),
    "link_shared whose links hold a number": _event(
        {"type": "link_shared", "channel": "C1", "user": "U1", "message_ts": "1.2", "links": [1]}
    ),
    "shortcut nobody registered": interaction(
        {"type": "shortcut", "user": Actor().user, "team": Actor().team, "callback_id": "x"},
        signing_secret=SIGNING_SECRET,
    ),
}


@pytest.mark.parametrize("case", list(SLACK_CASES))
def test_a_signed_malformed_slack_request_is_acknowledged_and_runs_nothing(
    bot: RunningBot, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    built = SLACK_CASES[case]
    # Signed again now: the cases are built at import, and a long run can outlast Slack's five-minute timestamp window.
    fresh = sign(built.body, content_type=built.headers["Content-Type"], signing_secret=SIGNING_SECRET)
    with caplog.at_level(logging.INFO):
        response = bot.post_events(fresh)
    assert response.status_code == 200, response.text
    assert [call.method for call in bot.slack.calls.snapshot() if call.method != "auth.test"] == []
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
    assert BODY_MARKER not in caplog.text


def test_a_listener_that_fails_still_acks_and_tells_the_person_with_a_reference(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.run(bot.runtime.database.close())  # every read of the pending confirmation now raises
    with caplog.at_level(logging.ERROR):
        response = bot.post_events(_click())
    assert response.status_code == 200
    told = bot.slack.wait_call_blocking(
        "chat.postEphemeral", where=lambda call: "did not work" in str(call.args.get("text"))
    )
    assert told.args["user"] == ALICE.id
    reference = re.search(r"Reference: `([0-9a-f]+)`", str(told.args["text"]))
    assert reference is not None
    assert [record for record in caplog.records if reference.group(1) in record.getMessage()]


def _deep(depth: int) -> bytes:
    return b'{"event": "deploy_request.opened", "resource": ' + b"[" * depth + b"]" * depth + b"}"


WEBHOOK_CASES: dict[str, bytes] = {
    "not JSON": b"{",
    "a list": b"[]",
    f"{DEEP:,} nested [": b"[" * DEEP,
    "resource nested deeper than the parser goes": _deep(DEEP),
    "resource that is a string": b'{"event": "deploy_request.opened", "resource": "x"}',
    "number of 10**20": json.dumps({"event": "deploy_request.opened", "resource": {"number": 10**20}}).encode(),
    "number that is a string": b'{"event": "deploy_request.opened", "resource": {"number": "7"}}',
    "branch that is an object": b'{"event": "deploy_request.opened", "resource": {"number": 7, "branch": {}}}',
    "event that is a number": b'{"event": 5, "resource": {}}',
}


async def test_signed_malformed_webhook_deliveries_are_acknowledged_and_post_nothing(
    watching_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = watching_bot
    url, secret = await watched_hook(bot, team_id=Actor.team_id, org="acme", database="shop")
    posts_before = len(bot.slack.calls.snapshot())
    with caplog.at_level(logging.INFO):
        for case, body in WEBHOOK_CASES.items():
            response = bot.http.post(url, content=body, headers=signed_delivery(secret, body))
            assert response.status_code == 200, case
        # A signature header with non-ASCII bytes is simply not a match (comparing str would raise TypeError).
        forged = [(b"content-type", b"application/json"), (b"x-planetscale-signature", "é".encode() * 64)]
        assert bot.http.post(url, content=b"{}", headers=forged).status_code == 401
        assert bot.http.post(url, content=b"{}", headers={"x-planetscale-signature": quote("é")}).status_code == 401
    assert len(bot.slack.calls.snapshot()) == posts_before
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
