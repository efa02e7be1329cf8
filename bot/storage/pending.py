"""Destructive commands parked until the person who asked confirms them (or not)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from bot.storage.database import Clock, Database

CONFIRMATION_SECONDS = 10 * 60


@dataclass(frozen=True)
class PendingCommand:
    id: str
    team_id: str
    user_id: str
    channel_id: str
    text: str


class PendingCommands:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def park(self, *, team_id: str, user_id: str, channel_id: str, text: str) -> str:
        pending_id = secrets.token_urlsafe(16)
        await self._database.execute(
            "INSERT INTO pending_commands (id, team_id, user_id, channel_id, text, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (pending_id, team_id, user_id, channel_id, text, int(self._clock())),
        )
        return pending_id

    async def peek(self, pending_id: str) -> PendingCommand | None:
        row = await self._database.fetchone(
            "SELECT id, team_id, user_id, channel_id, text FROM pending_commands WHERE id = ? AND created_at > ?",
            (pending_id, int(self._clock()) - CONFIRMATION_SECONDS),
        )
        return PendingCommand(*row) if row else None

    async def take(self, pending_id: str, *, team_id: str, user_id: str) -> PendingCommand | None:
        """Consume it, in one statement, only for the person who asked and only while fresh: a double click or a
        second person (on any replica) gets None."""
        row = await self._database.fetchone(
            "DELETE FROM pending_commands WHERE id = ? AND team_id = ? AND user_id = ? AND created_at > ?"
            " RETURNING id, team_id, user_id, channel_id, text",
            (pending_id, team_id, user_id, int(self._clock()) - CONFIRMATION_SECONDS),
        )
        return PendingCommand(*row) if row else None
