"""Secrets at rest: MultiFernet over `BOT_ENCRYPTION_KEYS` (newest key first).

Fails closed: a value that no configured key opens raises `UndecryptableSecret`, and callers treat the row as "not
linked". Nothing ever falls back to reading a column as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class UndecryptableSecret(Exception):
    """No configured key opens this value (the keys changed, or the row was tampered with)."""


class SecretBox:
    """Encrypts with the first key; decrypts with any; `rotate` re-encrypts under the first."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as error:
            raise UndecryptableSecret("no configured encryption key opens this value") from error

    def rotate(self, ciphertext: str) -> str:
        """The same secret encrypted under the newest key (Fernet keeps the original timestamp)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as error:
            raise UndecryptableSecret("no configured encryption key opens this value") from error
