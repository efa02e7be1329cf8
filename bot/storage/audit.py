"""The audit log: every change made to PlanetScale from Slack, with who asked and how it ended.

A change is written down before it is made (`begin`: result `started`) and its outcome after (`finish`), so a
process killed between the two leaves a `started` entry: the change may or may not have happened, and the log says
that somebody asked for it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TypedDict, Unpack

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


class Change(TypedDict):
    """Who asked for which change: what an entry says besides when and how it ended."""

    team_id: str
    user_id: str
    organization: str | None
    database: str | None
    action: str
    target: str


# The result of a change that was begun and has no outcome yet, or never will (its process died mid-way).
STARTED = "started"
# The result of a change whose work was cancelled mid-way (the reply deadline, a shutdown).
CUT_OFF = "cut off before it finished: it may or may not have happened"


class AuditLog:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def record(self, *, result: str, detail: str = "", **change: Unpack[Change]) -> None:
        """An entry written in one go, for what ended before anything was begun."""
        await self._insert(change, result, detail)

    async def begin(self, **change: Unpack[Change]) -> int:
        """The entry of a change about to be made, with result `started`; its id is what `finish` takes."""
        return await self._insert(change, STARTED, "")

    async def _insert(self, change: Change, result: str, detail: str) -> int:
        row = await self._database.fetchone(
            "INSERT INTO audit_log (at, team_id, user_id, organization, database, action, target, result, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (int(self._clock()), change["team_id"], change["user_id"], change["organization"], change["database"],
             change["action"], change["target"], result, detail),
        )
        if row is None:  # pragma: no cover - RETURNING of a plain INSERT always has its row
            raise RuntimeError("audit entry vanished after insert")
        return int(row[0])

    async def finish(self, entry_id: int, *, result: str, organization: str | None = None) -> None:
        """How the change begun as `entry_id` ended; `organization` fills in one worked out on the way."""
        await self._database.execute(
            "UPDATE audit_log SET result = ?, organization = COALESCE(organization, ?) WHERE id = ?",
            (result, organization, entry_id),
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
