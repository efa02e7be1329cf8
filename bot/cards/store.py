"""Cards and their clicks in SQLite. Read-compare-write happens in one `BEGIN IMMEDIATE` transaction.

A card keeps the deploy request as it last read it (`snapshot`, a `Snapshot` as JSON) and the Slack user whose
grant reads it (`reader_id`); a card nobody's grant can read any more has none, and is stale. Rows written before
the snapshot was a domain record hold the renderer's view of it, whose extra keys (`card_id`, `version`, `stale`)
are ignored on reading: the columns hold the first two, and `reader_id` says the third. Their approvers were names
(`approved_by`), read now as people whose PlanetScale ids are unknown.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass

from pydantic import TypeAdapter

from bot.deploy_requests.summary import Snapshot
from bot.storage import Database
from bot.storage.database import Clock

_SNAPSHOT = TypeAdapter(Snapshot)


@dataclass(frozen=True)
class CardRecord:
    card_id: str
    team_id: str
    channel_id: str
    ts: str | None
    unfurl_url: str | None
    org: str
    database: str
    number: int
    reader_id: str | None
    version: int
    refreshed_at: int
    snapshot: Snapshot

    @property
    def stale(self) -> bool:
        """Nobody's grant is left to read the deploy request with: the card can no longer be kept current."""
        return self.reader_id is None


def fingerprint(snapshot: Snapshot, *, stale: bool) -> str:
    """The part of a card that, when it changes, makes older clicks stale. Progress and ETA are cosmetic."""
    return json.dumps(
        [
            snapshot.state, snapshot.deployment_state, snapshot.approved,
            [person.id or person.name for person in snapshot.approvers], not stale,
        ]
    )


_SELECT = (
    "SELECT card_id, team_id, channel_id, ts, unfurl_url, org, database, number, reader_id, version, refreshed_at,"
    " snapshot FROM cards"
)


def _record(row: tuple[object, ...]) -> CardRecord:
    *head, snapshot = row
    card_id, team_id, channel_id, ts, unfurl_url, org, database, number, reader_id, version, refreshed_at = head
    return CardRecord(
        card_id=str(card_id),
        team_id=str(team_id),
        channel_id=str(channel_id),
        ts=str(ts) if ts is not None else None,
        unfurl_url=str(unfurl_url) if unfurl_url is not None else None,
        org=str(org),
        database=str(database),
        number=int(str(number)),
        reader_id=str(reader_id) if reader_id is not None else None,
        version=int(str(version)),
        refreshed_at=int(str(refreshed_at)),
        snapshot=_read_snapshot(str(snapshot)),
    )


def _read_snapshot(stored: str) -> Snapshot:
    """A stored snapshot; one stored before approvers were people keeps its approvers' names (`approved_by`)."""
    fields = json.loads(stored)
    if "approved_by" in fields and "approvers" not in fields:
        fields["approvers"] = [{"id": None, "name": name} for name in fields.pop("approved_by")]
    return _SNAPSHOT.validate_python(fields)


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a click: won, or who got there first."""

    won: bool
    by_user_id: str | None = None


class Cards:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    def add(
        self, snapshot: Snapshot, *, team_id: str, channel_id: str, org: str, reader_id: str,
        refresh_in: float | None, unfurl: tuple[str, str] | None = None,
    ) -> CardRecord:
        """A new card, at version 1; `unfurl` is (message ts, url) when it is drawn as the unfurl of a link in that
        message."""
        card_id = secrets.token_hex(8)
        ts, unfurl_url = unfurl if unfurl is not None else (None, None)
        now = int(self._clock())
        with self._database.session() as sql:
            sql.execute(
                "INSERT INTO cards (card_id, team_id, channel_id, ts, unfurl_url, org, database, number, reader_id,"
                " version, next_refresh_at, refreshed_at, snapshot, fingerprint, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                (card_id, team_id, channel_id, ts, unfurl_url, org, snapshot.database, snapshot.number, reader_id,
                 self._due(refresh_in), now, _SNAPSHOT.dump_json(snapshot).decode(),
                 fingerprint(snapshot, stale=False), now),
            )
        found = self.get(card_id)
        if found is None:  # pragma: no cover - the row was inserted a line above
            raise RuntimeError("card vanished after insert")
        return found

    def set_ts(self, card_id: str, ts: str) -> None:
        with self._database.session() as sql:
            sql.execute("UPDATE cards SET ts = ? WHERE card_id = ?", (ts, card_id))

    def forget_message(self, channel_id: str, ts: str) -> None:
        """The card's message was deleted (or its channel archived): nothing is left to keep current."""
        with self._database.session() as sql:
            sql.execute("DELETE FROM cards WHERE channel_id = ? AND ts = ?", (channel_id, ts))

    def remove(self, card_id: str) -> None:
        with self._database.session() as sql:
            sql.execute("DELETE FROM cards WHERE card_id = ?", (card_id,))

    def get(self, card_id: str) -> CardRecord | None:
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(_SELECT + " WHERE card_id = ?", (card_id,))
            row = cursor.fetchone()
        return _record(row) if row else None

    def of_request(self, *, team_id: str, org: str, database: str, number: int) -> list[CardRecord]:
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                _SELECT + " WHERE team_id = ? AND org = ? AND database = ? AND number = ?"
                " AND ts IS NOT NULL ORDER BY created_at",
                (team_id, org, database, number),
            )
            rows = cursor.fetchall()
        return [_record(row) for row in rows]

    def _due(self, refresh_in: float | None) -> int | None:
        return None if refresh_in is None else int(self._clock() + refresh_in)

    def due_for_refresh(self, *, limit: int) -> list[CardRecord]:
        """Posted cards whose time to be read again has come, that somebody can read, longest overdue first."""
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                _SELECT + " WHERE next_refresh_at <= ? AND reader_id IS NOT NULL AND ts IS NOT NULL"
                " ORDER BY next_refresh_at LIMIT ?",
                (int(self._clock()), limit),
            )
            rows = cursor.fetchall()
        return [_record(row) for row in rows]

    def save(
        self, card: CardRecord, snapshot: Snapshot, *, refresh_in: float | None, reader_id: str | None
    ) -> tuple[int, bool]:
        """Store what the card shows now, read with `reader_id`'s grant (None: nobody's is left). Returns (version,
        changed): the version goes up when the state shown (its fingerprint) differs from what was stored, so
        clicks on the older drawing are recognised."""
        now = int(self._clock())
        shown = fingerprint(snapshot, stale=reader_id is None)
        with self._database.transaction() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "SELECT version, fingerprint FROM cards WHERE card_id = ?", (card.card_id,)
            )
            row = cursor.fetchone()
            if row is None:
                return card.version, False
            version, stored = int(row[0]), str(row[1])
            changed = stored != shown
            if changed:
                version += 1
            sql.execute(
                "UPDATE cards SET version = ?, fingerprint = ?, next_refresh_at = ?, snapshot = ?, reader_id = ?,"
                " refreshed_at = ? WHERE card_id = ?",
                (version, shown, self._due(refresh_in), _SNAPSHOT.dump_json(snapshot).decode(), reader_id, now,
                 card.card_id),
            )
        return version, changed

    def postpone(self, card_id: str, *, seconds: float) -> None:
        """Reading failed: leave the card as drawn and try again later, not on every reconciler pass."""
        with self._database.session() as sql:
            sql.execute(
                "UPDATE cards SET next_refresh_at = ? WHERE card_id = ? AND next_refresh_at IS NOT NULL",
                (self._due(seconds), card_id),
            )

    # --- clicks --------------------------------------------------------------------------------------------------

    def claim_click(self, key: str, *, card_id: str, action: str, user_id: str) -> Claim:
        """One INSERT decides the winner, across tasks and processes."""
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "INSERT INTO card_clicks (click_key, card_id, action, user_id, claimed_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (click_key) DO NOTHING",
                (key, card_id, action, user_id, int(self._clock())),
            )
            if cursor.rowcount == 1:
                return Claim(won=True)
            holder = sql.execute("SELECT user_id FROM card_clicks WHERE click_key = ?", (key,)).fetchone()
        return Claim(won=False, by_user_id=str(holder[0]) if holder else None)

    def release_approvals(self, key_prefix: str) -> int:
        """PlanetScale dismissed approvals (the branch's schema changed): their approvers may approve again."""
        with self._database.session() as sql:
            # substr, not LIKE: `_` and `%` in a database name would be wildcards there.
            cursor: sqlite3.Cursor = sql.execute(
                "DELETE FROM card_clicks WHERE substr(click_key, 1, ?) = ?", (len(key_prefix), key_prefix)
            )
        return cursor.rowcount

    def release_click(self, key: str) -> None:
        """PlanetScale refused, so nothing happened: the click may be tried again (after the cause is fixed)."""
        with self._database.session() as sql:
            sql.execute("DELETE FROM card_clicks WHERE click_key = ?", (key,))
