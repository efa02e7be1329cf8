"""Account linking as the rest of the bot sees it: one object, built once per process by the runtime.

    linking = AccountLinking.build(database=db, keys=settings.encryption_keys(), app=oauth_app(settings),
                                   planetscale=client, notifier=notifier, directory=directory,
                                   public_url=settings.public_url(), match_email=settings.bot_link_match_email)
    await linking.has_active_grant(team, user)  # ack path: one read of the bot's own storage
    await linking.link_offer(team, user)        # ack path: issues a one-time ticket, returns its URL
    linking.token_provider(team, user)        # for PlanetScaleClient.as_user
    await linking.whoami(team, user) / logout(team, user) / forget_users(team, users)
    linking.flow                              # the browser part, for bot/web/oauth_pages.py

No Slack, no HTTP server and no message text in here: results are data, which the commands and the web pages draw,
and Slack is reached only through the `UserNotifier` and `SlackDirectory` ports (bot/ports.py), whose implementation
words the DMs and reads people's profiles.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from bot.config import Settings
from bot.linking.crypto import SecretBox
from bot.linking.flow import FRESH_TOKEN_RETRY_SECONDS, LinkFlow, Sleep
from bot.linking.grants import Grant, GrantStore, RotationReport
from bot.linking.memo import LinkedMemo
from bot.linking.oauth import OAuthApp, PlanetScaleOAuth
from bot.linking.tickets import LINK_TTL_SECONDS, LinkTickets, OAuthStates
from bot.linking.tokens import TokenRefresher, UserTokens
from bot.planetscale import PlanetScaleClient
from bot.ports import LinkOffer, SlackDirectory, UserNotifier
from bot.storage import Clock, Database, UserPreferences

log = logging.getLogger(__name__)

START_PATH = "/oauth/planetscale/start"
CALLBACK_PATH = "/oauth/planetscale/callback"
# whoami names at most this many organizations: one page, the largest PlanetScale serves, so one request.
WHOAMI_ORGANIZATION_LIMIT = 100


@dataclass(frozen=True)
class LinkedAccount:
    """Whom a Slack user is linked to on PlanetScale, what the bot may do there, and since when."""

    planetscale_name: str
    planetscale_email: str | None
    organizations: tuple[str, ...]
    scopes: tuple[str, ...]
    linked_since: int  # unix seconds


@dataclass(frozen=True)
class Unlinked:
    """What logout did: the grant is deleted. `revoked` says PlanetScale confirmed both tokens dead; `unreadable`,
    that no configured key opened the stored grant (the keys changed), so there was nothing the bot could revoke."""

    planetscale_name: str | None
    revoked: bool
    unreadable: bool = False


def oauth_app(settings: Settings, *, port: int | None = None) -> OAuthApp:
    """The OAuth application the settings describe (docs/interface.md §2); its redirect URI follows `BOT_PUBLIC_URL`."""
    secret = settings.planetscale_client_secret
    return OAuthApp(
        client_id=settings.planetscale_client_id or "",
        client_secret=secret.get_secret_value() if secret is not None else "",
        redirect_uri=settings.public_url(port) + CALLBACK_PATH,
        scopes=tuple(settings.scopes()),
        authorize_url=settings.planetscale_authorize_url,
        token_url=settings.planetscale_token_url,
        revoke_url=settings.planetscale_revoke_url,
    )


class AccountLinking:
    def __init__(
        self,
        *,
        grants: GrantStore,
        tickets: LinkTickets,
        refresher: TokenRefresher,
        flow: LinkFlow,
        planetscale: PlanetScaleClient,
        public_url: str,
        memo: LinkedMemo | None = None,
    ) -> None:
        self._grants = grants
        self._memo = memo or LinkedMemo()
        self._tickets = tickets
        self._refresher = refresher
        self.flow = flow
        self._planetscale = planetscale
        self._public_url = public_url.rstrip("/")

    @classmethod
    def build(
        cls,
        *,
        database: Database,
        keys: Collection[str],
        app: OAuthApp,
        planetscale: PlanetScaleClient,
        notifier: UserNotifier,
        directory: SlackDirectory,
        public_url: str,
        match_email: bool = True,
        oauth: PlanetScaleOAuth | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        fresh_token_retry_seconds: float = FRESH_TOKEN_RETRY_SECONDS,
    ) -> AccountLinking:
        """Everything linking needs, from the database, the keys and the OAuth app. `oauth`, `clock`, and the
        fresh token's retry delay and `sleep` (it only waits there) are for tests."""
        grants = GrantStore(database, SecretBox(list(keys)), clock=clock)
        client = oauth or PlanetScaleOAuth(app)
        memo = LinkedMemo()

        async def tell_to_link_again(grant: Grant) -> None:
            memo.forget(grant.team_id, [grant.user_id])
            if not await grants.claim_relink_notice(grant.team_id, grant.user_id):
                return
            try:
                await notifier.tell_link_stopped_working(team_id=grant.team_id, user_id=grant.user_id)
            except Exception as failure:  # the next command shows the link prompt anyway
                log.warning("could not tell Slack user %s/%s to link again: %r", grant.team_id, grant.user_id, failure)

        refresher = TokenRefresher(grants=grants, oauth=client, on_dead=tell_to_link_again, clock=clock)
        tickets = LinkTickets(database, clock=clock)
        flow = LinkFlow(
            tickets=tickets,
            states=OAuthStates(database, clock=clock),
            grants=grants,
            preferences=UserPreferences(database),
            oauth=client,
            refresher=refresher,
            planetscale=planetscale,
            notifier=notifier,
            directory=directory,
            match_email=match_email,
            fresh_token_retry_seconds=fresh_token_retry_seconds,
            sleep=sleep,
        )
        return cls(
            grants=grants,
            tickets=tickets,
            refresher=refresher,
            flow=flow,
            planetscale=planetscale,
            public_url=public_url,
            memo=memo,
        )

    # ----- the ack path: local reads and writes only ------------------------------------------------------------

    async def has_active_grant(self, team_id: str, user_id: str) -> bool:
        return await self._grants.active_grant(team_id, user_id) is not None

    async def seems_linked(self, team_id: str, user_id: str) -> bool:
        """Why a recent "yes" may be trusted here, and only here: bot/linking/memo.py."""
        if (team_id, user_id) in self._memo:
            return True
        linked = await self.has_active_grant(team_id, user_id)
        if linked:
            self._memo.remember((team_id, user_id))
        return linked

    async def link_offer(self, team_id: str, user_id: str) -> LinkOffer:
        ticket = await self._tickets.issue(team_id, user_id)
        url = f"{self._public_url}{START_PATH}?{urlencode({'t': ticket})}"
        return LinkOffer(url=url, valid_minutes=LINK_TTL_SECONDS // 60)

    def token_provider(self, team_id: str, user_id: str, *, read_ahead: bool = False) -> UserTokens:
        return self._refresher.provider(team_id, user_id, read_ahead=read_ahead)

    async def slack_users(self, team_id: str, planetscale_user_ids: Collection[str]) -> dict[str, str]:
        """Who of these PlanetScale users has linked a Slack account here, so they can be named as themselves."""
        return await self._grants.slack_users(team_id, planetscale_user_ids)

    async def linked_as(self, team_id: str, user_id: str) -> tuple[str, str] | None:
        grant = await self._grants.active_grant(team_id, user_id)
        return (grant.planetscale_user_id, grant.planetscale_user_name) if grant is not None else None

    # ----- commands ---------------------------------------------------------------------------------------------

    async def whoami(self, team_id: str, user_id: str) -> LinkedAccount | None:
        """The PlanetScale user, organizations, granted scopes and since when; None when nothing is linked.
        PlanetScale errors propagate (the dispatcher renders them; `Unauthorized` becomes the link prompt)."""
        grant = await self._grants.active_grant(team_id, user_id)
        if grant is None:
            return None
        api = self._planetscale.as_user(self.token_provider(team_id, user_id), user_key=(team_id, user_id))
        user = await api.users.current()
        organizations = await api.organizations.list(per_page=WHOAMI_ORGANIZATION_LIMIT)
        return LinkedAccount(
            planetscale_name=user.display_name or user.name or grant.planetscale_user_name,
            planetscale_email=user.email,
            organizations=tuple(organization.name for organization in organizations.data),
            scopes=grant.scopes,
            linked_since=grant.created_at,
        )

    async def logout(self, team_id: str, user_id: str) -> Unlinked | None:
        """Delete the grant, then revoke both its tokens (revoking one does not revoke the other); None when
        nothing was linked."""
        removed = await self._grants.delete(team_id, user_id)
        self._memo.forget(team_id, [user_id])
        if removed is None:
            return None
        if not isinstance(removed, Grant):
            return Unlinked(planetscale_name=None, revoked=False, unreadable=True)
        revoked = await self._refresher.revoke_quietly(removed.access_token, removed.refresh_token)
        log.info("Slack user %s/%s unlinked PlanetScale (tokens revoked: %s)", team_id, user_id, revoked)
        return Unlinked(planetscale_name=removed.planetscale_user_name, revoked=revoked)

    async def forget_users(self, team_id: str, user_ids: Collection[str] | Literal["all"]) -> int:
        """Slack said these users (or, after `app_uninstalled`, everyone in the workspace) are gone: revoke and
        delete their grants. Returns how many grants were removed."""
        removed = await self._grants.delete_users(team_id, user_ids)
        self._memo.forget(team_id, user_ids)
        await asyncio.gather(
            *(
                self._refresher.revoke_quietly(grant.access_token, grant.refresh_token)
                for grant in removed
                if isinstance(grant, Grant)
            )
        )
        if removed:
            log.info("forgot %d PlanetScale grant(s) of workspace %s", len(removed), team_id)
        return len(removed)


async def rotate_encryption_keys(database: Database, keys: Collection[str]) -> RotationReport:
    """`pscale-bot keys rotate`: re-encrypt every stored grant under the first of `keys` (BOT_ENCRYPTION_KEYS)."""
    return await GrantStore(database, SecretBox(list(keys))).rotate_keys()
