"""The two single-use secrets of a link: the `/pscale login` ticket and the OAuth `state`.

Both are 256 random bits handed out once; the database keeps only their SHA-256, so a copy of the file cannot be
used to finish someone's link. Both are consumed by one `DELETE … RETURNING`: of two concurrent uses (a replay, two
tabs, two processes) exactly one finds the row.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from bot.storage import Clock, Database

LINK_TTL_SECONDS = 600  # tickets and states both live 10 minutes
# Expired rows are kept this long, so a late callback is told "expired" rather than "invalid", then pruned.
KEEP_EXPIRED_SECONDS = 86_400
_RANDOM_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(_RANDOM_BYTES)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def looks_like_secret(value: str) -> bool:
    """Cheap shape check before any lookup: what `new_secret` makes (43 url-safe characters)."""
    return len(value) == 43 and all(char.isalnum() or char in "-_" for char in value)


@dataclass(frozen=True)
class SlackUser:
    team_id: str
    user_id: str


@dataclass(frozen=True)
class StateFailure:
    reason: Literal["invalid_browser", "invalid_state", "expired_state"]


class LinkTickets:
    """`/pscale login` → a ticket in the start URL, bound to the Slack user who asked."""

    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def issue(self, team_id: str, user_id: str) -> str:
        ticket = new_secret()
        now = int(self._clock())
        await self._database.execute("DELETE FROM link_tickets WHERE expires_at < ?", (now - KEEP_EXPIRED_SECONDS,))
        await self._database.execute(
            "INSERT INTO link_tickets (ticket_hash, team_id, user_id, expires_at) VALUES (?, ?, ?, ?)",
            (digest(ticket), team_id, user_id, now + LINK_TTL_SECONDS),
        )
        return ticket

    async def holder(self, ticket: str) -> SlackUser | None:
        """For the GET page: whom this ticket was issued to, while it still works (reading does not use it up)."""
        if not looks_like_secret(ticket):
            return None
        row = await self._database.fetchone(
            "SELECT team_id, user_id FROM link_tickets WHERE ticket_hash = ? AND expires_at > ?",
            (digest(ticket), int(self._clock())),
        )
        return None if row is None else SlackUser(team_id=row[0], user_id=row[1])

    async def consume(self, ticket: str) -> SlackUser | None:
        """The Slack user the ticket was issued to, once; None if unknown, used or expired."""
        if not looks_like_secret(ticket):
            return None
        row = await self._database.fetchone(
            "DELETE FROM link_tickets WHERE ticket_hash = ? RETURNING team_id, user_id, expires_at",
            (digest(ticket),),
        )
        if row is None or row[2] <= self._clock():
            return None
        return SlackUser(team_id=row[0], user_id=row[1])


class OAuthStates:
    """The OAuth `state`: bound to the Slack user and to the browser (a hash of its cookie), used once."""

    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def create(self, user: SlackUser, *, browser_secret: str) -> str:
        state = new_secret()
        now = int(self._clock())
        await self._database.execute("DELETE FROM oauth_states WHERE expires_at < ?", (now - KEEP_EXPIRED_SECONDS,))
        await self._database.execute(
            "INSERT INTO oauth_states (state_hash, browser_hash, team_id, user_id, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (digest(state), digest(browser_secret), user.team_id, user.user_id, now + LINK_TTL_SECONDS),
        )
        return state

    async def consume(self, state: str, *, browser_secret: str) -> SlackUser | StateFailure:
        """Use the state up, if this browser is the one it was made for.

        The browser is part of the DELETE's condition, so a state presented by another browser is not used up
        (whoever leaked it cannot spoil the real user's link); that case is told apart afterwards, read-only.
        """
        if not looks_like_secret(state):
            return StateFailure("invalid_state")
        state_hash = digest(state)
        row = await self._database.fetchone(
            "DELETE FROM oauth_states WHERE state_hash = ? AND browser_hash = ? RETURNING team_id, user_id, expires_at",
            (state_hash, digest(browser_secret)),
        )
        if row is None:
            elsewhere = await self._database.fetchone("SELECT 1 FROM oauth_states WHERE state_hash = ?", (state_hash,))
            return StateFailure("invalid_browser" if elsewhere else "invalid_state")
        if row[2] <= self._clock():
            return StateFailure("expired_state")
        return SlackUser(team_id=row[0], user_id=row[1])
