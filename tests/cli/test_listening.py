"""Starting to listen, through the real entry point: the page is announced only once it answers, the bot's first
call to its own stand-ins is not refused, and a port already taken is one plain line and exit code 3."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.cli import unconfigured_env
from tests.support.servers import free_port

OPEN_LINE = "pscale-bot sandbox: open "



@contextmanager
def _running(args: list[str], *, cwd: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """The program running until its page is announced; yields it with the lines it wrote until then."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line.rstrip("\n"))
            if line.startswith(OPEN_LINE):
                break
        assert lines, "the program wrote nothing before it ended"
        assert lines[-1].startswith(OPEN_LINE), "\n".join(lines)
        yield process, lines
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_sandbox_announces_its_page_when_it_answers_and_logs_no_refused_call(tmp_path: Path) -> None:
    port = free_port()
    with _running(["run", "--port", str(port)], cwd=tmp_path, env=unconfigured_env()) as (_process, lines):
        assert lines[-1] == f"{OPEN_LINE}http://127.0.0.1:{port}/ in a browser"
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
    log = "\n".join(lines)
    assert "Cannot connect" not in log
    assert "retry" not in log.lower()


def test_the_sandbox_announces_bot_public_url(tmp_path: Path) -> None:
    port = free_port()
    env = unconfigured_env(BOT_PUBLIC_URL="https://sandbox.example.com:8443/")
    with _running(["sandbox", "--port", str(port)], cwd=tmp_path, env=env) as (_process, lines):
        assert lines[-1] == f"{OPEN_LINE}https://sandbox.example.com:8443/ in a browser"


def test_a_port_in_use_is_one_line_and_exit_3(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(port)],
            cwd=tmp_path, env=unconfigured_env(), capture_output=True, text=True, timeout=60, check=False,
        )
    assert result.returncode == 3, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"pscale-bot: port {port} is already in use on 127.0.0.1 (is pscale-bot already running?); stop that "
        "program or choose another port with --port or PORT"
    )
    assert OPEN_LINE not in result.stderr
    assert "connected" not in result.stderr
    assert not (tmp_path / "pscale-bot-sandbox").exists()  # nothing was built before the port was known to be free
