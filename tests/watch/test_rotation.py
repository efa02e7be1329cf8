"""Webhook secrets are sealed, readable after `keys rotate` with only the new key, and fail closed otherwise."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from bot.linking.crypto import SecretBox
from bot.storage import Database
from bot.watch.store import Watch, Watches


def test_rotation_reseals_under_the_new_key(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "bot.sqlite3")
    database.migrate()
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    Watches(database, SecretBox([old])).add(Watch("hook1", "T1", "C1", "acme", "shop", "wh1"), secret="s3cr3t",
                                            created_by="U1")
    assert Watches(database, SecretBox([new])).by_hook("hook1") is None  # fails closed, never plaintext
    assert Watches(database, SecretBox([new, old])).rotate_keys() == (1, 0)
    found = Watches(database, SecretBox([new])).by_hook("hook1")
    assert found is not None
    assert found[1] == "s3cr3t"
    database.close()
    assert b"s3cr3t" not in (tmp_path / "bot.sqlite3").read_bytes()
