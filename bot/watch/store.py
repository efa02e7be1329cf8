"""Watches and their webhook secrets (sealed: the database never holds one in plain text)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.linking.crypto import SecretBox, UndecryptableSecret
from bot.storage import Database
from bot.storage.database import Clock


@dataclass(frozen=True)
class Watch:
    hook_id: str
    team_id: str
    channel_id: str
    org: str
    database: str
    planetscale_webhook_id: str


_SELECT = "SELECT hook_id, team_id, channel_id, org, database, planetscale_webhook_id FROM watches"


class Watches:
    def __init__(self, database: Database, box: SecretBox, *, clock: Clock = time.time) -> None:
        self._database = database
        self._box = box
        self._clock = clock

    async def add(self, watch: Watch, *, secret: str, created_by: str) -> None:
        await self._database.execute(
            "INSERT INTO watches (hook_id, team_id, channel_id, org, database, planetscale_webhook_id,"
            " sealed_secret, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (watch.hook_id, watch.team_id, watch.channel_id, watch.org, watch.database,
             watch.planetscale_webhook_id, self._box.seal(secret), created_by, int(self._clock())),
        )

    async def of_database(self, *, team_id: str, org: str, database: str) -> Watch | None:
        row = await self._database.fetchone(
            _SELECT + " WHERE team_id = ? AND org = ? AND database = ?", (team_id, org, database)
        )
        return Watch(*row) if row else None

    async def created_by(self, team_id: str, user_id: str) -> list[Watch]:
        rows = await self._database.fetchall(
            _SELECT + " WHERE team_id = ? AND created_by = ? ORDER BY database, org", (team_id, user_id)
        )
        return [Watch(*row) for row in rows]

    async def by_hook(self, hook_id: str) -> tuple[Watch, str] | None:
        """The watch and its secret; None when unknown or when no key opens the secret (fail closed)."""
        row = await self._database.fetchone(
            "SELECT hook_id, team_id, channel_id, org, database, planetscale_webhook_id, sealed_secret"
            " FROM watches WHERE hook_id = ?",
            (hook_id,),
        )
        if row is None:
            return None
        try:
            secret = self._box.open(row[6])
        except UndecryptableSecret:
            return None
        return Watch(*row[:6]), secret

    async def remove(self, hook_id: str) -> bool:
        """True for the one caller that removed it (of two unwatching at once, the other says it was not watched)."""
        removed = await self._database.execute("DELETE FROM watches WHERE hook_id = ?", (hook_id,))
        return removed == 1

    async def rotate_keys(self) -> tuple[int, int]:
        """Re-seal every webhook secret under the first key; returns (rotated, unreadable)."""
        rotated = unreadable = 0
        async with self._database.transaction() as tx:
            rows = await tx.fetchall("SELECT hook_id, sealed_secret FROM watches" + self._database.for_update)  # noqa: S608 - constant SQL
            for hook_id, sealed in rows:
                try:
                    resealed = self._box.rotate(sealed)
                except UndecryptableSecret:
                    unreadable += 1
                    continue
                await tx.execute("UPDATE watches SET sealed_secret = ? WHERE hook_id = ?", (resealed, hook_id))
                rotated += 1
        return rotated, unreadable
