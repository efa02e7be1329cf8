"""`pscale-bot check` against the stand-ins, through the real entry point, and the start-up scope warning."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import DEFAULT_SLACK_API_TIMEOUT
from bot.sandbox.planetscale import World
from bot.sandbox.planetscale.oauth import AutoApprove, PlanetScaleOAuthServer
from bot.sandbox.slack import SlackStandIn
from bot.slack.app import SlackIdentity, build_web_client
from bot.storage import open_database
from tests.support.servers import serve_asgi
from tests.support.slack import MANIFEST_SCOPES, serve_slack_standin

CLIENT_ID, CLIENT_SECRET = "check-client", "check-client-secret"


@pytest.fixture
def oauth_url() -> Iterator[str]:
    world = World()
    user = world.add_user("alice", email="alice@example.com")
    server = PlanetScaleOAuthServer(
        world, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        redirect_uri="http://127.0.0.1:9/oauth/planetscale/callback", consent=AutoApprove(user.id),
    )
    with serve_asgi(server.app) as base_url:
        yield f"{base_url}/oauth"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    # Outside the suite's audit: these tests take scopes away on purpose.
    with serve_slack_standin(audited=False) as standin:
        yield standin


def check(slack: SlackStandIn, oauth_url: str, tmp_path: Path, **changes: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SLACK_", "PLANETSCALE_", "BOT_"))}
    env.update({
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "check-signing-secret",
        "SLACK_API_URL": slack.api_url,
        "PLANETSCALE_CLIENT_ID": CLIENT_ID,
        "PLANETSCALE_CLIENT_SECRET": CLIENT_SECRET,
        "PLANETSCALE_AUTHORIZE_URL": f"{oauth_url}/authorize",
        "PLANETSCALE_TOKEN_URL": f"{oauth_url}/token",
        "PLANETSCALE_REVOKE_URL": f"{oauth_url}/revoke",
        "BOT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        **changes,
    })
    return subprocess.run(
        [sys.executable, "-m", "bot", "check"], check=False, cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )


async def test_check_passes_with_the_manifests_scopes(
    slack: SlackStandIn, oauth_url: str, tmp_path: Path, database_url: str
) -> None:
    database = await open_database(database_url)
    await database.migrate()
    await database.close()
    result = await asyncio.to_thread(check, slack, oauth_url, tmp_path, BOT_DATABASE=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("ok ") for line in lines), lines
    assert {f"ok slack scope {scope}: held" for scope in MANIFEST_SCOPES} <= set(lines)
    assert any(line.startswith("ok database:") and "migrated" in line for line in lines)
    assert any(line.startswith("ok planetscale oauth:") for line in lines)


def test_check_fails_naming_chat_write_when_the_token_lacks_it(
    slack: SlackStandIn, oauth_url: str, tmp_path: Path
) -> None:
    slack.scopes = MANIFEST_SCOPES - {"chat:write"}
    result = check(slack, oauth_url, tmp_path)
    assert result.returncode == 1
    [failed] = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed.startswith("FAIL slack scope chat:write: ")
    assert "deploy-request cards" in failed
    assert "reinstall the app" in failed
    assert "Traceback" not in result.stderr


def test_check_says_what_to_fix_for_a_bad_token_bad_client_and_missing_secret(
    slack: SlackStandIn, oauth_url: str, tmp_path: Path
) -> None:
    result = check(slack, oauth_url, tmp_path, SLACK_BOT_TOKEN="xoxb-not-the-token",
                   PLANETSCALE_CLIENT_SECRET="wrong", SLACK_SIGNING_SECRET="")
    assert result.returncode == 1
    failed = {line.split(":")[0]: line for line in result.stdout.splitlines() if line.startswith("FAIL")}
    assert set(failed) == {"FAIL settings", "FAIL slack token", "FAIL planetscale oauth"}
    assert "SLACK_SIGNING_SECRET" in failed["FAIL settings"]
    assert "invalid_auth" in failed["FAIL slack token"]
    assert "invalid_client" in failed["FAIL planetscale oauth"]
    assert "wrong" not in result.stdout + result.stderr


def _identity(slack: SlackStandIn) -> SlackIdentity:
    client = build_web_client(token=slack.bot_token, base_url=slack.api_url, timeout=DEFAULT_SLACK_API_TIMEOUT)
    return SlackIdentity(client)


async def test_start_up_warns_once_per_missing_scope_naming_what_breaks(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack.scopes = MANIFEST_SCOPES - {"chat:write.public", "users:read"}
    with caplog.at_level(logging.WARNING, logger="bot.slack.app"):
        await _identity(slack).load()
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "`chat:write.public`" in warnings[0]
    assert "public channels the bot has not been invited to" in warnings[0]
    assert "`users:read`" in warnings[1]
    assert "local time" in warnings[1]


async def test_start_up_is_quiet_with_the_manifests_scopes(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    identity = _identity(slack)
    with caplog.at_level(logging.WARNING, logger="bot.slack.app"):
        await identity.load()
    assert identity.bot_user_id == slack.bot_user_id
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
