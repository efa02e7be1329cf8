"""Slack's inbound requests (slash commands, clicks, modal submissions, events), built and signed like Slack does.

The emulator page sends these to the bot, and tests use them (through `tests/support/slack.py`) to drive the bot's
`/slack/events` over real HTTP. Signing goes through slack_sdk's own `SignatureVerifier.generate_signature`, so a
request built here is exactly what the bot's verifier expects.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

JSON = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
# Slack still sends the legacy verification token in every payload; bots must not rely on it.
VERIFICATION_TOKEN = "standin-verification-token"  # noqa: S105 - a placeholder, as in Slack's examples


class SignedRequest(NamedTuple):
    """The raw body and the headers (content type, timestamp, signature) of one request from Slack."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Actor:
    """Who acts, and where: the identity fields every payload repeats."""

    user_id: str = "U0ALICE0001"
    user_name: str = "alice"
    channel_id: str = "C0GENERAL01"
    channel_name: str = "general"
    team_id: str = "T0SANDBOX01"
    team_domain: str = "pscale-sandbox"
    api_app_id: str = "A0PSCALEBOT"

    @property
    def user(self) -> JSON:
        return {"id": self.user_id, "username": self.user_name, "name": self.user_name, "team_id": self.team_id}

    @property
    def team(self) -> JSON:
        return {"id": self.team_id, "domain": self.team_domain}


def signature_headers(*, body: bytes, signing_secret: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=body)
    if signature is None:  # slack_sdk returns None only without a secret
        raise ValueError("a signing secret is needed to sign a Slack request")
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def sign(body: bytes, *, content_type: str, signing_secret: str, timestamp: int | None = None) -> SignedRequest:
    headers = {"Content-Type": content_type}
    headers.update(signature_headers(body=body, signing_secret=signing_secret, timestamp=timestamp))
    return SignedRequest(body, headers)


def new_trigger_id() -> str:
    """A trigger id in Slack's shape. The stand-in only accepts ones from `SlackStandIn.new_trigger_id`."""
    return f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"


def action_ts() -> str:
    now = time.time()
    return f"{int(now)}.{int(now * 1_000_000) % 1_000_000:06d}"


def slash_command(
    *,
    signing_secret: str,
    text: str,
    response_url: str,
    actor: Actor = Actor(),
    trigger_id: str | None = None,
    command: str = "/pscale",
    timestamp: int | None = None,
) -> SignedRequest:
    """A slash command as Slack POSTs it: a form body. `text` goes as given (Slack has already escaped it)."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": actor.team_id,
        "team_domain": actor.team_domain,
        "channel_id": actor.channel_id,
        "channel_name": actor.channel_name,
        "user_id": actor.user_id,
        "user_name": actor.user_name,
        "command": command,
        "text": text,
        "api_app_id": actor.api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return sign(urlencode(fields).encode(), content_type=FORM, signing_secret=signing_secret, timestamp=timestamp)


def interaction(payload: JSON, *, signing_secret: str, timestamp: int | None = None) -> SignedRequest:
    """Any interaction payload as Slack sends it: one form field `payload` holding JSON."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return sign(body, content_type=FORM, signing_secret=signing_secret, timestamp=timestamp)


def _interaction_fields(kind: str, actor: Actor) -> JSON:
    """What every interaction payload carries: its type, who acted, the app and the workspace."""
    return {
        "type": kind,
        "user": actor.user,
        "api_app_id": actor.api_app_id,
        "token": VERIFICATION_TOKEN,
        "team": actor.team,
        "enterprise": None,
        "is_enterprise_install": False,
    }


def block_actions_payload(
    *,
    actions: list[JSON],
    response_url: str,
    message_ts: str,
    actor: Actor = Actor(),
    message: JSON | None = None,
    is_ephemeral: bool = False,
    trigger_id: str | None = None,
    state_values: JSON | None = None,
) -> JSON:
    """A click on a message's element. Slack leaves `message` out when the clicked message is ephemeral."""
    payload: JSON = {
        **_interaction_fields("block_actions", actor),
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": actor.channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id or new_trigger_id(),
        "channel": {"id": actor.channel_id, "name": actor.channel_name},
        "state": {"values": state_values or {}},
        "response_url": response_url,
        "actions": actions,
    }
    if message is not None and not is_ephemeral:
        payload["message"] = message
    return payload


def view_block_actions_payload(
    *, actions: list[JSON], view: JSON, state_values: JSON, actor: Actor = Actor(), trigger_id: str | None = None
) -> JSON:
    """A change in a modal that tells the app at once (`dispatch_action`, or an element of an `actions` block):
    `view` as Slack last showed it, with what the person has entered so far under `state.values`."""
    shown = dict(view)
    shown["state"] = {"values": state_values}
    return {
        **_interaction_fields("block_actions", actor),
        "container": {"type": "view", "view_id": view.get("id")},
        "trigger_id": trigger_id or new_trigger_id(),
        "view": shown,
        "actions": actions,
    }


def block_suggestion_payload(
    *,
    action_id: str,
    block_id: str,
    typed: str,
    actor: Actor = Actor(),
    view: JSON | None = None,
    state_values: JSON | None = None,
    message: JSON | None = None,
) -> JSON:
    """An options request: a menu with options from the app (`external_select`) asks for those matching `typed`.
    It comes from a modal (`view`) or from a message (`message`, in the actor's channel)."""
    payload: JSON = {
        **_interaction_fields("block_suggestion", actor),
        "action_id": action_id,
        "block_id": block_id,
        "value": typed,
    }
    if view is not None:
        shown = dict(view)
        shown["state"] = {"values": state_values or {}}
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = shown
    elif message is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message.get("ts"),
            "channel_id": actor.channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": actor.channel_id, "name": actor.channel_name}
        payload["message"] = message
    return payload


def button_action(button: JSON, *, block_id: str) -> JSON:
    """The `actions[]` entry Slack sends for a click on `button` (a Block Kit button element)."""
    action: JSON = {
        "type": "button",
        "action_id": button.get("action_id", ""),
        "block_id": block_id,
        "text": button.get("text", {"type": "plain_text", "text": ""}),
        "action_ts": action_ts(),
    }
    for optional in ("value", "style", "url"):
        if optional in button:
            action[optional] = button[optional]
    return action


def block_actions(
    *,
    signing_secret: str,
    actions: list[JSON],
    response_url: str,
    message_ts: str,
    actor: Actor = Actor(),
    message: JSON | None = None,
    is_ephemeral: bool = False,
    trigger_id: str | None = None,
    timestamp: int | None = None,
) -> SignedRequest:
    payload = block_actions_payload(
        actions=actions,
        response_url=response_url,
        message_ts=message_ts,
        actor=actor,
        message=message,
        is_ephemeral=is_ephemeral,
        trigger_id=trigger_id,
    )
    return interaction(payload, signing_secret=signing_secret, timestamp=timestamp)


def home_opened_event(*, user: str, tab: str = "home", view: JSON | None = None) -> JSON:
    """`app_home_opened`: `view` only once a Home was published for the user (docs/reference/slack.md §8)."""
    event: JSON = {
        "type": "app_home_opened", "user": user, "channel": "D" + user.removeprefix("U"), "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = view
    return event


def view_submission_payload(
    *, view: JSON, state_values: JSON, actor: Actor = Actor(), trigger_id: str | None = None
) -> JSON:
    """A modal's Submit: `view` as Slack last showed it, with the user's input under `state.values`."""
    submitted = dict(view)
    submitted["state"] = {"values": state_values}
    return {
        **_interaction_fields("view_submission", actor),
        "trigger_id": trigger_id or new_trigger_id(),
        "view": submitted,
        "response_urls": [],
    }


def view_submission(
    *,
    signing_secret: str,
    view: JSON,
    state_values: JSON,
    actor: Actor = Actor(),
    trigger_id: str | None = None,
    timestamp: int | None = None,
) -> SignedRequest:
    payload = view_submission_payload(view=view, state_values=state_values, actor=actor, trigger_id=trigger_id)
    return interaction(payload, signing_secret=signing_secret, timestamp=timestamp)


def event_callback_payload(
    *,
    event: JSON,
    team_id: str = Actor.team_id,
    api_app_id: str = Actor.api_app_id,
    event_id: str | None = None,
    event_time: int | None = None,
) -> JSON:
    """An Events API delivery; `event_id` is what a retried delivery repeats."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "team_id": team_id,
                "user_id": "U0PSCALEBOT",
                "is_bot": True,
                "is_enterprise_install": False,
                "enterprise_id": None,
            }
        ],
        "is_ext_shared_channel": False,
    }


def event_callback(
    *,
    signing_secret: str,
    event: JSON,
    team_id: str = Actor.team_id,
    api_app_id: str = Actor.api_app_id,
    event_id: str | None = None,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> SignedRequest:
    """Signed JSON body; pass `extra_headers={"X-Slack-Retry-Num": "1", …}` to imitate a redelivery."""
    payload = event_callback_payload(event=event, team_id=team_id, api_app_id=api_app_id, event_id=event_id)
    signed = sign(
        json.dumps(payload).encode(), content_type=JSON_TYPE, signing_secret=signing_secret, timestamp=timestamp
    )
    return SignedRequest(signed.body, {**signed.headers, **(extra_headers or {})})
