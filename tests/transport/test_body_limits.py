"""Every POST route reads at most 1 MB (413) and waits a bounded time for it (408), over real sockets: one shared
reader (bot/web/body.py) in front of all routes, so no route can be made to hold a large body or a slow client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.sandbox.slack import SlackStandIn
from bot.web.body import MAX_BODY_BYTES
from tests.support.bot import RunningBot, run_bot
from tests.support.servers import resident_memory_bytes

READ_SECONDS = 1.0
ROUTES = ["/slack/events", "/webhooks/planetscale/some-hook", "/oauth/planetscale/start"]
CHUNK = b"x" * 65_536


@pytest.fixture
def impatient_bot(slack_standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    with run_bot(slack=slack_standin, data_dir=tmp_path, body_read_seconds=READ_SECONDS) as running:
        yield running


def _connect(bot: RunningBot) -> socket.socket:
    address = urlsplit(bot.base_url)
    assert address.hostname is not None
    assert address.port is not None
    connection = socket.create_connection((address.hostname, address.port), timeout=10)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65_536)
    return connection


def _head(route: str, *framing: str) -> bytes:
    lines = [f"POST {route} HTTP/1.1", "Host: bot", "Content-Type: application/json", *framing, "", ""]
    return "\r\n".join(lines).encode()


def _status(connection: socket.socket) -> int:
    """The status code of the answer, read as soon as it comes (while the client may still be sending)."""
    answer = b""
    while b"\r\n" not in answer:
        got = connection.recv(4096)
        if not got:
            raise AssertionError(f"connection closed without an answer: {answer!r}")
        answer += got
    return int(answer.split(b" ")[1])


def _send_quietly(connection: socket.socket, data: bytes) -> bool:
    """Send what the server still takes; False once it has stopped reading and closed."""
    try:
        connection.sendall(data)
    except OSError:
        return False
    return True


@pytest.mark.parametrize("route", ROUTES)
def test_a_declared_length_over_the_limit_is_413_before_any_of_the_body_is_sent(
    impatient_bot: RunningBot, route: str
) -> None:
    with _connect(impatient_bot) as connection:
        connection.sendall(_head(route, f"Content-Length: {100 * MAX_BODY_BYTES}"))
        assert _status(connection) == 413  # no byte of the body was sent: none was waited for


@pytest.mark.parametrize("route", ROUTES)
def test_a_chunked_body_is_cut_off_at_the_limit(impatient_bot: RunningBot, route: str) -> None:
    with _connect(impatient_bot) as connection:
        connection.sendall(_head(route, "Transfer-Encoding: chunked"))
        chunk = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
        sent = 0
        while sent <= MAX_BODY_BYTES and _send_quietly(connection, chunk):
            sent += len(CHUNK)
        # The body never ends (no last chunk): the answer can only come from the server stopping at the limit.
        assert _status(connection) == 413


@pytest.mark.parametrize("route", ROUTES)
def test_a_body_of_exactly_the_limit_reaches_its_route(impatient_bot: RunningBot, route: str) -> None:
    with _connect(impatient_bot) as connection:
        connection.sendall(_head(route, f"Content-Length: {MAX_BODY_BYTES}"))
        _send_quietly(connection, b"x" * MAX_BODY_BYTES)
        # The route answers for itself (401: unsigned, 404: no such hook, 400: no ticket), never the reader's 413.
        assert _status(connection) in (400, 401, 404)


@pytest.mark.parametrize("route", ROUTES)
def test_a_trickling_client_gets_408_within_the_read_deadline(impatient_bot: RunningBot, route: str) -> None:
    with _connect(impatient_bot) as connection:
        connection.sendall(_head(route, "Content-Length: 100"))
        started = time.monotonic()
        stop = threading.Event()

        def trickle() -> None:
            while not stop.wait(0.1) and _send_quietly(connection, b"x"):
                pass

        sender = threading.Thread(target=trickle)
        sender.start()
        try:
            assert _status(connection) == 408
        finally:
            stop.set()
            sender.join()
        assert time.monotonic() - started < READ_SECONDS + 2


def test_three_100_mb_uploads_at_once_leave_memory_flat(impatient_bot: RunningBot) -> None:
    """The bot runs in this process: its resident memory is this process's."""
    before = resident_memory_bytes()
    statuses: list[int] = []

    def upload() -> None:
        with _connect(impatient_bot) as connection:
            connection.sendall(_head("/webhooks/planetscale/some-hook", "Transfer-Encoding: chunked"))
            chunk = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n"
            for _ in range(100 * MAX_BODY_BYTES // len(CHUNK)):
                if not _send_quietly(connection, chunk):
                    break
            statuses.append(_status(connection))

    uploads = [threading.Thread(target=upload) for _ in range(3)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join()
    assert statuses == [413, 413, 413]
    assert resident_memory_bytes() - before < 30 * MAX_BODY_BYTES
