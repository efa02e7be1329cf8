"""The one body reader every route shares: at most 1 MB, within a read deadline, before any route sees the request.

Without it a route that reads `request.body()` holds whatever a client sends (three 100 MB uploads at once took the
process from 88 to 575 MB) and waits as long as a client trickles (one byte a second holds a connection forever).
As ASGI middleware around the whole app, it covers every route, present and future: a declared `Content-Length`
over the limit is refused before a byte of the body is read; a body that grows past it (chunked, or lying about its
length) is cut off there; one that has not fully arrived by the deadline gets 408. Either way the connection is then
closed by the server, as the rest of the body is never read. A body within both limits is handed on whole, so routes
read it as usual.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1_000_000
BODY_READ_SECONDS = 10.0


class _Refused(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES, read_seconds: float = BODY_READ_SECONDS
    ) -> None:
        self._app = app
        self._max_bytes = max_bytes
        self._read_seconds = read_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        try:
            self._check_declared_length(scope)
            async with asyncio.timeout(self._read_seconds):
                body = await self._read(receive)
        except _Refused as refused:
            await _answer(send, refused.status, refused.error)
            return
        except TimeoutError:
            await _answer(send, 408, "request body not received in time")
            return
        await self._app(scope, _replay(body, receive), send)

    def _check_declared_length(self, scope: Scope) -> None:
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self._max_bytes:
                raise _Refused(413, "request body too large")

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_bytes:
                raise _Refused(413, "request body too large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body, read already, as one message; then the client's own messages (its disconnect) as they come."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _answer(send: Send, status: int, error: str) -> None:
    content = json.dumps({"error": error}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            (b"connection", b"close"),
        ],
    })
    await send({"type": "http.response.body", "body": content})
