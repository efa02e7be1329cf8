"""`pscale-bot keys rotate`: every grant re-encrypted under the first key, run as the operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from bot.linking import Grant, GrantStore, SecretBox, TokenSet
from bot.linking.grants import NewGrant
from bot.storage import Database

REPO = Path(__file__).resolve().parents[2]


def _store(path: Path, key: str, user_id: str) -> None:
    database = Database.open(path)
    database.migrate()
    GrantStore(database, SecretBox([key])).save(
        NewGrant(
            team_id="T1",
            user_id=user_id,
            planetscale_user_id="ps1",
            planetscale_user_name="Alice",
            tokens=TokenSet(access_token=f"access-{user_id}", refresh_token=f"refresh-{user_id}", expires_in=60,
                            scopes=("user:read_user",)),
        )
    )
    database.close()


def _rotate(path: Path, keys: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SLACK_", "PLANETSCALE_", "BOT_"))}
    env["BOT_DATABASE"] = str(path)
    env["PYTHONPATH"] = str(REPO)
    if keys is not None:
        env["BOT_ENCRYPTION_KEYS"] = keys
    return subprocess.run(
        [sys.executable, "-m", "bot", "keys", "rotate"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )


def test_keys_rotate_re_encrypts_every_grant_under_the_first_key(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _store(path, old, "U1")
    _store(path, old, "U2")

    done = _rotate(path, f"{new},{old}", tmp_path)

    assert done.returncode == 0, done.stderr
    assert "re-encrypted 2 PlanetScale grant(s)" in done.stdout
    database = Database.open(path)
    only_new = GrantStore(database, SecretBox([new]))
    grant = only_new.load("T1", "U1")
    assert isinstance(grant, Grant)
    assert (grant.access_token, grant.refresh_token) == ("access-U1", "refresh-U1")
    assert not isinstance(GrantStore(database, SecretBox([old])).load("T1", "U2"), Grant)
    database.close()


def test_keys_rotate_names_what_it_could_not_open_and_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    lost, kept = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _store(path, lost, "U1")
    _store(path, kept, "U2")

    partial = _rotate(path, kept, tmp_path)
    assert partial.returncode == 1
    assert "re-encrypted 1 PlanetScale grant(s)" in partial.stdout
    assert "1 grant(s) and 0 webhook secret(s) opened with none of the keys" in partial.stderr

    missing = _rotate(path, None, tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("pscale-bot: BOT_ENCRYPTION_KEYS")
    assert "Traceback" not in missing.stderr
