"""Builds and publishes one person's App Home (docs/interface.md §8).

What it shows is read with that person's grant: their organizations, each organization's databases and admins, and
the open deploy requests of each database. That is one read per (grant, database), kept for `CACHE_SECONDS`, so
opening the Home tab again and again, or publishing it after a click, reads PlanetScale once; at most
`READ_CONCURRENCY` reads run at once, and `MAX_DATABASES` bounds how many are read at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.deploy_requests import lifecycle
from bot.deploy_requests.summary import Summary, summarize
from bot.digests.store import Subscriptions
from bot.notify.store import MINE, NotificationSettings
from bot.planetscale import PlanetScaleAPI, PlanetScaleClient, PlanetScaleError, Unauthorized
from bot.planetscale.models import Database
from bot.ports import SLACK_CALL_FAILURES, Accounts, SlackPort, slack_failure
from bot.render import home as render
from bot.render import notify as render_notify
from bot.render.home import HomeDigest, HomeItem, HomeView, HomeWatch
from bot.storage.database import Clock
from bot.watch.store import Watches

log = logging.getLogger(__name__)

CACHE_SECONDS = 30.0
READ_CONCURRENCY = 8
MAX_ORGANIZATIONS = 10
MAX_DATABASES = 100  # across organizations; a Home lists at most 20 of each kind anyway
PER_PAGE = 100

T = TypeVar("T")


@dataclass(frozen=True)
class _Organization:
    name: str
    databases: list[Database]
    admin: bool


class HomeService:
    def __init__(
        self,
        *,
        accounts: Accounts,
        planetscale: PlanetScaleClient,
        settings: NotificationSettings,
        subscriptions: Subscriptions,
        watches: Watches,
        slack: SlackPort,
        clock: Clock = time.monotonic,
    ) -> None:
        self._accounts = accounts
        self._subscriptions = subscriptions
        self._watches = watches
        self._planetscale = planetscale
        self._settings = settings
        self._slack = slack
        self._clock = clock
        self._cache: dict[tuple[object, ...], tuple[float, object]] = {}

    async def publish(self, team_id: str, user_id: str, *, notice: str | None = None) -> None:
        """Draw the Home for `user_id` and publish it, with `notice` on top (what a click on it did). Never raises:
        a Home that cannot be published now is published the next time it is opened."""
        try:
            view = dataclasses.replace(await self.view_for(team_id, user_id), notice=notice)
        except Exception:
            log.warning("could not draw the App Home of %s", user_id, exc_info=True)
            return
        try:
            await self._slack.publish_home(user_id=user_id, view=render.home(view))
        except SLACK_CALL_FAILURES as failure:
            # Slack's to answer for (a rate limit, out of reach, no answer), not a fault of the bot: one line. Nothing
            # to undo or keep for one Slack may have carried out: a Home published again replaces it whole.
            log.warning("could not publish the App Home of %s: %s", user_id, slack_failure(failure))
        except Exception:
            log.warning("could not publish the App Home of %s", user_id, exc_info=True)

    async def set_mine(self, team_id: str, user_id: str, *, on: bool) -> None:
        """The Home's toggle: direct messages about one's own deploy requests on or off, then the Home again."""
        await self._settings.set_mine(team_id=team_id, user_id=user_id, on=on)
        notice = render_notify.settings_changed(on=on, topic=MINE, database=None).text
        await self.publish(team_id, user_id, notice=notice)

    def forget(self, team_id: str, user_id: str) -> None:
        """After a click changed something: the next Home reads again."""
        for key in [key for key in self._cache if key[:2] == (team_id, user_id)]:
            del self._cache[key]

    async def _cached(self, key: tuple[object, ...], read: Callable[[], Awaitable[T]]) -> T:
        now = self._clock()
        kept = self._cache.get(key)
        if kept is not None and now - kept[0] < CACHE_SECONDS:
            return kept[1]  # type: ignore[return-value]
        value = await read()
        self._cache[key] = (now, value)
        for stale in [k for k, (at, _) in self._cache.items() if now - at >= CACHE_SECONDS]:
            del self._cache[stale]
        return value

    async def view_for(self, team_id: str, user_id: str) -> HomeView:
        linked = await self._accounts.linked_as(team_id, user_id)
        if linked is None:
            offer = await self._accounts.link_offer(team_id, user_id)
            return HomeView(link_url=offer.url)
        me, name = linked
        api = self._planetscale.as_user(self._accounts.token_provider(team_id, user_id), user_key=(team_id, user_id))
        settings = await self._settings.of_user(team_id, user_id)
        try:
            organizations = await self._organizations(team_id, user_id, api, me)
        except Unauthorized:
            offer = await self._accounts.link_offer(team_id, user_id)
            return HomeView(link_url=offer.url)
        gate = asyncio.Semaphore(READ_CONCURRENCY)
        targets = [(org, database) for org in organizations for database in org.databases][:MAX_DATABASES]

        async def open_requests(org: _Organization, database: Database) -> list[Summary] | None:
            async with gate:
                try:
                    return await self._cached(
                        (team_id, user_id, org.name, database.name),
                        lambda: self._open_requests(api, org.name, database),
                    )
                except PlanetScaleError as error:
                    log.info("App Home: reading %s/%s: %s", org.name, database.name, error)
                    return None

        lists = await asyncio.gather(*(open_requests(org, database) for org, database in targets))
        waiting: list[HomeItem] = []
        mine: list[HomeItem] = []
        unread: list[str] = []
        for (org, database), requests in zip(targets, lists, strict=True):
            if requests is None:
                unread.append(f"{org.name}/{database.name}")
                continue
            for request in requests:
                item = HomeItem(org=org.name, database=database.name, request=request)
                if request.author_id == me:
                    mine.append(item)
                elif org.admin and lifecycle.waits_for_approval(request):
                    waiting.append(HomeItem(org=org.name, database=database.name, request=request, can_approve=True))
        people = await self._accounts.slack_users(
            team_id, {item.request.author_id for item in waiting if item.request.author_id}
        )
        # Read from the bot's own database on every publish (never cached), so a Home drawn after a Remove click
        # no longer lists what it removed.
        digests = [
            HomeDigest(item.channel_id, item.org, item.database, item.timing.at.strftime("%H:%M"), item.timing.tz,
                       item.timing.daily)
            for item in await self._subscriptions.owned_by(team_id, user_id)
        ]
        watches = [
            HomeWatch(item.hook_id, item.channel_id, item.org, item.database)
            for item in await self._watches.created_by(team_id, user_id)
        ]
        return HomeView(
            planetscale_name=name,
            waiting=waiting, mine=mine, mine_notifications=settings.mine,
            review_notifications=[f"{org}/{database}" for org, database in settings.reviews], unread=unread,
            people=people, digests=digests, watches=watches,
        )

    async def _organizations(self, team_id: str, user_id: str, api: PlanetScaleAPI, me: str) -> list[_Organization]:
        async def read() -> list[_Organization]:
            page = await api.organizations.list(per_page=MAX_ORGANIZATIONS)

            async def one(name: str) -> _Organization:
                databases, admins = await asyncio.gather(
                    api.databases.list(name, per_page=PER_PAGE), api.organizations.admins(name)
                )
                return _Organization(
                    name=name, databases=list(databases.data), admin=any(admin.id == me for admin in admins)
                )

            return list(await asyncio.gather(*(one(organization.name) for organization in page.data)))

        return await self._cached((team_id, user_id, "organizations"), read)

    @staticmethod
    async def _open_requests(api: PlanetScaleAPI, org: str, database: Database) -> list[Summary]:
        page = await api.deploy_requests.list(org, database.name, state="open", per_page=PER_PAGE)
        required = database.require_approval_for_deploy
        return [summarize(request, approval_required=required) for request in page.data]
