"""The one TLS context for every client of the process that verifies certificates."""

from __future__ import annotations

import ssl
from functools import cache

import httpx

__all__ = ["certifi_context"]


@cache
def certifi_context() -> ssl.SSLContext:
    """The CA bundle httpx verifies against (certifi), so a client on aiohttp and one on httpx make the same
    certificate decisions. Made once per process and shared by every client that verifies (PlanetScale's sessions,
    OAuth token calls, the sandbox's senders): reading the bundle into a context costs ~60 ms of CPU each time, and
    a context is only settings and trusted roots, which no client changes."""
    return httpx.create_ssl_context()
