"""Webhook secrets are sealed, readable after `keys rotate` with only the new key, and fail closed otherwise."""

from __future__ import annotations

from cryptography.fernet import Fernet

from bot.linking.crypto import SecretBox
from bot.storage import Database
from bot.watch.store import Watch, Watches


async def test_rotation_reseals_under_the_new_key(db: Database) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await Watches(db, SecretBox([old])).add(
        Watch("hook1", "T1", "C1", "acme", "shop", "wh1"), secret="s3cr3t", created_by="U1"
    )
    assert await Watches(db, SecretBox([new])).by_hook("hook1") is None  # fails closed, never plaintext
    assert await Watches(db, SecretBox([new, old])).rotate_keys() == (1, 0)
    found = await Watches(db, SecretBox([new])).by_hook("hook1")
    assert found is not None
    assert found[1] == "s3cr3t"
    assert "s3cr3t" not in str(await db.fetchall("SELECT * FROM watches"))
