"""Socket Mode: apps.connections.open, hello, an envelope and its ack, over a real WebSocket (aiohttp)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackStandIn


async def open_url(standin: SlackStandIn) -> str:
    web = AsyncWebClient(token=standin.app_token, base_url=standin.api_url)
    response = await web.apps_connections_open(app_token=standin.app_token)
    url: str = response["url"]
    return url


async def test_connections_open_needs_the_app_token(slack_standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as refused:
        await AsyncWebClient(token=slack_standin.bot_token, base_url=slack_standin.api_url).apps_connections_open(
            app_token=slack_standin.bot_token)
    assert refused.value.response["error"] == "not_allowed_token_type"
    url = await open_url(slack_standin)
    assert url.startswith("ws://127.0.0.1:")
    assert "/socket-mode?ticket=" in url


async def test_hello_envelope_and_ack_round_trip(slack_standin: SlackStandIn) -> None:
    url = await open_url(slack_standin)
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello"
        assert hello["connection_info"]["app_id"] == "A0PSCALEBOT"

        envelope_id = await slack_standin.socket.send(envelope_type="slash_commands",
                                                      payload={"command": "/pscale", "text": "help"})
        envelope = await ws.receive_json(timeout=5)
        assert envelope == {"envelope_id": envelope_id, "type": "slash_commands",
                            "payload": {"command": "/pscale", "text": "help"}, "accepts_response_payload": True}
        await ws.send_json({"envelope_id": envelope_id, "payload": {"text": "Usage: /pscale …"}})
        ack = await slack_standin.socket.wait_ack(envelope_id, timeout=5)
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "Usage: /pscale …"}}

        await slack_standin.socket.disconnect()
        assert (await ws.receive_json(timeout=5))["type"] == "disconnect"


async def test_a_ticket_works_once(slack_standin: SlackStandIn) -> None:
    url = await open_url(slack_standin)
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as first:
            assert (await first.receive_json(timeout=5))["type"] == "hello"
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(url)


async def test_wait_ack_times_out_with_a_clear_message(slack_standin: SlackStandIn) -> None:
    with pytest.raises(TimeoutError, match="socket mode ack"):
        await slack_standin.socket.wait_ack("never-sent", timeout=0.2)


async def test_an_unanswered_handshake_lasts_until_the_client_gives_up_and_the_next_is_answered(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_standin.socket.leave_unanswered(1)
    held_url = await open_url(slack_standin)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await session.ws_connect(held_url)
        assert len(slack_standin.socket.unanswered) == 1
        async with session.ws_connect(await open_url(slack_standin)) as answered:
            assert (await answered.receive_json(timeout=5))["type"] == "hello"
    assert len(slack_standin.socket.connections) == 1  # the unanswered attempt was never a connection
    assert [record.getMessage() for record in caplog.records if record.levelname == "ERROR"] == []
