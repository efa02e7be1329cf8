"""Slack's Socket Mode server side: `hello` on connect, envelopes out, acks back; and the disruptions Slack's own
servers cause (https://api.slack.com/apis/socket-mode): a connection dropped without notice, reconnects refused for
a while, a handshake that is never answered, and an envelope delivered again with `retry_attempt` when its ack
never arrived.

The WebSocket lives on the stand-in's event loop (uvicorn's, often in another thread), while tests call `send` and
`wait_ack` from their own loop; `send` therefore hops onto the connection's loop with `run_coroutine_threadsafe`
when it has to. From a test that runs the stand-in with `serve_asgi` (a thread), just `await standin.socket.send(…)`
in an async test; a synchronous caller can wrap the same calls in `asyncio.run(...)`.
"""

# Waits take a `timeout` argument (ASYNC109) on purpose: a test waiting for a call that never comes must fail
# with a message that lists what did arrive, not hang until the suite's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.sandbox.slack.recorder import Recorder
from bot.sandbox.slack.workspace import JSON

# Slack opens the connection with these envelope types; only interactive ones may carry a response payload.
_ACCEPTS_RESPONSE_PAYLOAD = {"slash_commands": True, "interactive": True, "events_api": False}
_POLICY_VIOLATION = 1008
_INTERNAL_ERROR = 1011  # how the server side ends a connection it drops


@dataclass(frozen=True)
class SocketAck:
    """What the app sent back for an envelope: `{"envelope_id": …, "payload": …}`."""

    envelope_id: str
    payload: JSON | None
    raw: JSON


@dataclass
class SocketConnection:
    websocket: WebSocket = field(repr=False)
    loop: asyncio.AbstractEventLoop = field(repr=False)
    number: int
    open: bool = True


class SocketModeServer:
    def __init__(self, *, api_app_id: str) -> None:
        self._api_app_id = api_app_id
        self._tickets: set[str] = set()
        self.connections: Recorder[SocketConnection] = Recorder("socket mode connection")
        self.sent: Recorder[JSON] = Recorder("socket mode envelope")
        self.acks: Recorder[SocketAck] = Recorder("socket mode ack")
        self.unparsed: Recorder[str] = Recorder("unparsable socket mode frame")
        self.refused: Recorder[str] = Recorder("refused socket mode connection")
        self.unanswered: Recorder[str] = Recorder("unanswered socket mode connection")
        self._refusals = 0
        self._unanswered = 0

    def new_ticket(self) -> str:
        """One-use ticket in the URL `apps.connections.open` returns, as Slack's own URLs carry."""
        ticket = secrets.token_urlsafe(18)
        self._tickets.add(ticket)
        return ticket

    def refuse_connections(self, times: int) -> None:
        """The next `times` connection attempts are refused at the handshake (Slack's side is unavailable); their
        URL stays good for the client's next try."""
        self._refusals = times

    def leave_unanswered(self, times: int) -> None:
        """The next `times` connection attempts get no answer to their handshake (Slack's side is unreachable after
        `apps.connections.open`); each lasts until its client gives up."""
        self._unanswered = times

    async def endpoint(self, websocket: WebSocket) -> None:
        ticket = websocket.query_params.get("ticket", "")
        if self._unanswered > 0:
            self._unanswered -= 1
            self.unanswered.append(ticket)
            # Neither accepted nor refused: `websocket.connect`, then nothing until the client (or the server) leaves.
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
            return
        if self._refusals > 0:
            self._refusals -= 1
            self.refused.append(ticket)
            await websocket.close(code=_INTERNAL_ERROR)  # before accepting: the handshake fails
            return
        if ticket not in self._tickets:
            await websocket.close(code=_POLICY_VIOLATION)
            return
        self._tickets.discard(ticket)
        await websocket.accept()
        connection = SocketConnection(websocket, asyncio.get_running_loop(), number=len(self.connections) + 1)
        await websocket.send_text(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": sum(1 for c in self.connections if c.open) + 1,
                    "debug_info": {"host": "applink-standin", "build_number": 1, "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self._api_app_id},
                }
            )
        )
        self.connections.append(connection)
        try:
            while True:
                self._receive(await websocket.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            connection.open = False

    def _receive(self, text: str) -> None:
        try:
            frame = json.loads(text)
        except json.JSONDecodeError:
            self.unparsed.append(text)
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("envelope_id"), str):
            self.unparsed.append(text)
            return
        payload = frame.get("payload")
        self.acks.append(SocketAck(frame["envelope_id"], payload if isinstance(payload, dict) else None, frame))

    async def wait_connected(self, *, timeout: float = 5.0) -> SocketConnection:
        """The newest open connection, waiting for the app to connect if none is open."""
        open_now = [c for c in self.connections if c.open]
        if open_now:
            return open_now[-1]
        return await self.connections.wait(lambda c: c.open, since=len(self.connections), timeout=timeout)

    async def _send_frame(self, frame: JSON, *, timeout: float) -> None:
        connection = await self.wait_connected(timeout=timeout)
        await self._on_loop_of(connection, connection.websocket.send_text(json.dumps(frame)), timeout=timeout)

    @staticmethod
    async def _on_loop_of(connection: SocketConnection, work: Coroutine[Any, Any, None], *, timeout: float) -> None:
        """Run `work` on the connection's event loop (the stand-in's), from whichever loop the test runs."""
        if connection.loop is asyncio.get_running_loop():
            await work
        else:
            done = asyncio.run_coroutine_threadsafe(work, connection.loop)
            await asyncio.wait_for(asyncio.wrap_future(done), timeout)

    async def drop(self, *, timeout: float = 5.0) -> None:
        """End the open connection from Slack's side without a `disconnect` message first."""
        connection = await self.wait_connected(timeout=timeout)
        await self._on_loop_of(connection, connection.websocket.close(code=_INTERNAL_ERROR), timeout=timeout)
        connection.open = False

    async def redeliver(self, envelope_id: str, *, retry_reason: str = "timeout", timeout: float = 5.0) -> str:
        """Deliver an `events_api` envelope again, as Slack does when its ack did not arrive: the same payload (so the
        same `event_id`) in a new envelope, with `retry_attempt` one higher. Returns the new envelope's id."""
        first = next(frame for frame in self.sent if frame["envelope_id"] == envelope_id)
        return await self.send(
            envelope_type=str(first["type"]), payload=first["payload"], retry_attempt=int(first["retry_attempt"]) + 1,
            retry_reason=retry_reason, timeout=timeout,
        )

    async def send(
        self,
        *,
        envelope_type: str,
        payload: JSON,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        timeout: float = 5.0,
    ) -> str:
        """Deliver one envelope (`slash_commands`, `interactive`, `events_api`) to the app; returns its id."""
        envelope_id = str(uuid.uuid4())
        frame: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": (
                _ACCEPTS_RESPONSE_PAYLOAD.get(envelope_type, False)
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if envelope_type == "events_api":
            frame.update({"retry_attempt": retry_attempt, "retry_reason": retry_reason})
        await self._send_frame(frame, timeout=timeout)
        self.sent.append(frame)
        return envelope_id

    async def wait_ack(self, envelope_id: str, *, timeout: float = 5.0) -> JSON:
        """The app's ack for `envelope_id` (the whole frame: `envelope_id` and, if any, `payload`)."""
        ack = await self.acks.wait(lambda a: a.envelope_id == envelope_id, timeout=timeout)
        return ack.raw

    async def disconnect(self, *, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Ask the app to reconnect, as Slack does every few hours (`refresh_requested`) or on deploys."""
        await self._send_frame(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}}, timeout=timeout
        )
