"""Socket Mode when Slack's side misbehaves: the connection dropped without notice, reconnects refused for a while,
an envelope whose ack was lost delivered again with `retry_attempt`. The bot reconnects on its own, acts once, and
logs the refusals without a traceback for each retry."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bot.config import Mode
from bot.render.message import Message
from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import run_bot
from tests.support.cards import ALICE
from tests.support.oauth_browser import Browser, link_button_url
from tests.support.slack import event_callback_payload, link_shared, slash_payload

LINK = "https://app.planetscale.com/acme/shop/deploy-requests/1"
# slack_sdk tries a refused connection again after its ping interval (bolt's Socket Mode handler: 10 s); two are
# refused below.
RECONNECT_SECONDS = 40


async def _link_alice(slack: SlackStandIn) -> None:
    response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    envelope_id = await slack.socket.send(envelope_type="slash_commands", payload=slash_payload("login", response_url))
    prompt = (await slack.socket.wait_ack(envelope_id, timeout=5))["payload"]
    start_url = link_button_url(Message(text=prompt["text"], blocks=tuple(prompt["blocks"])))
    with httpx.Client(timeout=10) as browser:
        assert Browser(browser).link(start_url).status_code == 200


async def test_a_dropped_connection_is_reconnected_and_a_redelivered_event_acts_once(
    slack_standin: SlackStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World()
    seed_demo(world)  # the OAuth stand-in approves as its first user, Alice Admin
    with run_bot(slack=slack_standin, data_dir=tmp_path, mode=Mode.SOCKET, planetscale=world):
        first = await slack_standin.socket.wait_connected(timeout=10)
        await _link_alice(slack_standin)
        event = link_shared(slack_standin, LINK, actor=ALICE)
        delivered = await slack_standin.socket.send(
            envelope_type="events_api", payload=event_callback_payload(event=event)
        )
        await slack_standin.socket.wait_ack(delivered, timeout=5)
        await slack_standin.wait_call("chat.unfurl", timeout=10)

        # The ack was lost with the connection: Slack drops it, is unavailable for the first two reconnects, then
        # delivers the envelope again.
        slack_standin.socket.refuse_connections(2)
        with caplog.at_level(logging.ERROR, logger="slack_bolt"):
            await slack_standin.socket.drop()
            again = await slack_standin.socket.connections.wait(
                lambda connection: connection.open and connection is not first, timeout=RECONNECT_SECONDS
            )
        assert len(slack_standin.socket.refused) == 2
        # The first refusal with its traceback, the retry on one line that still names its error.
        failures = [record for record in caplog.records if record.getMessage().startswith("Failed to connect")]
        assert [record.exc_info is not None for record in failures] == [True, False]
        assert all("Invalid response status" in record.getMessage() for record in failures)
        redelivered = await slack_standin.socket.redeliver(delivered)
        assert (await slack_standin.socket.wait_ack(redelivered, timeout=5))["envelope_id"] == redelivered
        assert [frame["retry_attempt"] for frame in slack_standin.socket.sent if frame["type"] == "events_api"] == [
            0, 1,
        ]
        assert again.open
        # Still connected and answering: a command on the new connection is answered in its ack.
        response_url = slack_standin.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
        asked = await slack_standin.socket.send(
            envelope_type="slash_commands", payload=slash_payload("help branch", response_url)
        )
        assert "branch create" in str((await slack_standin.socket.wait_ack(asked, timeout=5))["payload"])
    assert [call.method for call in slack_standin.calls].count("chat.unfurl") == 1
