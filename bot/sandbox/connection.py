"""Dropping a request's connection without an answer, for the stand-ins' connection-reset faults."""

from __future__ import annotations

import socket
import struct

from starlette.types import Receive, Send

__all__ = ["drop_connection"]


async def drop_connection(send: Send, receive: Receive) -> None:
    """Abort the request's TCP connection with an RST instead of answering, then wait until the server has noticed,
    so it does not answer a request that was dropped. `send` must be uvicorn's own (bound to the connection's
    cycle, which holds the transport), not one an ASGI layer wrapped."""
    _reset(send)
    while (await receive())["type"] != "http.disconnect":
        pass


def _reset(send: Send) -> None:
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("connection-reset faults need the app to be served by uvicorn")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
