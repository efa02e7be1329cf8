"""The one body reader every route shares: at most 1 MB, within a read deadline, before any route sees the request.

Without it a route that reads `request.body()` holds whatever a client sends (three 100 MB uploads at once took the
process from 88 to 575 MB) and waits as long as a client trickles (one byte a second holds a connection forever).
As ASGI middleware around the whole app, it covers every route, present and future: a declared `Content-Length`
over the limit is refused before a byte of the body is read; a body that grows past it (chunked, or lying about its
length) is cut off there; one that has not fully arrived by the deadline gets 408. Either way the connection is then
closed by the server, as the rest of the body is never read. A body within both limits is handed on whole, so routes
read it as usual.

The deadlines share one timer (`ReadDeadlines`) instead of an `asyncio.timeout` per request: arming and cancelling a
timer for every request was a fifth of the bot's own CPU in a `/pscale help` ack (20 of 95 µs beyond bare bolt,
measured in-process), and nearly every body has arrived whole before the route asks for it.
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


class ReadDeadlines:
    """The tasks reading a body, each with its deadline, watched by one timer.

    Every read gets the same allowance, so deadlines fall in the order reads start, which is the order of the dict:
    the first entry is always the next to expire. The timer is armed for it; when it fires it cancels the reads that
    are out of time and re-arms for the new first entry. A read that ends just takes its entry out: per request
    that is a dict insert and a delete, where a timer of its own is a heap push and a cancelled handle to sweep."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._reads: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[object]) -> None:
        loop = task.get_loop()
        deadline = loop.time() + self.seconds
        self._reads[task] = deadline
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._expire, loop)

    def ran_out(self, task: asyncio.Task[object]) -> bool:
        """Whether `task`'s read was cancelled for running out of time."""
        return task in self._expired

    def finish(self, task: asyncio.Task[object]) -> None:
        self._reads.pop(task, None)
        self._expired.discard(task)

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        while self._reads:
            task, deadline = next(iter(self._reads.items()))
            if deadline > now:
                self._timer = loop.call_at(deadline, self._expire, loop)
                return
            del self._reads[task]
            self._expired.add(task)
            task.cancel()


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES, read_seconds: float = BODY_READ_SECONDS
    ) -> None:
        self._app = app
        self._max_bytes = max_bytes
        self._deadlines = ReadDeadlines(read_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        task = asyncio.current_task()
        assert task is not None  # an ASGI app is always called from a task
        self._deadlines.start(task)
        try:
            self._check_declared_length(scope)
            body = await self._read(receive)
        except _Refused as refused:
            await _answer(send, refused.status, refused.error)
            return
        except asyncio.CancelledError:
            # Ours only if the deadline cancelled the read and nobody else has cancelled the task since (a server
            # shutting down, say): then the cancellation is taken back and the client told why, as
            # `asyncio.timeout` does.
            if not self._deadlines.ran_out(task) or task.uncancel() > 0:
                raise
            await _answer(send, 408, "request body not received in time")
            return
        finally:
            self._deadlines.finish(task)
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
