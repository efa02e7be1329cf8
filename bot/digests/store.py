"""Digest subscriptions and the claims that make each scheduled slot post once."""

from __future__ import annotations

import time as clock_time
from dataclasses import dataclass
from datetime import date, time

from bot.digests.schedule import Timing
from bot.storage import Database
from bot.storage.database import Clock, Row

ABANDONED_CLAIM_SECONDS = 600


@dataclass(frozen=True)
class Subscription:
    team_id: str
    channel_id: str
    org: str
    database: str
    owner_id: str
    timing: Timing


@dataclass(frozen=True)
class SlotClaim:
    """This runner's claim on a subscription's slot. `claimed_at` tells it from a later claim of the same slot by
    another runner that took it over once it counted as abandoned: giving back or marking posted touches only it."""

    subscription: Subscription
    slot: date
    claimed_at: int


_SELECT = "SELECT team_id, channel_id, org, database, owner_id, at_minute, tz, daily FROM digest_subscriptions"


def _row(row: Row) -> Subscription:
    team, channel, org, database, owner, minute, tz, daily = row
    return Subscription(team, channel, org, database, owner, Timing(time(minute // 60, minute % 60), tz, bool(daily)))


class Subscriptions:
    def __init__(self, database: Database, *, clock: Clock = clock_time.time) -> None:
        self._database = database
        self._clock = clock

    async def subscribe(self, subscription: Subscription) -> bool:
        """Create or change it; True when it is new."""
        timing = subscription.timing
        async with self._database.transaction() as tx:
            existed = await tx.fetchone(
                "SELECT 1 FROM digest_subscriptions WHERE team_id = ? AND channel_id = ? AND org = ? AND database = ?"  # noqa: S608 - constant SQL
                + self._database.for_update,
                (subscription.team_id, subscription.channel_id, subscription.org, subscription.database),
            ) is not None
            await tx.execute(
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

    async def get(self, *, team_id: str, channel_id: str, org: str, database: str) -> Subscription | None:
        """The channel's subscription to `database`, if it has one."""
        row = await self._database.fetchone(
            _SELECT + " WHERE team_id = ? AND channel_id = ? AND org = ? AND database = ?",
            (team_id, channel_id, org, database),
        )
        return None if row is None else _row(row)

    async def unsubscribe(self, *, team_id: str, channel_id: str, org: str, database: str) -> bool:
        removed = await self._database.execute(
            "DELETE FROM digest_subscriptions WHERE team_id = ? AND channel_id = ? AND org = ? AND database = ?",
            (team_id, channel_id, org, database),
        )
        return removed == 1

    async def in_channel(self, team_id: str, channel_id: str) -> list[Subscription]:
        rows = await self._database.fetchall(
            _SELECT + " WHERE team_id = ? AND channel_id = ? ORDER BY database", (team_id, channel_id)
        )
        return [_row(row) for row in rows]

    async def owned_by(self, team_id: str, user_id: str) -> list[Subscription]:
        """The subscriptions `user_id` made (or last changed): their digests are read with that person's grant."""
        rows = await self._database.fetchall(
            _SELECT + " WHERE team_id = ? AND owner_id = ? ORDER BY database, channel_id", (team_id, user_id)
        )
        return [_row(row) for row in rows]

    async def all(self) -> list[Subscription]:
        rows = await self._database.fetchall(_SELECT + " ORDER BY team_id, channel_id, org, database")
        return [_row(row) for row in rows]

    async def claim_slot(self, subscription: Subscription, slot: date) -> SlotClaim | None:
        """A claim for exactly one caller per subscription and slot, across processes; None for the others. A claim
        never marked posted and older than `ABANDONED_CLAIM_SECONDS` belonged to a process that died between claim
        and post: it may be taken again (a lost digest is worse than the rare duplicate from a post slower than
        that). Two claims of one slot are thus that far apart, so `claimed_at` tells them apart."""
        now = int(self._clock())
        won = await self._database.execute(
            "INSERT INTO digest_slots (team_id, channel_id, org, database, slot, claimed_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, channel_id, org, database, slot)"
            " DO UPDATE SET claimed_at = excluded.claimed_at"
            " WHERE digest_slots.posted_at IS NULL AND digest_slots.claimed_at < excluded.claimed_at - ?",
            (subscription.team_id, subscription.channel_id, subscription.org, subscription.database,
             slot.isoformat(), now, ABANDONED_CLAIM_SECONDS),
        )
        return SlotClaim(subscription, slot, now) if won == 1 else None

    async def mark_posted(self, claim: SlotClaim) -> None:
        """Posted: whichever runner's claim the slot holds now, nobody may post it again."""
        subscription = claim.subscription
        await self._database.execute(
            "UPDATE digest_slots SET posted_at = ? WHERE team_id = ? AND channel_id = ? AND org = ?"
            " AND database = ? AND slot = ?",
            (int(self._clock()), subscription.team_id, subscription.channel_id, subscription.org,
             subscription.database, claim.slot.isoformat()),
        )

    async def release_slot(self, claim: SlotClaim) -> None:
        """Posting failed after the claim: give the slot back so the next run (or a restart) tries again. Only this
        claim: if another runner took the slot over meanwhile, its claim stands (it may be posting right now)."""
        subscription = claim.subscription
        await self._database.execute(
            "DELETE FROM digest_slots WHERE team_id = ? AND channel_id = ? AND org = ? AND database = ?"
            " AND slot = ? AND claimed_at = ? AND posted_at IS NULL",
            (subscription.team_id, subscription.channel_id, subscription.org, subscription.database,
             claim.slot.isoformat(), claim.claimed_at),
        )
