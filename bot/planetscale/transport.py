"""The PlanetScale client's transport: httpx's requests and responses, carried over aiohttp's connection pool.

Why: httpx's own transport (httpcore on anyio: a cancel scope, locks and a stream wrapper per request) cost about
1 ms more CPU per request than aiohttp for the same exchange over loopback (README, "Why each dependency"), and
every command, card redraw and digest read pays it. aiohttp is already here (bolt's Web API and Socket Mode
clients). The client keeps httpx's API (requests, responses, timeouts, `MockTransport` in tests, proxies from the
environment, which httpx mounts on its own transports).

httpx-aiohttp does the same job, but maps a connection reset or a server that disconnected mid-answer to
`httpx.ConnectTimeout`: "never sent". The client retries only what it knows was not sent (bot/planetscale/errors.py
`error_from_transport`), so a deploy's POST could then be sent twice. Here only a failure to connect says so.

The body is read whole before the response is handed over: PlanetScale answers JSON the client parses whole anyway.
"""

from __future__ import annotations

import aiohttp
import httpx

from bot.tls import certifi_context
from bot.unsent import never_sent

__all__ = ["AiohttpTransport"]


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        """Made at the first request, in the event loop that serves (an aiohttp session belongs to one loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 0,
                ssl=certifi_context(),
            )
            # No cookie jar: one session carries every linked person's requests, known by their bearer tokens
            # alone; aiohttp's default jar would send one person's cookies with the next person's requests.
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        try:
            async with self._open().request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=request.content or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            ) as answer:
                body = await answer.read()
        except aiohttp.ClientError as failure:
            raise _as_httpx(failure, request) from failure
        extensions = {"http_version": b"HTTP/1.1"}
        if answer.reason:
            extensions["reason_phrase"] = answer.reason.encode("latin-1", "replace")
        # Still encoded as it came (auto_decompress is off): httpx decodes it by its Content-Encoding, as it would.
        return httpx.Response(
            status_code=answer.status, headers=answer.raw_headers, content=body, request=request, extensions=extensions
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _as_httpx(failure: aiohttp.ClientError, request: httpx.Request) -> httpx.TransportError:
    """The httpx error for an aiohttp failure: a connect error only for one that proves the request unsent
    (bot/unsent.py), since a reset, a disconnect or a timeout while reading may come after PlanetScale acted."""
    message = str(failure) or type(failure).__name__
    if never_sent(failure):
        unsent = httpx.ConnectTimeout if isinstance(failure, TimeoutError) else httpx.ConnectError
        return unsent(message, request=request)
    if isinstance(failure, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(failure, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.ReadError(message, request=request)
