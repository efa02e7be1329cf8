"""Access tokens for PlanetScale calls: refreshed before they expire and after a 401, once per user at a time.

PlanetScale may rotate refresh tokens (undocumented; the stand-in does): two refreshes racing with the same refresh
token leave one of them holding a dead token. So a refresh runs under an in-process lock per user (20 concurrent
commands → one refresh) and a lease row in SQLite (the `digest` cron process and the bot → one refresh), and its
result is written by compare-and-swap. After `invalid_grant` the stored grant is read again before the grant is
declared dead: the refresh token may have been rotated by another process a moment ago.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Literal

from bot.linking.grants import Grant, GrantStore, TokenSet
from bot.linking.oauth import InvalidGrant, PlanetScaleOAuth, TokenEndpointFailure
from bot.planetscale import LinkRequired, TokenUnavailable
from bot.storage import Clock

log = logging.getLogger(__name__)

# Refresh this long before the stored expiry, so a token does not die between being handed out and being used.
LEEWAY_SECONDS = 60
# How long one process may hold a user's refresh lease; longer than a token call can take (10 s timeout).
LEASE_SECONDS = 30
# Another process holds the lease: SQLite offers no cross-process notification, so look again at this interval.
LEASE_POLL_SECONDS = 0.05

RefreshReason = Literal["expiring", "rejected"]


class TokenRefresher:
    """Hands out access tokens for any linked user; one instance per process."""

    def __init__(
        self,
        *,
        grants: GrantStore,
        oauth: PlanetScaleOAuth,
        on_dead: Callable[[Grant], Awaitable[None]],
        clock: Clock = time.time,
    ) -> None:
        self._grants = grants
        self._oauth = oauth
        self._on_dead = on_dead
        self._clock = clock
        self._process = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()

    def provider(self, team_id: str, user_id: str, *, read_ahead: bool = False) -> UserTokens:
        return UserTokens(self, team_id=team_id, user_id=user_id, read_ahead=read_ahead)

    async def access_token(self, team_id: str, user_id: str) -> str:
        grant = await self._grants.active_grant(team_id, user_id)
        if grant is None:
            raise LinkRequired()
        if not grant.expires_within(LEEWAY_SECONDS, now=self._clock()):
            return grant.access_token
        return await self._refresh(team_id, user_id, stale=grant.access_token, reason="expiring")

    async def after_unauthorized(self, team_id: str, user_id: str, rejected_token: str) -> str:
        return await self._refresh(team_id, user_id, stale=rejected_token, reason="rejected")

    async def _refresh(self, team_id: str, user_id: str, *, stale: str, reason: RefreshReason) -> str:
        key = (team_id, user_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            give_up_at = time.monotonic() + LEASE_SECONDS
            while True:
                grant = await self._current(team_id, user_id)
                if self._replaced(grant, stale=stale):
                    return grant.access_token
                holder = f"{self._process}-{secrets.token_hex(4)}"
                if await self._grants.acquire_lease(team_id, user_id, holder=holder, seconds=LEASE_SECONDS):
                    try:
                        return await self._refresh_holding_lease(team_id, user_id, stale=stale, reason=reason,
                                                                 holder=holder)
                    finally:
                        await self._grants.release_lease(team_id, user_id, holder=holder)
                if time.monotonic() > give_up_at:
                    raise TokenUnavailable(
                        "Another part of the bot is refreshing your PlanetScale access and has not finished. "
                        "Try again in a moment."
                    )
                await asyncio.sleep(LEASE_POLL_SECONDS)

    async def _current(self, team_id: str, user_id: str) -> Grant:
        grant = await self._grants.active_grant(team_id, user_id)
        if grant is None:
            raise LinkRequired()
        return grant

    def _replaced(self, grant: Grant, *, stale: str) -> bool:
        """Someone else refreshed since `stale` was handed out, and their token is good for a while."""
        return grant.access_token != stale and not grant.expires_within(LEEWAY_SECONDS, now=self._clock())

    async def _refresh_holding_lease(
        self, team_id: str, user_id: str, *, stale: str, reason: RefreshReason, holder: str
    ) -> str:
        # Re-read under the lease: the previous holder may have finished between our read and our acquire.
        grant = await self._current(team_id, user_id)
        if self._replaced(grant, stale=stale):
            return grant.access_token
        if grant.refresh_token is None:
            await self._declare_dead(grant, why="PlanetScale issued no refresh token")
            raise LinkRequired()
        try:
            tokens = await self._oauth.refresh(grant.refresh_token)
        except InvalidGrant:
            return await self._after_invalid_grant(grant)
        except TokenEndpointFailure as failure:
            log.warning("refreshing the PlanetScale token of Slack user %s/%s failed: %s", team_id, user_id, failure)
            still_valid = grant.expires_at is None or grant.expires_at > self._clock()
            if reason == "expiring" and still_valid:
                return grant.access_token  # early refresh failed, but the current token still works for now
            raise TokenUnavailable(
                "PlanetScale could not refresh your access just now. Try again in a moment."
            ) from None
        if await self._grants.replace_tokens(grant, tokens, lease_holder=holder):
            log.info("refreshed the PlanetScale token of Slack user %s/%s", team_id, user_id)
            return tokens.access_token
        return await self._lost_write(grant, tokens)

    async def _after_invalid_grant(self, grant: Grant) -> str:
        current = await self._grants.active_grant(grant.team_id, grant.user_id)
        if current is not None and current.refresh_token != grant.refresh_token:
            return current.access_token  # rotated by someone else after all (their lease had run out)
        if current is not None:
            await self._declare_dead(current, why="PlanetScale answered invalid_grant to the refresh")
        raise LinkRequired()

    async def _lost_write(self, grant: Grant, tokens: TokenSet) -> str:
        """The row changed while we refreshed (logout, a new link, or our lease ran out): ours are not wanted."""
        await self.revoke_quietly(tokens.access_token, tokens.refresh_token)
        current = await self._grants.active_grant(grant.team_id, grant.user_id)
        if current is None:
            raise LinkRequired()
        return current.access_token

    async def _declare_dead(self, grant: Grant, *, why: str) -> None:
        if await self._grants.mark_dead(grant):
            log.warning("the PlanetScale grant of Slack user %s/%s is dead: %s", grant.team_id, grant.user_id, why)
            await self._on_dead(grant)

    async def revoke_quietly(self, access_token: str | None, refresh_token: str | None) -> bool:
        """Revoke both tokens (revoking one leaves the other alive); True when every revocation succeeded."""
        calls = [
            self._oauth.revoke(token, kind=kind)
            for token, kind in ((access_token, "access_token"), (refresh_token, "refresh_token"))
            if token
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        for failure in failures:
            if not isinstance(failure, TokenEndpointFailure):
                raise failure
            log.warning("could not revoke a PlanetScale token: %s", failure)
        return not failures


class UserTokens:
    """The `TokenProvider` (bot.planetscale) for one Slack user. With `read_ahead`, the first token is being read
    (from storage, decrypted) from the moment it is made, while the command does its own reads before its first
    PlanetScale call; made in a running event loop."""

    def __init__(self, refresher: TokenRefresher, *, team_id: str, user_id: str, read_ahead: bool = False) -> None:
        self._refresher = refresher
        self.team_id = team_id
        self.user_id = user_id
        self._ahead: asyncio.Task[str] | None = None
        if read_ahead:
            self._ahead = asyncio.ensure_future(self._refresher.access_token(team_id, user_id))
            # A command that ends before any call never awaits it: its failure is nobody's news, and not logged.
            self._ahead.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def access_token(self) -> str:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            return await ahead
        return await self._refresher.access_token(self.team_id, self.user_id)

    async def refresh_after_unauthorized(self, rejected_token: str) -> str:
        return await self._refresher.after_unauthorized(self.team_id, self.user_id, rejected_token)
