"""docs/interface.md §1: the mode rules, "exit 2 with one line per variable to fix" and "exit 3 when the port is
taken", through the real entry point."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import ConfigError, Mode, choose_mode, load_settings, require_for
from bot.runtime import build_runtime
from bot.storage import ChannelPreferences, open_database
from tests.support.cli import unconfigured_env
from tests.support.postgres import PostgresCluster
from tests.support.servers import free_port

FULL_HTTP = {
    "SLACK_BOT_TOKEN": "xoxb-1-test",
    "SLACK_SIGNING_SECRET": "s3cr3t",
    "PLANETSCALE_CLIENT_ID": "client",
    "PLANETSCALE_CLIENT_SECRET": "client-secret",
    "BOT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}



def _bot(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The program with `env`, on a free port unless `env` names one: a check that comes after the port's (the
    database's) must not meet the developer's own `./dev run` on the default 3000 instead."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], check=False, cwd=cwd, env={"PORT": str(free_port()), **env},
        capture_output=True, text=True, timeout=60,
    )


def _problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines naming a variable to fix (log lines come before them)."""
    return [line.removeprefix("pscale-bot: ") for line in result.stderr.splitlines() if line.startswith("pscale-bot: ")]


def _assert_config_exit(result: subprocess.CompletedProcess[str], *variables: str) -> None:
    """Exit 2 with one line for each of `variables`, in that order, and nothing else wrong."""
    assert result.returncode == 2, result.stderr
    assert [line.split(" ", 1)[0] for line in _problems(result)] == list(variables), result.stderr
    assert "Traceback" not in result.stderr


def test_serve_without_signing_secret_exits_2_naming_it(tmp_path: Path) -> None:
    env = unconfigured_env(**{k: v for k, v in FULL_HTTP.items() if k != "SLACK_SIGNING_SECRET"})
    _assert_config_exit(_bot(["serve"], cwd=tmp_path, env=env), "SLACK_SIGNING_SECRET")


def test_run_with_only_a_bot_token_is_not_the_sandbox_and_lists_all_that_is_missing(tmp_path: Path) -> None:
    result = _bot(["run"], cwd=tmp_path, env=unconfigured_env(SLACK_BOT_TOKEN="xoxb-1-test"))
    _assert_config_exit(
        result, "SLACK_SIGNING_SECRET", "PLANETSCALE_CLIENT_ID", "PLANETSCALE_CLIENT_SECRET", "BOT_ENCRYPTION_KEYS"
    )
    assert all(line.endswith("is required in http mode but is not set") for line in _problems(result))
    assert "starting in http mode" in result.stderr
    assert "sandbox" not in result.stderr


def test_dotenv_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_APP_TOKEN=xapp-1-test\n")
    result = _bot(["run"], cwd=tmp_path, env=unconfigured_env())
    assert "starting in socket mode" in result.stderr
    _assert_config_exit(result, "PLANETSCALE_CLIENT_ID", "PLANETSCALE_CLIENT_SECRET", "BOT_ENCRYPTION_KEYS")


def test_wrong_and_missing_values_are_listed_together_in_plain_words(tmp_path: Path) -> None:
    env = unconfigured_env(SLACK_BOT_TOKEN="xoxb-1-test", SLACK_SIGNING_SECRET="s3cr3t", PORT="abc", LOG_FORMAT="xml")
    result = _bot(["run"], cwd=tmp_path, env=env)
    _assert_config_exit(
        result, "LOG_FORMAT", "PORT", "PLANETSCALE_CLIENT_ID", "PLANETSCALE_CLIENT_SECRET", "BOT_ENCRYPTION_KEYS"
    )
    assert "PORT must be a port number from 1 to 65535" in _problems(result)
    assert "LOG_FORMAT must be text or json" in _problems(result)
    assert "Input should be" not in result.stderr  # pydantic's own wording names Python types


def test_the_sandbox_reports_a_wrong_port_too(tmp_path: Path) -> None:
    _assert_config_exit(_bot(["run"], cwd=tmp_path, env=unconfigured_env(PORT="0")), "PORT")


def test_version(tmp_path: Path) -> None:
    result = _bot(["--version"], cwd=tmp_path, env=unconfigured_env())
    assert result.returncode == 0
    assert result.stdout.strip() == f"pscale-bot {version('pscale-bot')}"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("PORT", "eighty"),
        ("LOG_FORMAT", "xml"),
        ("SLACK_API_URL", "ftp://example"),
        ("SLACK_BOT_TOKEN", "xoxp-a-user-token"),
    ],
)
def test_a_wrong_value_exits_2_naming_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    env = unconfigured_env(**{**FULL_HTTP, variable: value})
    result = _bot(["serve"], cwd=tmp_path, env=env)
    _assert_config_exit(result, variable)


def test_secrets_never_appear_in_the_error_line(tmp_path: Path) -> None:
    secret = "xoxp-super-secret-value"
    result = _bot(["serve"], cwd=tmp_path, env=unconfigured_env(**{**FULL_HTTP, "SLACK_BOT_TOKEN": secret}))
    _assert_config_exit(result, "SLACK_BOT_TOKEN")
    assert secret not in result.stderr


def test_mode_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "PLANETSCALE_", "BOT_")):
            monkeypatch.delenv(name)
    assert choose_mode(load_settings()).mode is Mode.SANDBOX
    # Pointing at a Slack API URL is configuring too: never a silent sandbox.
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    assert choose_mode(load_settings()).mode is Mode.HTTP
    with pytest.raises(ConfigError) as raised:
        require_for(Mode.HTTP, load_settings())
    assert raised.value.variable == "SLACK_BOT_TOKEN"
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert choose_mode(load_settings()).mode is Mode.SOCKET
    # Only the database path or public URL set: still nothing Slack- or PlanetScale-specific, so the sandbox.
    monkeypatch.delenv("SLACK_API_URL")
    monkeypatch.delenv("SLACK_APP_TOKEN")
    monkeypatch.setenv("BOT_DATABASE", str(tmp_path / "x.sqlite3"))
    assert choose_mode(load_settings()).mode is Mode.SANDBOX


@pytest.mark.parametrize("value", ["0", "14", "2.5", "soon"])
def test_a_slack_api_timeout_that_would_not_give_up_before_the_reply_is_due_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SLACK_API_TIMEOUT", value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    assert str(raised.value) == "SLACK_API_TIMEOUT must be a whole number of seconds from 1 to 13"


def test_the_slack_api_timeout_is_10_seconds_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_API_TIMEOUT", raising=False)
    assert load_settings(_env_file=None).slack_api_timeout == 10
    monkeypatch.setenv("SLACK_API_TIMEOUT", "13")
    assert load_settings(_env_file=None).slack_api_timeout == 13


def test_serve_port_is_part_of_the_default_public_url(tmp_path: Path) -> None:
    settings = load_settings(
        _env_file=None, **{name.lower(): value for name, value in FULL_HTTP.items()},
        bot_database=str(tmp_path / "bot.sqlite3"),
    )
    runtime = build_runtime(settings, mode=Mode.HTTP, port=4321)

    async def offer() -> str:
        await runtime.open_storage()
        try:
            return (await runtime.linking.link_offer("T1", "U1")).url
        finally:
            await runtime.database.close()

    start_url = asyncio.run(offer())
    assert start_url.startswith("http://127.0.0.1:4321/oauth/planetscale/start?t=")


def test_backup_copies_a_live_database_and_refuses_to_overwrite(tmp_path: Path) -> None:
    database_file = tmp_path / "bot.sqlite3"
    from_env = unconfigured_env(BOT_DATABASE=str(database_file))
    missing = _bot(["backup", str(tmp_path / "copy.sqlite3")], cwd=tmp_path, env=from_env)
    _assert_config_exit(missing, "BOT_DATABASE")
    asyncio.run(_set_default_database(str(database_file)))
    copied = _bot(["backup", str(tmp_path / "copy.sqlite3")], cwd=tmp_path, env=from_env)
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout == f"backed up {database_file} to {tmp_path / 'copy.sqlite3'}\n"
    again = _bot(["backup", str(tmp_path / "copy.sqlite3")], cwd=tmp_path, env=from_env)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert asyncio.run(_default_database(str(tmp_path / "copy.sqlite3"))) == "shop"


async def _set_default_database(location: str) -> None:
    database = await open_database(location)
    try:
        await database.migrate()
        await ChannelPreferences(database).set_default_database(team_id="T1", channel_id="C1", database_name="shop")
    finally:
        await database.close()


async def _default_database(location: str) -> str | None:
    database = await open_database(location)
    try:
        return await ChannelPreferences(database).default_database("T1", "C1")
    finally:
        await database.close()


def test_backup_on_postgresql_is_a_pg_dump(postgres: PostgresCluster, tmp_path: Path) -> None:
    url = postgres.new_database()
    asyncio.run(_set_default_database(url))
    done = _bot(["backup", str(tmp_path / "bot.dump")], cwd=tmp_path, env=unconfigured_env(BOT_DATABASE=url))
    assert done.returncode == 0, done.stderr
    assert "with pg_dump (restore it with pg_restore)" in done.stdout
    assert (tmp_path / "bot.dump").read_bytes().startswith(b"PGDMP")  # pg_dump's custom format


def test_a_postgresql_database_that_cannot_be_reached_is_named_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://bot:hunter2@/nowhere?host={tmp_path}&port=1"
    refused = _bot(["serve"], cwd=tmp_path, env=unconfigured_env(**{**FULL_HTTP, "BOT_DATABASE": url}))
    _assert_config_exit(refused, "BOT_DATABASE")
    assert "cannot connect to postgresql://bot@/nowhere" in refused.stderr
    assert "hunter2" not in refused.stderr


def test_digest_needs_a_real_configuration(tmp_path: Path) -> None:
    _assert_config_exit(_bot(["digest"], cwd=tmp_path, env=unconfigured_env()), "SLACK_BOT_TOKEN")
