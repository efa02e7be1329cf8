"""`pscale-bot keys rotate`: every grant re-encrypted under the first key, run as the operator runs it, on SQLite and
on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from bot.linking import Grant, GrantStore, SecretBox, TokenSet
from bot.linking.grants import NewGrant
from bot.storage import open_database

REPO = Path(__file__).resolve().parents[2]


async def _store(location: str, key: str, user_id: str) -> None:
    database = await open_database(location)
    await database.migrate()
    await GrantStore(database, SecretBox([key])).save(
        NewGrant(
            team_id="T1",
            user_id=user_id,
            planetscale_user_id="ps1",
            planetscale_user_name="Alice",
            tokens=TokenSet(access_token=f"access-{user_id}", refresh_token=f"refresh-{user_id}", expires_in=60,
                            scopes=("user:read_user",)),
        )
    )
    await database.close()


def _rotate(location: str, keys: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SLACK_", "PLANETSCALE_", "BOT_"))}
    env["BOT_DATABASE"] = location
    env["PYTHONPATH"] = str(REPO)
    if keys is not None:
        env["BOT_ENCRYPTION_KEYS"] = keys
    return subprocess.run(
        [sys.executable, "-m", "bot", "keys", "rotate"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )


async def test_keys_rotate_re_encrypts_every_grant_under_the_first_key(database_url: str, tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await _store(database_url, old, "U1")
    await _store(database_url, old, "U2")

    done = await asyncio.to_thread(_rotate, database_url, f"{new},{old}", tmp_path)

    assert done.returncode == 0, done.stderr
    assert "re-encrypted 2 PlanetScale grant(s)" in done.stdout
    database = await open_database(database_url)
    only_new = GrantStore(database, SecretBox([new]))
    grant = await only_new.load("T1", "U1")
    assert isinstance(grant, Grant)
    assert (grant.access_token, grant.refresh_token) == ("access-U1", "refresh-U1")
    assert not isinstance(await GrantStore(database, SecretBox([old])).load("T1", "U2"), Grant)
    await database.close()


async def test_keys_rotate_names_what_it_could_not_open_and_what_is_missing(database_url: str, tmp_path: Path) -> None:
    path = database_url
    lost, kept = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await _store(path, lost, "U1")
    await _store(path, kept, "U2")

    partial = await asyncio.to_thread(_rotate, path, kept, tmp_path)
    assert partial.returncode == 1
    assert "re-encrypted 1 PlanetScale grant(s)" in partial.stdout
    assert "1 grant(s) and 0 webhook secret(s) opened with none of the keys" in partial.stderr

    missing = await asyncio.to_thread(_rotate, path, None, tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("pscale-bot: BOT_ENCRYPTION_KEYS")
    assert "Traceback" not in missing.stderr
