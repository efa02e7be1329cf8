"""Each person's direct-message settings and the messages already sent, on either storage engine.

`mine` is on unless its row turns it off; `reviews DB` is off unless its row turns it on. A message is recorded by
one INSERT … ON CONFLICT DO NOTHING before it is sent (docs/architecture.md, "Exactly once"), keyed by (person,
deploy request, event), so the same event reaching the bot twice, or two replicas, or after a restart, sends one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.storage import Database
from bot.storage.database import Clock

MINE = "mine"
REVIEWS = "reviews"


@dataclass(frozen=True)
class ReviewSubscription:
    team_id: str
    user_id: str
    org: str
    database: str


@dataclass(frozen=True)
class Settings:
    """What a person hears: `mine` on or off, and the (org, database) pairs whose new deploy requests they hear of."""

    mine: bool
    reviews: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SentKey:
    """One direct message: to whom, about which deploy request, for which event."""

    team_id: str
    user_id: str
    org: str
    database: str
    number: int
    event: str


class NotificationSettings:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def _set(self, *, team_id: str, user_id: str, topic: str, org: str, database: str, on: bool) -> None:
        await self._database.execute(
            "INSERT INTO notification_settings (team_id, user_id, topic, org, database, enabled, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (team_id, user_id, topic, org, database) DO UPDATE"
            " SET enabled = excluded.enabled, updated_at = excluded.updated_at"
            " WHERE notification_settings.enabled <> excluded.enabled",
            (team_id, user_id, topic, org, database, int(on), int(self._clock())),
        )

    async def set_mine(self, *, team_id: str, user_id: str, on: bool) -> None:
        await self._set(team_id=team_id, user_id=user_id, topic=MINE, org="", database="", on=on)

    async def set_reviews(self, *, team_id: str, user_id: str, org: str, database: str, on: bool) -> None:
        await self._set(team_id=team_id, user_id=user_id, topic=REVIEWS, org=org, database=database, on=on)

    async def mine_on(self, team_id: str, user_id: str) -> bool:
        row = await self._database.fetchone(
            "SELECT enabled FROM notification_settings WHERE team_id = ? AND user_id = ? AND topic = ?"
            " AND org = '' AND database = ''",
            (team_id, user_id, MINE),
        )
        return row is None or bool(row[0])

    async def of_user(self, team_id: str, user_id: str) -> Settings:
        rows = await self._database.fetchall(
            "SELECT org, database FROM notification_settings WHERE team_id = ? AND user_id = ? AND topic = ?"
            " AND enabled = 1 ORDER BY org, database",
            (team_id, user_id, REVIEWS),
        )
        reviews = tuple((str(org), str(database)) for org, database in rows)
        return Settings(mine=await self.mine_on(team_id, user_id), reviews=reviews)

    async def reviewers(self, *, team_id: str, org: str, database: str) -> list[str]:
        """The Slack users who follow the reviews of this database."""
        rows = await self._database.fetchall(
            "SELECT user_id FROM notification_settings WHERE team_id = ? AND topic = ? AND org = ?"
            " AND database = ? AND enabled = 1 ORDER BY user_id",
            (team_id, REVIEWS, org, database),
        )
        return [str(user_id) for (user_id,) in rows]

    async def review_subscriptions(self) -> list[ReviewSubscription]:
        """Every `reviews DB` that is on, for the pass that looks for new deploy requests where nothing is watched."""
        rows = await self._database.fetchall(
            "SELECT team_id, user_id, org, database FROM notification_settings"
            " WHERE topic = ? AND enabled = 1 ORDER BY team_id, org, database, user_id",
            (REVIEWS,),
        )
        return [
            ReviewSubscription(team_id=str(team_id), user_id=str(user_id), org=str(org), database=str(database))
            for team_id, user_id, org, database in rows
        ]


class SentNotifications:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def claim(self, key: SentKey) -> bool:
        """True for the first caller with this key, in any task, process or replica, before or after a restart."""
        changed = await self._database.execute(
            "INSERT INTO notifications_sent (team_id, user_id, org, database, number, event, sent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (team_id, user_id, org, database, number, event) DO NOTHING",
            (key.team_id, key.user_id, key.org, key.database, key.number, key.event, int(self._clock())),
        )
        return changed == 1

    async def release(self, key: SentKey) -> None:
        """Slack did not take the message: the next sighting of the event may send it."""
        await self._database.execute(
            "DELETE FROM notifications_sent WHERE team_id = ? AND user_id = ? AND org = ? AND database = ?"
            " AND number = ? AND event = ?",
            (key.team_id, key.user_id, key.org, key.database, key.number, key.event),
        )
