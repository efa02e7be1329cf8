"""Digest subscriptions and the claims that make each scheduled slot post once."""

from __future__ import annotations

import sqlite3
import time as clock_time
from dataclasses import dataclass
from datetime import date, time

from bot.digests.schedule import Timing
from bot.storage import Database
from bot.storage.database import Clock

ABANDONED_CLAIM_SECONDS = 600


@dataclass(frozen=True)
class Subscription:
    team_id: str
    channel_id: str
    org: str
    database: str
    owner_id: str
    timing: Timing


_SELECT = "SELECT team_id, channel_id, org, database, owner_id, at_minute, tz, daily FROM digest_subscriptions"


def _row(row: tuple[str, str, str, str, str, int, str, int]) -> Subscription:
    team, channel, org, database, owner, minute, tz, daily = row
    return Subscription(team, channel, org, database, owner, Timing(time(minute // 60, minute % 60), tz, bool(daily)))


class Subscriptions:
    def __init__(self, database: Database, *, clock: Clock = clock_time.time) -> None:
        self._database = database
        self._clock = clock

    def subscribe(self, subscription: Subscription) -> bool:
        """Create or change it; True when it is new."""
        timing = subscription.timing
        with self._database.transaction() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "SELECT 1 FROM digest_subscriptions WHERE team_id = ? AND channel_id = ? AND org = ? AND database = ?",
                (subscription.team_id, subscription.channel_id, subscription.org, subscription.database),
            )
            existed = cursor.fetchone() is not None
            sql.execute(
                "INSERT INTO digest_subscriptions (team_id, channel_id, org, database, owner_id, at_minute, tz, daily,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (team_id, channel_id, org, database) DO UPDATE SET owner_id = excluded.owner_id,"
                " at_minute = excluded.at_minute, tz = excluded.tz, daily = excluded.daily",
                (
                    subscription.team_id, subscription.channel_id, subscription.org, subscription.database,
                    subscription.owner_id, timing.at.hour * 60 + timing.at.minute, timing.tz, int(timing.daily),
                    int(self._clock()),
                ),
            )
        return not existed

    def unsubscribe(self, *, team_id: str, channel_id: str, org: str, database: str) -> bool:
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "DELETE FROM digest_subscriptions WHERE team_id = ? AND channel_id = ? AND org = ? AND database = ?",
                (team_id, channel_id, org, database),
            )
        return cursor.rowcount == 1

    def in_channel(self, team_id: str, channel_id: str) -> list[Subscription]:
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                _SELECT + " WHERE team_id = ? AND channel_id = ? ORDER BY database",
                (team_id, channel_id),
            )
            rows = cursor.fetchall()
        return [_row(row) for row in rows]

    def all(self) -> list[Subscription]:
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(_SELECT)
            rows = cursor.fetchall()
        return [_row(row) for row in rows]

    def claim_slot(self, subscription: Subscription, slot: date) -> bool:
        """True for exactly one caller per subscription and slot, across processes. A claim never marked posted
        and older than `ABANDONED_CLAIM_SECONDS` belonged to a process that died between claim and post: it may be
        taken again (a lost digest is worse than the rare duplicate from a post slower than that)."""
        with self._database.session() as sql:
            cursor: sqlite3.Cursor = sql.execute(
                "INSERT INTO digest_slots (team_id, channel_id, org, database, slot, claimed_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET claimed_at = excluded.claimed_at"
                " WHERE posted_at IS NULL AND claimed_at < excluded.claimed_at - ?",
                (subscription.team_id, subscription.channel_id, subscription.org, subscription.database,
                 slot.isoformat(), int(self._clock()), ABANDONED_CLAIM_SECONDS),
            )
        return cursor.rowcount == 1

    def mark_posted(self, subscription: Subscription, slot: date) -> None:
        with self._database.session() as sql:
            sql.execute(
                "UPDATE digest_slots SET posted_at = ? WHERE team_id = ? AND channel_id = ? AND org = ?"
                " AND database = ? AND slot = ?",
                (int(self._clock()), subscription.team_id, subscription.channel_id, subscription.org,
                 subscription.database, slot.isoformat()),
            )

    def release_slot(self, subscription: Subscription, slot: date) -> None:
        """Posting failed after the claim: give the slot back so the next run (or a restart) tries again."""
        with self._database.session() as sql:
            sql.execute(
                "DELETE FROM digest_slots WHERE team_id = ? AND channel_id = ? AND org = ? AND database = ?"
                " AND slot = ? AND posted_at IS NULL",
                (subscription.team_id, subscription.channel_id, subscription.org, subscription.database,
                 slot.isoformat()),
            )
