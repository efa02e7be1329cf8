"""The Dockerfile, read as Docker reads it, and its install step run the same way in a scratch directory.

No Docker engine runs here, so the build is checked in parts: the instructions, and `pip install --no-cache-dir .`
over exactly the files the Dockerfile copies, whose result must start and hold the health check.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.support.cli import unconfigured_env
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: comments dropped, `\\` continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def _all(keyword: str) -> list[str]:
    return [arguments for instruction, arguments in _instructions() if instruction == keyword]


def _env() -> dict[str, str]:
    return dict(item.split("=", 1) for arguments in _all("ENV") for item in shlex.split(arguments))


def test_base_image_and_install_step() -> None:
    assert _instructions()[0] == ("FROM", "python:3.11-slim")
    assert any(run.startswith("pip install --no-cache-dir .") for run in _all("RUN"))


def test_runs_as_a_non_root_user_created_in_the_image() -> None:
    keywords = [instruction for instruction, _ in _instructions()]
    [user] = _all("USER")
    uid = user.split(":")[0]
    assert uid not in ("root", "0")
    assert any(f"--uid {uid}" in run for run in _all("RUN"))
    # Everything after USER runs as that user, so it must come after the last RUN (installs need root).
    assert keywords.index("USER") > max(i for i, keyword in enumerate(keywords) if keyword == "RUN")


def test_data_volume_port_and_database_path() -> None:
    assert _env()["BOT_DATABASE"] == "/data/pscale-bot.sqlite3"
    assert json.loads(_all("VOLUME")[0]) == ["/data"]
    assert _all("EXPOSE") == ["3000"]


def test_healthcheck_uses_the_stdlib_probe_and_the_command_runs_the_bot() -> None:
    [healthcheck] = _all("HEALTHCHECK")
    options, _, command = healthcheck.partition("CMD ")
    assert "--timeout=" in options
    assert json.loads(command) == ["python", "-m", "bot.healthcheck"]
    assert [json.loads(command) for command in _all("CMD")] == [["pscale-bot", "run", "--host", "0.0.0.0"]]


def _dockerignored(path: str) -> bool:
    """Docker's rule, enough for these patterns: a path is out if it or a parent folder matches a pattern."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(prefix.split("/")[-1], pattern[3:])
            ):
                return True
    return False


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".env",
        ".venv/bin/python",
        "venv/lib/x.py",
        "bot/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v",
        ".mypy_cache/x",
        "pscale-bot.sqlite3",
        "data/pscale-bot.sqlite3-wal",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert _dockerignored(path)


@pytest.mark.parametrize("path", ["pyproject.toml", "README.md", "bot/cli.py", "bot/healthcheck.py"])
def test_dockerignore_keeps_in_what_the_build_copies(path: str) -> None:
    assert not _dockerignored(path)


def test_the_copied_files_install_and_run(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for copy in _all("COPY"):
        *sources, _destination = shlex.split(copy)
        for source in sources:
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, context / source, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(ROOT / source, context / source)
    target = tmp_path / "installed"
    # The image's step, minus dependencies: those are already in this venv.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--no-deps", "--target", target, "--quiet", "."],
        cwd=context,
        check=True,
        timeout=300,
    )
    # -S: no .pth files, so this venv's editable install of the repository cannot shadow the installed copy;
    # the dependencies still come from this venv's site-packages, put on the path by hand.
    path = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    environment = {**os.environ, "PYTHONPATH": path, "PORT": "1"}

    def run(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-S", *arguments],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    where = run("-c", "import bot.cli; print(bot.cli.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(target), where.stderr
    help_text = run(target / "bin" / "pscale-bot", "--help")
    assert help_text.returncode == 0, help_text.stderr
    assert "usage: pscale-bot" in help_text.stdout
    probe = run("-m", "bot.healthcheck")
    assert probe.returncode == 1
    assert probe.stdout.startswith("unhealthy: http://127.0.0.1:1/healthz")


def _answers_on(port: int, address: str) -> bool:
    try:
        return httpx.get(f"http://{address}:{port}/healthz", timeout=5).status_code == 200
    except httpx.ConnectError:
        return False


@pytest.mark.parametrize(("command", "outside_loopback"), [(None, True), (["pscale-bot", "run"], False)])
def test_the_image_s_command_serves_the_sandbox_beyond_its_own_loopback(
    tmp_path: Path, command: list[str] | None, outside_loopback: bool
) -> None:
    """`docker run -p 3000:3000 IMAGE` forwards to the container's own interface, not to its loopback: the image's
    command, with the image's environment and nothing configured, must listen there. 127.0.0.2 is a loopback
    address too, but a server bound to 127.0.0.1 alone refuses it, as a container's loopback refuses `-p`; the
    plain `pscale-bot run` shows that difference."""
    [cmd] = [json.loads(found) for found in _all("CMD")]
    program, *arguments = command or cmd
    assert program == "pscale-bot"
    port = free_port()
    image_env = {**_env(), "BOT_DATABASE": str(tmp_path / "pscale-bot.sqlite3"), "PORT": str(port)}
    environment = unconfigured_env(**image_env)
    process = subprocess.Popen([sys.executable, "-m", "bot", *arguments], cwd=tmp_path, env=environment,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        announced = next((line for line in process.stderr if line.startswith("pscale-bot sandbox: open ")), "")
        assert announced == f"pscale-bot sandbox: open http://127.0.0.1:{port}/ in a browser\n"
        assert _answers_on(port, "127.0.0.1")
        assert _answers_on(port, "127.0.0.2") is outside_loopback
    finally:
        process.terminate()
        process.wait(timeout=30)
