"""Dropping a request's connection without an answer, for the stand-ins' connection-reset faults."""

from __future__ import annotations

import socket
import struct

from starlette.types import Send

__all__ = ["reset_connection"]


def reset_connection(send: Send) -> None:
    """Abort the TCP connection with an RST. `send` must be uvicorn's own (bound to the connection's cycle, which
    holds the transport), not one an ASGI layer wrapped."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("connection-reset faults need the app to be served by uvicorn")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
