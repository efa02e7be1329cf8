"""`python -m bot.healthcheck`, run as the container runs it, against real servers on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.healthcheck import check
from tests.support.servers import free_port, serve_asgi

ROOT = Path(__file__).resolve().parents[2]


def _app_answering(status: int) -> Starlette:
    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok\n" if status == 200 else "failing\n", status_code=status)

    return Starlette(routes=[Route("/healthz", healthz)])


def _healthcheck(port: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.healthcheck"],
        env={**os.environ, "PORT": port},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _port(base_url: str) -> str:
    return str(urlsplit(base_url).port)


def test_exit_0_when_healthz_answers_200() -> None:
    with serve_asgi(_app_answering(200)) as base_url:
        result = _healthcheck(_port(base_url))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("healthy: ")
    assert result.stdout.count("\n") == 1


def test_exit_1_when_healthz_answers_503() -> None:
    with serve_asgi(_app_answering(503)) as base_url:
        result = _healthcheck(_port(base_url))
    assert result.returncode == 1
    assert result.stdout.startswith("unhealthy: ")
    assert "answered 503" in result.stdout


def test_exit_1_when_nothing_listens() -> None:
    result = _healthcheck(str(free_port()))
    assert result.returncode == 1
    assert "did not answer" in result.stdout
    assert result.stderr == ""  # one line on stdout, no traceback


def test_exit_1_with_one_line_for_a_bad_port() -> None:
    result = _healthcheck("http")
    assert result.returncode == 1
    assert result.stdout == "unhealthy: PORT='http' is not a port number\n"


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections into the backlog, never replies
        healthy, line = check(silent.getsockname()[1], timeout=0.2)
    assert not healthy
    assert "timed out" in line
