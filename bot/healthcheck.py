"""`python -m bot.healthcheck`: the container's HEALTHCHECK. GETs /healthz on this host; exit 0 on 200, else 1.

Standard library only, and no settings loaded: it runs every 30 s, so it must start fast, and a bad unrelated
setting must not make a running bot look unhealthy. The port comes from the environment (`PORT`, default 3000),
as the container passes it; a port set only in a `.env` file is not seen here.
"""

from __future__ import annotations

import http.client
import os
import sys
from http import HTTPStatus

DEFAULT_PORT = 3000
TIMEOUT_SECONDS = 3.0


def check(port: int, *, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(healthy, one line saying why) for http://127.0.0.1:PORT/healthz."""
    url = f"http://127.0.0.1:{port}/healthz"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        return False, f"unhealthy: {url} did not answer ({error})"
    finally:
        connection.close()
    if status == HTTPStatus.OK:
        return True, f"healthy: {url} answered {status}"
    return False, f"unhealthy: {url} answered {status}"


def port_from_environment() -> int:
    raw = os.environ.get("PORT") or str(DEFAULT_PORT)  # `${PORT:-3000}`: unset or empty means the default
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ValueError(f"PORT={raw!r} is not a port number")
    return port


def main() -> int:
    try:
        port = port_from_environment()
    except ValueError as error:
        print(f"unhealthy: {error}")
        return 1
    healthy, line = check(port)
    print(line)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
