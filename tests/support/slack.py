"""Signed Slack requests and a served `SlackStandIn` for tests.

The builders live in `bot.sandbox.slack.payloads` (the emulator page sends the same requests); this module gives
tests one import for them plus `serve_slack_standin` / the `slack_standin` fixture, which run the stand-in on an
ephemeral loopback port in a background thread. Everything the stand-in offers for waiting (`standin.wait_call`,
`standin.socket.send` / `wait_ack`) works across that thread boundary from an async test.

    from tests.support.slack import slash_command
    body, headers = slash_command(signing_secret=SECRET, text="help", response_url=standin.new_response_url(...))
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from bot.sandbox.slack import SlackChannel, SlackStandIn, SlackUser
from bot.sandbox.slack.payloads import (
    Actor,
    SignedRequest,
    block_actions,
    block_actions_payload,
    button_action,
    event_callback,
    event_callback_payload,
    interaction,
    sign,
    signature_headers,
    slash_command,
    view_submission,
    view_submission_payload,
)
from bot.sandbox.slack.workspace import Clock
from tests.support.servers import bind_loopback, free_port, serve_asgi
from tests.support.slack_audit import manifest_bot_scopes, record

__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "CAROL_ACTOR",
    "GENERAL",
    "MANIFEST_SCOPES",
    "Actor",
    "SignedRequest",
    "block_actions",
    "block_actions_payload",
    "button_action",
    "event_callback",
    "event_callback_payload",
    "interaction",
    "link_shared",
    "populated_standin",
    "serve_slack_standin",
    "sign",
    "signature_headers",
    "slack_standin",
    "slash_command",
    "view_submission",
    "view_submission_payload",
]

# The people and the channel of the default `Actor`: Alice is a workspace admin, Bob a plain member.
# Their emails are those of their PlanetScale accounts in `seed_demo`, so each can link as themselves.
ALICE = SlackUser(id=Actor.user_id, name=Actor.user_name, real_name="Alice Admin", is_admin=True,
                  tz="Europe/Berlin", email="alice@acme.example.com")
BOB = SlackUser(id="U0BOB000001", name="bob", real_name="Bob Builder", tz="America/New_York",
                email="bob@acme.example.com")
# Carol is a member of acme on PlanetScale (no admin), who joins the workspace in the tests that need a third person.
CAROL = SlackUser(id="U0CAROL0001", name="carol", real_name="Carol Member", email="carol@acme.example.com")
CAROL_ACTOR = Actor(user_id=CAROL.id, user_name=CAROL.name)
GENERAL = SlackChannel(id=Actor.channel_id, name=Actor.channel_name, members={ALICE.id, BOB.id})


# What installing the app from the project's own manifest.yml grants the bot token: the stand-in holds the bot to it.
MANIFEST_SCOPES = frozenset(manifest_bot_scopes())


def populated_standin(*, scopes: frozenset[str] = MANIFEST_SCOPES, clock: Clock = time.time) -> SlackStandIn:
    """A stand-in whose workspace holds ALICE, BOB and #general (with the bot in it), and whose bot token holds
    `scopes` (default: the manifest's)."""
    standin = SlackStandIn(
        scopes=scopes, team_id=Actor.team_id, team_domain=Actor.team_domain, api_app_id=Actor.api_app_id,
        clock=clock,
    )
    for user in (ALICE, BOB):
        standin.add_user(SlackUser(**vars(user)))
    standin.add_channel(SlackChannel(id=GENERAL.id, name=GENERAL.name, members=set(GENERAL.members)))
    return standin


@contextmanager
def serve_slack_standin(standin: SlackStandIn | None = None, *, audited: bool = True) -> Iterator[SlackStandIn]:
    """Serve `standin` (default: `populated_standin()`) on an ephemeral port; `base_url` is set while it runs.

    What it saw counts in the suite's Slack audit (tests/support/slack_audit.py) when its token holds the
    manifest's scopes, unless `audited=False`: for tests that make Slack refuse on purpose."""
    served = standin or populated_standin()
    try:
        with serve_asgi(served.app) as base_url:
            served.base_url = base_url
            yield served
    finally:
        if audited and served.scopes == MANIFEST_SCOPES:
            record(served.calls.snapshot(), served.response_posts.snapshot())


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    with serve_slack_standin() as standin:
        yield standin


BOB_ACTOR = Actor(user_id=BOB.id, user_name=BOB.name)


class WebApiHost:
    """The stand-in's Web API served at an address of its own, as Slack's (https://slack.com/api/) is apart from
    the response_urls (https://hooks.slack.com/…): point the bot's SLACK_API_URL at `api_url`, and within
    `unreachable()` nothing listens there, so every connection to it is refused and no Web API call is sent, while
    response_urls still answer. The stand-in itself cannot refuse a connection: a request it sees has been sent."""

    def __init__(self, standin: SlackStandIn) -> None:
        self._app = standin.app
        # Below the ephemeral range (`free_port`): while the host is unreachable, no outgoing connection is given
        # its port, so it can listen there again.
        self._port = free_port()
        self.api_url = f"http://127.0.0.1:{self._port}/api/"
        self._serving = ExitStack()

    def __enter__(self) -> WebApiHost:
        self._listen()
        return self

    def __exit__(self, *_: object) -> None:
        self._serving.close()

    def _listen(self) -> None:
        self._serving.enter_context(serve_asgi(self._app, sock=bind_loopback(port=self._port)))

    @contextmanager
    def unreachable(self) -> Iterator[None]:
        self._serving.close()  # the server stops and closes its socket: connections are refused
        try:
            yield
        finally:
            self._listen()


def link_shared(slack: SlackStandIn, url: str, *, actor: Actor) -> dict[str, Any]:
    """`actor` posts a message with `url` in their channel; the `link_shared` event Slack then sends the bot."""
    message = slack.workspace.post(
        channel=actor.channel_id, author=actor.user_id, text=f"<{url}>", blocks=None, source="user", as_bot=False,
        check_membership=False,
    )
    return {
        "type": "link_shared", "channel": actor.channel_id, "user": actor.user_id, "message_ts": message.ts,
        "unfurl_id": f"{actor.channel_id}.{message.ts}", "source": "conversations_history",
        "links": [{"url": url, "domain": "app.planetscale.com"}], "event_ts": message.ts,
        "is_bot_user_member": True,
    }


def digests_in(slack: SlackStandIn, channel: str) -> list[Any]:
    return [m for m in slack.messages(channel) if m.text.startswith("Daily digest") or "could not be read" in m.text]


def slash_payload(text: str, response_url: str) -> dict[str, str]:
    actor = Actor()
    return {
        "token": "unused-in-socket-mode",
        "team_id": actor.team_id,
        "team_domain": actor.team_domain,
        "channel_id": actor.channel_id,
        "channel_name": actor.channel_name,
        "user_id": actor.user_id,
        "user_name": actor.user_name,
        "command": "/pscale",
        "text": text,
        "api_app_id": actor.api_app_id,
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
