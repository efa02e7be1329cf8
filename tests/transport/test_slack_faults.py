"""When Slack says no in ways a client must survive (an unreadable or hour-long `Retry-After`, a trigger id that
expired on the way), the person gets a plain reply and the log gets no traceback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.render.message import Message
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.response_urls import MAX_USES
from bot.sandbox.slack.workspace import TRIGGER_LIFETIME_SECONDS
from bot.slack.replies import ResponseUrlReplies
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.cards import ALICE, click_request, post_card
from tests.support.replies import tracebacks
from tests.support.servers import bind_loopback, serve_asgi
from tests.support.slack import populated_standin, serve_slack_standin, slash_command


@dataclass
class SlackClock:
    """Slack's time, which a test may move on (a trigger id that took too long to arrive)."""

    ahead: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


@pytest.fixture
def slack_clock() -> SlackClock:
    return SlackClock()


@pytest.fixture
def slack_standin(slack_clock: SlackClock) -> Iterator[SlackStandIn]:
    """The usual stand-in, on `slack_clock` (the bot fixtures take it from here)."""
    with serve_slack_standin(populated_standin(clock=slack_clock)) as standin:
        yield standin


async def test_show_diff_with_an_expired_trigger_id_says_so_plainly(
    demo_bot: RunningBot, slack_clock: SlackClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    card = await post_card(demo_bot, "dr post shop 1 --org acme")
    click = click_request(demo_bot, card, "dr_diff", actor=ALICE)
    slack_clock.ahead += TRIGGER_LIFETIME_SECONDS + 1  # the click took longer than its trigger id lives
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.post_events(click).status_code == 200
    told = str((await demo_bot.slack.wait_response(since=since, timeout=10)).body["text"])
    assert "could not open in time" in told, told
    assert "Something went wrong" not in told
    assert tracebacks(caplog) == []


async def test_a_retry_after_slack_cannot_mean_is_waited_like_a_missing_one(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    demo_bot.slack.rate_limit("chat.postMessage", retry_after="abc", times=1)
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("dr post shop 1 --org acme").status_code == 200
    told = str((await demo_bot.slack.wait_response(since=since, timeout=10)).body["text"])
    assert "Posted `shop` #1" in told, told  # the second try went through
    assert [call.status for call in demo_bot.slack.calls if call.method == "chat.postMessage"][-2:] == [429, 200]
    assert tracebacks(caplog) == []


async def test_an_hour_long_retry_after_is_not_waited_out_and_the_person_is_told(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    demo_bot.slack.rate_limit("chat.postMessage", retry_after=3600, times=1)
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("dr post shop 1 --org acme").status_code == 200
    told = str((await demo_bot.slack.wait_response(since=since, timeout=10)).body["text"])
    assert "Slack is limiting how fast I may do that" in told, told
    assert tracebacks(caplog) == []


async def test_a_reply_slack_refuses_is_logged_by_its_code_and_never_by_its_url(
    demo_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack answers a spent `response_url` with a 404 and `used_url`, which is no exception: the bot still says what
    happened, and the URL, good for posts in the person's channel, stays out of the log."""
    caplog.set_level(logging.INFO)
    response_url = demo_bot.slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    command = slash_command(signing_secret=SIGNING_SECRET, text="branch list shop --org acme", actor=ALICE,
                            response_url=response_url)
    for _ in range(MAX_USES):
        assert demo_bot.http.post(response_url, json={"text": "an earlier reply"}).status_code == 200
    caplog.clear()  # the posts above, logged by this test's own HTTP client
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.post_events(command).status_code == 200
    refused = await demo_bot.slack.wait_response(since=since, timeout=10)
    assert refused.error == "used_url"
    deadline = time.monotonic() + 5
    while "used_url" not in caplog.text and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert "Slack refused a reply through response_url: HTTP 404" in caplog.text
    assert "used_url" in caplog.text
    assert response_url not in caplog.text
    assert tracebacks(caplog) == []


async def test_a_reply_answered_200_with_ok_false_is_logged_as_refused(caplog: pytest.LogCaptureFixture) -> None:
    """An answer whose JSON says `"ok": false` took nothing, though its status is 200: it is logged by its code like
    a 404's, and the URL stays out of the log."""

    async def refuse(request: Request) -> Response:
        return JSONResponse({"ok": False, "error": "invalid_blocks"})

    replies = ResponseUrlReplies()
    with serve_asgi(Starlette(routes=[Route("/hooks/{key}", refuse, methods=["POST"])])) as base_url:
        response_url = f"{base_url}/hooks/secret-key"
        try:
            await replies.send(response_url, Message("a reply"))
        finally:
            await replies.aclose()
    assert "Slack refused a reply through response_url: HTTP 200 'invalid_blocks'" in caplog.text
    assert "secret-key" not in caplog.text


async def test_replies_share_one_connection_even_when_their_answer_comes_in_pieces() -> None:
    """The answer is read to its end: one released unread (its body still on the way) closes its connection, and
    every reply would pay for a new one, which the shared session is there to save."""
    client_ports: list[int] = []

    async def slowly(request: Request) -> Response:
        assert request.client is not None
        client_ports.append(request.client.port)

        async def pieces() -> AsyncIterator[bytes]:
            await asyncio.sleep(0.05)  # after the status and headers have gone out
            yield b'{"ok": true}'

        return StreamingResponse(pieces(), media_type="application/json")

    replies = ResponseUrlReplies()
    with serve_asgi(Starlette(routes=[Route("/hooks/{key}", slowly, methods=["POST"])])) as base_url:
        try:
            for text in ("first", "second"):
                await replies.send(f"{base_url}/hooks/key", Message(text))
        finally:
            await replies.aclose()
    assert len(client_ports) == 2
    assert client_ports[0] == client_ports[1], client_ports


async def test_replies_go_through_the_proxy_the_web_api_client_goes_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the only way out is a proxy named in HTTPS_PROXY (or https_proxy, HTTP_PROXY, http_proxy), slack_sdk's
    Web API client goes through it, and so did its webhook client, which used to send the replies: so must they."""
    received: list[str] = []

    async def forward(request: Request) -> Response:
        received.append(str(request.url))  # a proxy is asked for the whole URL, Slack's host included
        return JSONResponse({"ok": True})

    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serve_asgi(Starlette(routes=[Route("/hooks/{key}", forward, methods=["POST"])])) as proxy_url:
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        replies = ResponseUrlReplies()
        try:
            await replies.send("http://hooks.slack.invalid/hooks/key", Message("through the proxy"))
        finally:
            await replies.aclose()
    assert received == ["http://hooks.slack.invalid/hooks/key"]


async def test_a_reply_whose_connection_was_never_made_is_sent_once_more() -> None:
    """Refused at connect, the reply never left, so sending it again cannot post it twice: it is sent once more, as
    slack_sdk's webhook client did, after a pause in which (here) the server starts listening."""
    bodies: list[str] = []

    async def take(request: Request) -> Response:
        bodies.append((await request.body()).decode())
        return JSONResponse({"ok": True})

    sock = bind_loopback()  # bound but not listening: a connection to it is refused
    host, port = sock.getsockname()[:2]
    with contextlib.ExitStack() as servers:

        async def pause(seconds: float) -> None:
            app = Starlette(routes=[Route("/hooks/{key}", take, methods=["POST"])])
            servers.enter_context(serve_asgi(app, sock=sock))

        replies = ResponseUrlReplies(sleep=pause)
        try:
            await replies.send(f"http://{host}:{port}/hooks/key", Message("sent on the second try"))
        finally:
            await replies.aclose()
    assert [json.loads(body)["text"] for body in bodies] == ["sent on the second try"]


async def test_a_reply_whose_answer_was_lost_is_not_sent_again(caplog: pytest.LogCaptureFixture) -> None:
    """The connection closed after the reply was written: Slack may have posted it, so it is not sent a second time."""
    received: list[bytes] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    replies = ResponseUrlReplies()
    try:
        await replies.send(f"http://{host}:{port}/hooks/key", Message("posted, perhaps"))
    finally:
        await replies.aclose()
        server.close()
        await server.wait_closed()
    assert len(received) == 1
    assert "could not deliver a reply through response_url: ServerDisconnectedError" in caplog.text
