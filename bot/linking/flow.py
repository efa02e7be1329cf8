"""The browser part of a link: start (ticket → state → authorize URL) and callback (checked in a fixed order).

The callback's checks follow bolt's OAuth flow, each failure with a named reason
(docs/interface.md §3): provider `error` →
the browser's cookie → the state, used up atomically → `code` → the code exchange → `GET /user` → the identity
check → store. Nothing is stored unless every step passed, and a state can only ever reach the exchange once.

The identity check (`BOT_LINK_MATCH_EMAIL`, on by default) closes a forwarded link: Bob runs `/pscale login` and gets
Alice to open his link and consent; without the check, Bob would then act with Alice's PlanetScale rights. With it,
the link completes only when the PlanetScale account's email is the Slack user's profile email.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.linking.grants import Grant, GrantStore, NewGrant, TokenSet
from bot.linking.oauth import InvalidGrant, PlanetScaleOAuth, TokenEndpointFailure
from bot.linking.tickets import LinkTickets, OAuthStates, SlackUser, StateFailure, looks_like_secret
from bot.linking.tokens import TokenRefresher
from bot.planetscale import PlanetScaleClient, PlanetScaleError
from bot.planetscale.models import User
from bot.ports import SlackDirectory, SlackPerson, UserNotifier
from bot.storage import UserPreferences

log = logging.getLogger(__name__)

FailureReason = Literal[
    "access_denied", "invalid_browser", "invalid_state", "expired_state", "missing_code", "exchange_failed",
    "identity_mismatch",
]
# Others saw PlanetScale reject a token in the first moment after issuing it, and succeed 2 s later.
FRESH_TOKEN_RETRY_SECONDS = 2.0
NOTIFY_TIMEOUT_SECONDS = 5.0
_PROVIDER_ERROR = re.compile(r"[a-z_]{1,64}")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Linked:
    slack: SlackUser
    planetscale_name: str


@dataclass(frozen=True)
class LinkFailed:
    reason: FailureReason
    # PlanetScale's own `error` code when it refused (e.g. `invalid_scope`), already checked to be a plain word.
    provider_error: str | None = None


class LinkFlow:
    def __init__(
        self,
        *,
        tickets: LinkTickets,
        states: OAuthStates,
        grants: GrantStore,
        preferences: UserPreferences,
        oauth: PlanetScaleOAuth,
        refresher: TokenRefresher,
        planetscale: PlanetScaleClient,
        notifier: UserNotifier,
        directory: SlackDirectory,
        match_email: bool = True,
        fresh_token_retry_seconds: float = FRESH_TOKEN_RETRY_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._tickets = tickets
        self._states = states
        self._grants = grants
        self._preferences = preferences
        self._oauth = oauth
        self._refresher = refresher
        self._planetscale = planetscale
        self._notifier = notifier
        self._directory = directory
        self._match_email = match_email
        self._retry_delay = fresh_token_retry_seconds
        self._sleep = sleep

    @property
    def authorize_url(self) -> str:
        return self._oauth.app.authorize_url

    async def ticket_holder(self, ticket: str) -> tuple[SlackUser, SlackPerson | None] | None:
        """Whom a still-valid ticket is for (with how Slack names them, if it says), so the start page can tell
        whoever opened the link whose account it would link; None when the ticket does not work."""
        holder = await self._tickets.holder(ticket)
        if holder is None:
            return None
        return holder, await self._directory.person(team_id=holder.team_id, user_id=holder.user_id)

    async def begin(self, ticket: str, *, browser_secret: str) -> str | None:
        """Use the ticket up and return where to send the browser; None when the ticket is unknown, used or expired."""
        user = await self._tickets.consume(ticket)
        if user is None:
            return None
        return self._oauth.authorization_url(await self._states.create(user, browser_secret=browser_secret))

    async def complete(self, query: Mapping[str, str], *, browser_secret: str | None) -> Linked | LinkFailed:
        error = query.get("error")
        if error is not None:
            return LinkFailed("access_denied", provider_error=error if _PROVIDER_ERROR.fullmatch(error) else None)
        if browser_secret is None or not looks_like_secret(browser_secret):
            return LinkFailed("invalid_browser")
        slack = await self._states.consume(query.get("state", ""), browser_secret=browser_secret)
        if isinstance(slack, StateFailure):
            return LinkFailed(slack.reason)
        code = query.get("code")
        if not code:
            return LinkFailed("missing_code")
        try:
            tokens = await self._oauth.exchange(code)
        except (InvalidGrant, TokenEndpointFailure) as failure:
            log.warning("link of Slack user %s/%s: the code exchange failed: %s", slack.team_id, slack.user_id, failure)
            return LinkFailed("exchange_failed")
        try:
            user = await self._planetscale.as_user(
                _FreshToken(tokens.access_token, delay=self._retry_delay, sleep=self._sleep),
                user_key=(slack.team_id, slack.user_id),
            ).users.current()
        except PlanetScaleError as failure:
            log.warning("link of Slack user %s/%s: GET /user failed: %s", slack.team_id, slack.user_id, failure)
            await self._refresher.revoke_quietly(tokens.access_token, tokens.refresh_token)
            return LinkFailed("exchange_failed")
        if self._match_email and not await self._same_person(slack, user):
            await self._refresher.revoke_quietly(tokens.access_token, tokens.refresh_token)
            return LinkFailed("identity_mismatch")
        return await self._store(slack, user, tokens)

    async def _same_person(self, slack: SlackUser, user: User) -> bool:
        """Is the PlanetScale account's email the Slack user's profile email? No when either is unknown: a link
        that cannot be shown to be the asker's own is not made."""
        person = await self._directory.person(team_id=slack.team_id, user_id=slack.user_id)
        slack_email = person.email if person is not None else None
        if slack_email is not None and user.email and slack_email.casefold() == user.email.casefold():
            return True
        log.warning(
            "link of Slack user %s/%s refused: PlanetScale user %s's email is not their Slack profile email%s",
            slack.team_id, slack.user_id, user.id, "" if slack_email else " (Slack showed none)",
        )
        return False

    async def _store(self, slack: SlackUser, user: User, tokens: TokenSet) -> Linked:
        name = user.display_name or user.name or user.email or user.id
        previous = await self._grants.save(
            NewGrant(
                team_id=slack.team_id,
                user_id=slack.user_id,
                planetscale_user_id=user.id,
                planetscale_user_name=name,
                tokens=tokens,
            )
        )
        log.info("Slack user %s/%s linked PlanetScale user %s", slack.team_id, slack.user_id, user.id)
        if isinstance(previous, Grant):  # linking again: the earlier tokens are of no further use to anyone
            await self._refresher.revoke_quietly(previous.access_token, previous.refresh_token)
        if not (isinstance(previous, Grant) and previous.planetscale_user_id == user.id):
            # A default organization (`org switch`, or the only one, remembered) belongs to the account it was
            # chosen with: after a logout, or with another account, commands would go to an organization the new
            # account may not see. It is looked up again at the next command.
            await self._preferences.clear_default_org(slack.team_id, slack.user_id)
        await self._tell(slack, name)
        return Linked(slack=slack, planetscale_name=name)

    async def _tell(self, slack: SlackUser, name: str) -> None:
        # The browser already shows success; a slow or failing Slack must not turn that page into an error.
        try:
            async with asyncio.timeout(NOTIFY_TIMEOUT_SECONDS):
                await self._notifier.tell_linked(team_id=slack.team_id, user_id=slack.user_id, planetscale_name=name)
        except Exception as failure:  # any transport failure: logged, the link stands
            log.warning("could not tell Slack user %s/%s about their link: %r", slack.team_id, slack.user_id, failure)


class _FreshToken:
    """The just-issued token, for `GET /user`. The client resends once after a 401 through
    `refresh_after_unauthorized`; here that means: wait a moment, then try the same token again."""

    def __init__(self, token: str, *, delay: float, sleep: Sleep) -> None:
        self._token = token
        self._delay = delay
        self._sleep = sleep

    async def access_token(self) -> str:
        return self._token

    async def refresh_after_unauthorized(self, rejected_token: str) -> str:
        await self._sleep(self._delay)
        return self._token
