"""Defaults people set once so they can type less: a user's PlanetScale org and a channel's database."""

from __future__ import annotations

import time

from bot.storage.database import Clock, Database


class UserPreferences:
    """`/pscale org switch ORG`: the org a user's commands use when they give no `--org`."""

    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def default_org(self, team_id: str, user_id: str) -> str | None:
        row = await self._database.fetchone(
            "SELECT default_org FROM user_preferences WHERE team_id = ? AND user_id = ?", (team_id, user_id)
        )
        return row[0] if row else None

    async def set_default_org(self, *, team_id: str, user_id: str, org: str) -> None:
        await self._database.execute(
            "INSERT INTO user_preferences (team_id, user_id, default_org, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (team_id, user_id) DO UPDATE "
            "SET default_org = excluded.default_org, updated_at = excluded.updated_at",
            (team_id, user_id, org, int(self._clock())),
        )

    async def clear_default_org(self, team_id: str, user_id: str) -> bool:
        """Forget the user's default org; False if there was none."""
        changed = await self._database.execute(
            "UPDATE user_preferences SET default_org = NULL, updated_at = ? "
            "WHERE team_id = ? AND user_id = ? AND default_org IS NOT NULL",
            (int(self._clock()), team_id, user_id),
        )
        return changed == 1


class ChannelPreferences:
    """`/pscale channel db DB`: the database used in a channel when a command lacks one positional argument."""

    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def default_database(self, team_id: str, channel_id: str) -> str | None:
        row = await self._database.fetchone(
            "SELECT default_database FROM channel_preferences WHERE team_id = ? AND channel_id = ?",
            (team_id, channel_id),
        )
        return row[0] if row else None

    async def set_default_database(self, *, team_id: str, channel_id: str, database_name: str) -> None:
        await self._database.execute(
            "INSERT INTO channel_preferences (team_id, channel_id, default_database, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (team_id, channel_id) DO UPDATE "
            "SET default_database = excluded.default_database, updated_at = excluded.updated_at",
            (team_id, channel_id, database_name, int(self._clock())),
        )

    async def clear_default_database(self, team_id: str, channel_id: str) -> bool:
        """Forget the channel's default database; False if there was none."""
        changed = await self._database.execute(
            "UPDATE channel_preferences SET default_database = NULL, updated_at = ? "
            "WHERE team_id = ? AND channel_id = ? AND default_database IS NOT NULL",
            (int(self._clock()), team_id, channel_id),
        )
        return changed == 1
