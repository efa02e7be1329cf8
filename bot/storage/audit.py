"""The audit log: every change made to PlanetScale from Slack, with who asked and how it ended."""

from __future__ import annotations

import sqlite3
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

    def record(
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
        with self._database.session() as sql:
            sql.execute(
                "INSERT INTO audit_log (at, team_id, user_id, organization, database, action, target, result, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (int(self._clock()), team_id, user_id, organization, database, action, target, result, detail),
            )

    def recent(self, *, team_id: str, organization: str | None, database: str, limit: int = 20) -> list[AuditEntry]:
        """Newest first. `organization` None matches entries recorded without one."""
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "SELECT at, team_id, user_id, organization, database, action, target, result, detail FROM audit_log"
                " WHERE team_id = ? AND database = ? AND organization IS ? ORDER BY at DESC, id DESC LIMIT ?",
                (team_id, database, organization, limit),
            )
            rows = cursor.fetchall()
        return [AuditEntry(*row) for row in rows]
