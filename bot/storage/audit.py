"""The audit log: every change made to PlanetScale from Slack, with who asked and how it ended."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.storage.database import Clock, Database


@dataclass(frozen=True)
class AuditEntry:
    at: int
    team_id: str
    user_id: str
    organization: str | None
    database: str | None
    action: str
    target: str
    result: str
    detail: str


class AuditLog:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def record(
        self,
        *,
        team_id: str,
        user_id: str,
        organization: str | None,
        database: str | None,
        action: str,
        target: str,
        result: str,
        detail: str = "",
    ) -> None:
        await self._database.execute(
            "INSERT INTO audit_log (at, team_id, user_id, organization, database, action, target, result, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (int(self._clock()), team_id, user_id, organization, database, action, target, result, detail),
        )

    async def recent(
        self, *, team_id: str, organization: str | None, database: str, limit: int = 20
    ) -> list[AuditEntry]:
        """Newest first. `organization` None matches entries recorded without one."""
        rows = await self._database.fetchall(
            "SELECT at, team_id, user_id, organization, database, action, target, result, detail FROM audit_log"
            " WHERE team_id = ? AND database = ? AND organization IS NOT DISTINCT FROM ? ORDER BY at DESC, id DESC"
            " LIMIT ?",
            (team_id, database, organization, limit),
        )
        return [AuditEntry(*row) for row in rows]
