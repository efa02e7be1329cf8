"""The `planetscale_grants` table: each Slack user's PlanetScale tokens, encrypted, plus the refresh lease.

Every read decrypts; a row no configured key opens is reported as `Unreadable` (and logged without any secret), so
callers treat that user as not linked. Token writes are compare-and-swap on `version`, so a refresh that lost a race
(another process refreshed meanwhile, or the user logged out) cannot overwrite newer state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.linking.crypto import SecretBox, UndecryptableSecret
from bot.storage import Clock, Database

log = logging.getLogger(__name__)

GrantStatus = Literal["active", "dead"]


@dataclass(frozen=True)
class TokenSet:
    """What PlanetScale's token endpoint answered. `expires_in` is seconds; None when it did not say."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int | None
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """One Slack user's decrypted grant. The tokens never appear in `repr` (so never in a log line or traceback)."""

    team_id: str
    user_id: str
    planetscale_user_id: str
    planetscale_user_name: str
    scopes: tuple[str, ...]
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: int | None
    created_at: int
    version: int
    status: GrantStatus
    relink_told: bool

    @property
    def active(self) -> bool:
        return self.status == "active"

    def expires_within(self, seconds: float, *, now: float) -> bool:
        return self.expires_at is not None and self.expires_at - now <= seconds


@dataclass(frozen=True)
class Unreadable:
    """A row exists but no configured key decrypts it: to the rest of the bot, this user is not linked."""

    team_id: str
    user_id: str


@dataclass(frozen=True)
class RotationReport:
    rotated: int
    unreadable: int


@dataclass(frozen=True)
class NewGrant:
    team_id: str
    user_id: str
    planetscale_user_id: str
    planetscale_user_name: str
    tokens: TokenSet


_COLUMNS = (
    "team_id, user_id, planetscale_user_id, planetscale_user_name, scopes, access_token, refresh_token, expires_at, "
    "created_at, version, status, relink_told"
)


class GrantStore:
    def __init__(self, database: Database, box: SecretBox, *, clock: Clock = time.time) -> None:
        self._database = database
        self._box = box
        self._clock = clock

    # ----- reads ------------------------------------------------------------------------------------------------

    async def load(self, team_id: str, user_id: str) -> Grant | Unreadable | None:
        row = await self._database.fetchone(
            f"SELECT {_COLUMNS} FROM planetscale_grants WHERE team_id = ? AND user_id = ?",  # noqa: S608
            (team_id, user_id),
        )
        return None if row is None else self._decrypt(row)

    async def active_grant(self, team_id: str, user_id: str) -> Grant | None:
        """The grant if it exists, decrypts and is not dead; None otherwise (that user is not linked)."""
        grant = await self.load(team_id, user_id)
        return grant if isinstance(grant, Grant) and grant.active else None

    async def slack_users(self, team_id: str, planetscale_user_ids: Collection[str]) -> dict[str, str]:
        """PlanetScale user id → the Slack user of the workspace linked as them (the most recent link, if several)."""
        wanted = sorted(set(planetscale_user_ids))
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        rows = await self._database.fetchall(
            "SELECT planetscale_user_id, user_id FROM planetscale_grants"  # noqa: S608
            f" WHERE team_id = ? AND status = 'active' AND planetscale_user_id IN ({marks})"
            " ORDER BY created_at",
            (team_id, *wanted),
        )
        return {str(planetscale_id): str(slack_id) for planetscale_id, slack_id in rows}

    # ----- writes -----------------------------------------------------------------------------------------------

    async def save(self, new: NewGrant) -> Grant | Unreadable | None:
        """Store a freshly linked grant, replacing any earlier one; returns the one replaced (its tokens to revoke)."""
        tokens = new.tokens
        now = int(self._clock())
        async with self._database.transaction() as tx:
            previous = await tx.fetchone(
                f"SELECT {_COLUMNS} FROM planetscale_grants WHERE team_id = ? AND user_id = ?"  # noqa: S608
                + self._database.for_update,
                (new.team_id, new.user_id),
            )
            await tx.execute(
                "INSERT INTO planetscale_grants (team_id, user_id, planetscale_user_id, planetscale_user_name, scopes,"
                " access_token, refresh_token, expires_at, created_at, refreshed_at, version, status, relink_told)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, 'active', 0)"
                " ON CONFLICT (team_id, user_id) DO UPDATE SET planetscale_user_id = excluded.planetscale_user_id,"
                " planetscale_user_name = excluded.planetscale_user_name, scopes = excluded.scopes,"
                " access_token = excluded.access_token, refresh_token = excluded.refresh_token,"
                " expires_at = excluded.expires_at, created_at = excluded.created_at, refreshed_at = NULL,"
                " version = planetscale_grants.version + 1, status = 'active', relink_told = 0,"
                " lease_holder = NULL, lease_until = NULL",
                (
                    new.team_id,
                    new.user_id,
                    new.planetscale_user_id,
                    new.planetscale_user_name,
                    " ".join(tokens.scopes),
                    self._box.seal(tokens.access_token),
                    None if tokens.refresh_token is None else self._box.seal(tokens.refresh_token),
                    _expiry(tokens, now),
                    now,
                ),
            )
        return None if previous is None else self._decrypt(previous)

    async def replace_tokens(self, grant: Grant, tokens: TokenSet, *, lease_holder: str) -> bool:
        """Compare-and-swap: write refreshed tokens only if the row is still the version `grant` was read at and
        this holder still owns the lease. Releases the lease in the same statement."""
        now = int(self._clock())
        refresh = tokens.refresh_token if tokens.refresh_token is not None else grant.refresh_token
        changed = await self._database.execute(
                "UPDATE planetscale_grants SET access_token = ?, refresh_token = ?, expires_at = ?, scopes = ?,"
                " refreshed_at = ?, version = version + 1, lease_holder = NULL, lease_until = NULL"
                " WHERE team_id = ? AND user_id = ? AND version = ? AND status = 'active' AND lease_holder = ?",
                (
                    self._box.seal(tokens.access_token),
                    None if refresh is None else self._box.seal(refresh),
                    _expiry(tokens, now),
                    " ".join(tokens.scopes) if tokens.scopes else " ".join(grant.scopes),
                    now,
                    grant.team_id,
                    grant.user_id,
                    grant.version,
                    lease_holder,
                ),
            )
        return changed == 1

    async def mark_dead(self, grant: Grant) -> bool:
        """Declare the grant dead if it is still the version read; True when this call made it so."""
        changed = await self._database.execute(
            "UPDATE planetscale_grants SET status = 'dead', version = version + 1, lease_holder = NULL,"
            " lease_until = NULL WHERE team_id = ? AND user_id = ? AND version = ? AND status = 'active'",
            (grant.team_id, grant.user_id, grant.version),
        )
        return changed == 1

    async def claim_relink_notice(self, team_id: str, user_id: str) -> bool:
        """True exactly once per dead grant: whoever gets True tells the user to link again."""
        changed = await self._database.execute(
            "UPDATE planetscale_grants SET relink_told = 1"
            " WHERE team_id = ? AND user_id = ? AND status = 'dead' AND relink_told = 0",
            (team_id, user_id),
        )
        return changed == 1

    async def delete(self, team_id: str, user_id: str) -> Grant | Unreadable | None:
        """Remove the grant in one statement; returns what was removed (its tokens are still to be revoked)."""
        row = await self._database.fetchone(
            f"DELETE FROM planetscale_grants WHERE team_id = ? AND user_id = ? RETURNING {_COLUMNS}",  # noqa: S608
            (team_id, user_id),
        )
        return None if row is None else self._decrypt(row)

    async def delete_users(
        self, team_id: str, user_ids: Collection[str] | Literal["all"]
    ) -> list[Grant | Unreadable]:
        """Remove the grants of these users of a workspace (or of all its users); returns what was removed."""
        if isinstance(user_ids, str) and user_ids != "all":
            raise TypeError("user_ids must be a collection of user ids or 'all', not one id")
        if user_ids == "all":
            rows = await self._database.fetchall(
                f"DELETE FROM planetscale_grants WHERE team_id = ? RETURNING {_COLUMNS}",  # noqa: S608
                (team_id,),
            )
        else:
            rows = [
                row
                for user_id in sorted(set(user_ids))
                for row in await self._database.fetchall(
                    f"DELETE FROM planetscale_grants WHERE team_id = ? AND user_id = ?"  # noqa: S608
                    f" RETURNING {_COLUMNS}",
                    (team_id, user_id),
                )
            ]
        return [self._decrypt(row) for row in rows]

    # ----- the refresh lease (one process at a time per user) --------------------------------------------------

    async def acquire_lease(self, team_id: str, user_id: str, *, holder: str, seconds: int) -> bool:
        """Take the user's refresh lease if nobody holds it or the holder's time ran out (a crashed process)."""
        now = int(self._clock())
        changed = await self._database.execute(
            "UPDATE planetscale_grants SET lease_holder = ?, lease_until = ?"
            " WHERE team_id = ? AND user_id = ? AND status = 'active'"
            " AND (lease_holder IS NULL OR lease_until < ?)",
            (holder, now + seconds, team_id, user_id, now),
        )
        return changed == 1

    async def release_lease(self, team_id: str, user_id: str, *, holder: str) -> None:
        await self._database.execute(
            "UPDATE planetscale_grants SET lease_holder = NULL, lease_until = NULL"
            " WHERE team_id = ? AND user_id = ? AND lease_holder = ?",
            (team_id, user_id, holder),
        )

    # ----- key rotation -----------------------------------------------------------------------------------------

    async def rotate_keys(self) -> RotationReport:
        """Re-encrypt every row under the newest key (`pscale-bot keys rotate`).

        One short transaction per row, so the bot keeps serving meanwhile; each re-reads and locks its row, so a
        refresh committed a moment earlier is re-encrypted, not overwritten by an older copy.
        """
        keys = await self._database.fetchall(
            "SELECT team_id, user_id FROM planetscale_grants ORDER BY team_id, user_id"
        )
        rotated = unreadable = 0
        for team_id, user_id in keys:
            async with self._database.transaction() as tx:
                row = await tx.fetchone(
                    "SELECT access_token, refresh_token FROM planetscale_grants WHERE team_id = ? AND user_id = ?"  # noqa: S608 - constant SQL
                    + self._database.for_update,
                    (team_id, user_id),
                )
                if row is None:  # deleted since the list was read
                    continue
                access, refresh = row
                try:
                    new_access = self._box.rotate(access)
                    new_refresh = None if refresh is None else self._box.rotate(refresh)
                except UndecryptableSecret:
                    log.warning("grant of Slack user %s/%s: no configured key opens it; left as is", team_id, user_id)
                    unreadable += 1
                    continue
                await tx.execute(
                    "UPDATE planetscale_grants SET access_token = ?, refresh_token = ?"
                    " WHERE team_id = ? AND user_id = ?",
                    (new_access, new_refresh, team_id, user_id),
                )
                rotated += 1
        return RotationReport(rotated=rotated, unreadable=unreadable)

    # ----- helpers ----------------------------------------------------------------------------------------------

    def _decrypt(self, row: tuple[Any, ...]) -> Grant | Unreadable:
        (team_id, user_id, ps_user_id, ps_user_name, scopes, access, refresh, expires_at, created_at, version, status,
         relink_told) = row
        try:
            access_token = self._box.open(access)
            refresh_token = None if refresh is None else self._box.open(refresh)
        except UndecryptableSecret:
            log.warning(
                "grant of Slack user %s/%s cannot be decrypted with the configured BOT_ENCRYPTION_KEYS; "
                "treating the user as not linked",
                team_id,
                user_id,
            )
            return Unreadable(team_id=team_id, user_id=user_id)
        return Grant(
            team_id=team_id,
            user_id=user_id,
            planetscale_user_id=ps_user_id,
            planetscale_user_name=ps_user_name,
            scopes=tuple(scopes.split()),
            access_token=access_token,
            refresh_token=refresh_token,
            expires_at=expires_at,
            created_at=created_at,
            version=version,
            status=status,
            relink_told=bool(relink_told),
        )


def _expiry(tokens: TokenSet, now: int) -> int | None:
    return None if tokens.expires_in is None else now + tokens.expires_in
