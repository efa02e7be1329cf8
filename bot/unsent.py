"""Which failures of an HTTP request over aiohttp prove it was never sent.

Only a connection that was never made proves that: the name did not resolve, the connection was refused, it timed
out while connecting, or its TLS handshake failed. A reset, a server that disconnected, or a timeout while waiting
for the answer may come after the request was written, and so after the service acted on it: such a request may
not be sent again as if it had not been (a second deploy, a second message in a channel). Shared by the PlanetScale
transport and the Slack Web API client, which both carry their requests over aiohttp.
"""

from __future__ import annotations

import aiohttp

__all__ = ["never_sent"]


def never_sent(failure: BaseException) -> bool:
    # ConnectionTimeoutError covers waiting for a free connection of the pool too: nothing was written either.
    return isinstance(failure, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)
