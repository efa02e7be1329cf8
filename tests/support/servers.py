"""Run ASGI apps on real loopback sockets for tests: no in-process shortcuts, real HTTP end to end."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bot.tls import certifi_context


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stop_requested = asyncio.Event()

    def install_signal_handlers(self) -> None:  # the test runner owns signals
        pass

    async def main_loop(self) -> None:
        """uvicorn's own loop (`on_tick` every 0.1 s until it says exit), except that a stop requested through
        `stop` ends the wait for the next tick at once: uvicorn notices `should_exit` only on its tick, and a test
        stops four or five servers one after another (the bot, then each stand-in), so 0.05 s each on average,
        several hundred times a run."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown without its fixed pauses: it sleeps 0.1 s after asking the connections to close, even
        when there are none, and then looks again only every 0.1 s, so the three or four servers of a test took
        0.4 s to stop, over a thousand times a run. This waits for the same things in the same order (new
        connections refused, idle ones closed, requests in flight answered and their tasks done, then the app's
        lifespan shutdown), looking every 5 ms."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        while self.server_state.connections or self.server_state.tasks:
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()

    def stop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Ask the server serving in `loop` (another thread's) to shut down as uvicorn does on SIGTERM."""
        self.should_exit = True
        with contextlib.suppress(RuntimeError):  # the loop has already closed: the server has stopped by itself
            loop.call_soon_threadsafe(self._stop_requested.set)


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A socket bound to an ephemeral port (or to `port`), for an app that must know its own URL before it is built
    (the OAuth redirect URI): read the port from it, build the app, then `serve_asgi(app, sock=it)`. No race for the
    port."""
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for sockets that say they
    # are TCP, and without it every response waits out the client's 40 ms delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def serve_asgi(
    app: Any, *, host: str = "127.0.0.1", lifespan: str = "on", sock: socket.socket | None = None
) -> Iterator[str]:
    """Serve `app` on an ephemeral port (or on `sock`, from `bind_loopback`) in a background thread; yields its base
    URL (no trailing slash)."""
    with serve_asgi_in_loop(app, host=host, lifespan=lifespan, sock=sock) as (base_url, _):
        yield base_url


@contextmanager
def serve_asgi_in_loop(
    app: Any, *, host: str = "127.0.0.1", lifespan: str = "on", sock: socket.socket | None = None
) -> Iterator[tuple[str, asyncio.AbstractEventLoop]]:
    """`serve_asgi`, also yielding the event loop that serves: what the app holds that belongs to that loop (a
    PostgreSQL pool) is used from a test through `asyncio.run_coroutine_threadsafe(…, loop)`."""
    sock = sock or bind_loopback(host)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, lifespan=lifespan, log_level="warning", access_log=False)
    server = _Server(config)
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        finally:
            loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = 10.0
    step = 0.01
    waited = 0.0
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("test server failed to start")
        if waited > deadline:
            raise RuntimeError("test server did not start within 10 s")
        threading.Event().wait(step)
        waited += step
    try:
        yield f"http://{host}:{port}", loop
    finally:
        server.stop(loop)
        thread.join(timeout=10)
        sock.close()


# httpx builds a TLS context for every client it makes (and `httpx.get`/`httpx.post` make one per call), loading the
# CA bundle each time: ~60 ms of CPU, though the tests' clients speak plain HTTP to loopback. A few clients per test
# (the bot's, each link's browser) and one per poll of a starting replica made that minutes of CPU a run. This is the
# bot's own process-wide context (bot/tls.py); pass it as `verify=`, or use `loopback_client`.
LOOPBACK_TLS = certifi_context()


def loopback_client(**options: Any) -> httpx.Client:
    """An httpx client for the loopback servers of a test, on the shared `LOOPBACK_TLS`."""
    return httpx.Client(verify=LOOPBACK_TLS, **options)


# A port for a child process to listen on must stay free between our choosing it and the child binding it. A port
# the kernel handed out with bind(("", 0)) does not: it is in the ephemeral range, which the kernel hands out again,
# to the next bind(0) of another xdist worker or as the local port of any outgoing connection (CI saw a replica find
# its port taken that way). So ports for children come from outside the ephemeral range (Linux's default is
# 32768-60999, /proc/sys/net/ipv4/ip_local_port_range), each xdist worker from its own slice, each in turn, from a
# random place in it: another test session or a benchmark on the same machine walks the same slices.
_CHILD_PORTS_START = 10_000
_LAST_PORT = 65_535
_child_ports = itertools.count(random.randrange(1 << 20))


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32_768, 60_999  # Linux's default


def _child_port_range() -> range:
    """The ports outside the ephemeral range for child servers: below it (Linux's default), or above it on a machine
    whose range starts low, whichever is wider."""
    low, high = _ephemeral_range()
    below, above = range(_CHILD_PORTS_START, low), range(high + 1, _LAST_PORT + 1)
    return below if len(below) >= len(above) else above


def free_port() -> int:
    """A loopback port free now, that neither this process, another xdist worker nor an outgoing connection will be
    given meanwhile: for a server started in a child process, which must be told its port before it binds."""
    workers = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), 1)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    ports = _child_port_range()
    slice_size = len(ports) // workers
    if slice_size < 1:
        raise AssertionError(f"no ports outside the ephemeral range {_ephemeral_range()} for {workers} workers")
    first = ports.start + worker * slice_size
    for _ in range(slice_size):
        port = first + next(_child_ports) % slice_size
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # another program's, or a child of ours not yet gone
                continue
            return port
    raise AssertionError(f"no free port in {first}-{first + slice_size - 1}, outside the ephemeral range")


def resident_memory_bytes() -> int:
    """This process's resident memory (VmRSS); a bot served in-process by `serve_asgi_in_loop` counts in it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")
