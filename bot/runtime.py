"""The composition root: builds every long-lived part of the bot from `Settings`, wires them together, and
assembles the one ASGI app every mode serves (its lifespan starts and drains the runtime).

Nothing else constructs services; each mode (HTTP, Socket Mode, sandbox) is this runtime plus a transport.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from bot.cards.service import REFRESH_BATCH, CardService
from bot.cards.store import Cards
from bot.cards.updates import CardUpdates
from bot.commands.dispatch import CommandDispatcher
from bot.commands.forms import BranchPickers
from bot.commands.handlers import all_handlers
from bot.commands.removals import HomeRemovals
from bot.config import Mode, Settings
from bot.digests.service import DigestService
from bot.digests.store import Subscriptions
from bot.home.service import HomeService
from bot.linking import AccountLinking, oauth_app
from bot.linking.crypto import SecretBox
from bot.metrics import Metrics
from bot.notify.service import DirectMessages
from bot.notify.store import NotificationSettings, SentNotifications
from bot.planetscale import Pacer, PlanetScaleClient
from bot.slack.app import SlackIdentity, build_bolt_app, build_web_client
from bot.slack.events_endpoint import SlackEventsEndpoint
from bot.slack.port import WebApiSlackPort
from bot.slack.replies import ResponseUrlReplies
from bot.slack.verify import SlackRequestVerifier
from bot.storage import (
    AuditLog,
    ChannelPreferences,
    Database,
    IdempotencyKeys,
    PendingCommands,
    RateBudgets,
    UserPreferences,
    database_at,
)
from bot.tasks import TaskTracker
from bot.watch.store import Watches
from bot.web.body import BODY_READ_SECONDS, BodyLimit
from bot.web.health import create_health_routes
from bot.web.oauth_pages import create_oauth_routes
from bot.web.webhooks import create_webhook_routes

if TYPE_CHECKING:
    from bot.slack.socket_mode import SocketModeConnection

log = logging.getLogger(__name__)

SHUTDOWN_DRAIN_SECONDS = 10.0
SCHEDULE_SECONDS = 60.0
CARD_PASS_SECONDS = 2.0
KEEP_IDEMPOTENCY_KEYS_SECONDS = 2 * 24 * 3600
REVIEW_PASS_SECONDS = 60.0


@dataclass
class Runtime:
    settings: Settings
    mode: Mode
    database: Database
    tasks: TaskTracker
    metrics: Metrics
    identity: SlackIdentity
    slack_events: SlackEventsEndpoint | None
    socket: SocketModeConnection | None
    planetscale: PlanetScaleClient
    linking: AccountLinking
    digests: DigestService
    watches: Watches
    slack_port: WebApiSlackPort
    cards: CardService
    news: DirectMessages
    idempotency_keys: IdempotencyKeys
    replies: ResponseUrlReplies
    # Re-read cards PlanetScale is moving along. Off only in tests that prove webhook deliveries alone keep cards
    # current.
    reconcile: bool = True
    # Start-up work and the loops: none of it is a request in flight, so SIGTERM cancels it at once, undrained.
    _background: list[asyncio.Task[None]] = field(default_factory=list)
    _storage_open: bool = False
    # How often the databases whose reviews someone follows are read for new deploy requests (webhook deliveries
    # tell at once where a database is watched).
    review_pass_seconds: float = REVIEW_PASS_SECONDS

    async def open_storage(self) -> None:
        """Connect the database (in this event loop) and bring its schema up to date: replicas starting together
        wait for one another (an advisory lock on PostgreSQL, the write lock on SQLite) and apply each migration
        once. Once per runtime: `serve` opens it before serving, so that a database it cannot open stops the
        program with one line, and `start()` then finds it open."""
        if self._storage_open:
            return
        await self.database.connect()
        await self.database.migrate()
        self._storage_open = True

    async def start(self) -> None:
        await self.open_storage()
        loop = asyncio.get_running_loop()
        # In the background: Slack may be slow or (in the sandbox) served by this very process, not yet listening.
        self._background.append(loop.create_task(self.identity.load(), name="slack identity"))
        self._background.append(loop.create_task(self._run_schedule(), name="digest schedule"))
        if self.reconcile:
            self._background.append(loop.create_task(self._run_reconciler(), name="card reconciler"))
        if self.socket is not None:
            # Not awaited here either: Slack may be slow to answer, or not answer at all (slack_sdk then waits minutes
            # and tries again for ever), and a stop during start-up must not wait for it. `stop()` cancels it.
            self._background.append(loop.create_task(self.socket.connect(), name="socket mode connect"))

    async def housekeeping(self) -> None:
        """Forget what is past any replay: Slack retries an event within the hour and a webhook delivery older than
        what a card shows is ignored anyway, so two days of idempotency keys is plenty."""
        pruned = await self.idempotency_keys.prune_older_than(KEEP_IDEMPOTENCY_KEYS_SECONDS)
        if pruned:
            log.info("pruned %d old idempotency keys", pruned)

    async def _run_schedule(self) -> None:
        """Once a minute: housekeeping, then the due digests (the slot claims make a concurrent cron
        `pscale-bot digest` harmless)."""
        while True:
            try:
                await self.housekeeping()
                report = await self.digests.run()
                if report.posted or report.failures:
                    log.info("digests: %d posted, %d failed", report.posted, len(report.failures))
            except Exception:
                log.exception("digest run failed; trying again in a minute")
            await asyncio.sleep(SCHEDULE_SECONDS)

    async def _run_reconciler(self) -> None:
        """Keep cards current while PlanetScale moves their deploy requests along (also without webhooks), and now
        and then look for new deploy requests in the databases whose reviews someone follows."""
        loop = asyncio.get_running_loop()
        last_review_pass: float | None = None
        while True:
            full = False
            try:
                # A full pass leaves more due: the next one follows at once rather than after the pause.
                full = await self.cards.refresh_due() >= REFRESH_BATCH
            except Exception:
                log.exception("card refresh pass failed; trying again shortly")
            if last_review_pass is None or loop.time() - last_review_pass >= self.review_pass_seconds:
                last_review_pass = loop.time()
                try:
                    await self.news.look_for_new_requests()
                except Exception:
                    log.exception("looking for new deploy requests failed; trying again later")
            self.metrics.reconciler_passes.inc()
            if not full:
                await asyncio.sleep(CARD_PASS_SECONDS)

    async def stop(self) -> None:
        for background in self._background:
            background.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()
        if self.socket is not None:
            await self.socket.close()
        await self.tasks.drain(grace_seconds=SHUTDOWN_DRAIN_SECONDS)
        await self.replies.aclose()
        await self.planetscale.aclose()
        await self.database.close()
        self._storage_open = False


def build_runtime(settings: Settings, *, mode: Mode, port: int | None = None) -> Runtime:
    """`port`: where this process listens, when it is not `PORT` (`serve --port`); it is part of the default
    BOT_PUBLIC_URL and so of the OAuth redirect URI. The database is connected by `start()` (or `open_storage()`),
    in the event loop that serves."""
    database = database_at(settings.bot_database)
    budgets = RateBudgets(database)
    metrics = Metrics()
    tasks = TaskTracker()
    channels = ChannelPreferences(database)
    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    client = build_web_client(
        token=bot_token, base_url=settings.slack_api_url, timeout=settings.slack_api_timeout
    )
    identity = SlackIdentity(client)
    # Pacing and the chat.update budget are shared with every process on this database (replicas, the cron).
    planetscale = PlanetScaleClient(base_url=settings.planetscale_api_url, pacer=Pacer(shared=budgets))
    slack_port = WebApiSlackPort(client)
    linking = AccountLinking.build(
        database=database,
        keys=settings.encryption_keys(),
        app=oauth_app(settings, port=port),
        planetscale=planetscale,
        notifier=slack_port,
        directory=slack_port,
        public_url=settings.public_url(port),
        match_email=settings.bot_link_match_email,
    )
    subscriptions = Subscriptions(database)
    watches = Watches(database, SecretBox(settings.encryption_keys()))
    digests = DigestService(
        subscriptions=subscriptions, accounts=linking, planetscale=planetscale, slack=slack_port
    )
    audit = AuditLog(database)
    idempotency_keys = IdempotencyKeys(database)
    card_store = Cards(database)
    notification_settings = NotificationSettings(database)
    news = DirectMessages(
        settings=notification_settings, sent=SentNotifications(database), accounts=linking, slack=slack_port,
        planetscale=planetscale,
    )
    cards = CardService(
        cards=card_store,
        accounts=linking,
        planetscale=planetscale,
        slack=slack_port,
        updates=CardUpdates(slack_port, tasks, on_gone=card_store.forget_message, shared=budgets),
        audit=audit,
        idempotency_keys=idempotency_keys,
        news=news,
    )
    home = HomeService(
        accounts=linking, planetscale=planetscale, settings=notification_settings, subscriptions=subscriptions,
        watches=watches, slack=slack_port,
    )
    dispatcher = CommandDispatcher(
        handlers=all_handlers(
            accounts=linking,
            subscriptions=subscriptions,
            watches=watches,
            cards=cards,
            notification_settings=notification_settings,
            news=news,
            public_url=settings.public_url(port),
            requested_scopes=settings.scopes(),
        ),
        accounts=linking,
        planetscale=planetscale,
        slack=slack_port,
        user_preferences=UserPreferences(database),
        channel_preferences=channels,
        pending=PendingCommands(database),
        audit=audit,
    )
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    replies = ResponseUrlReplies()
    bolt_app = build_bolt_app(
        client=client,
        identity=identity,
        dispatcher=dispatcher,
        pickers=BranchPickers(accounts=linking, planetscale=planetscale),
        accounts=linking,
        idempotency_keys=idempotency_keys,
        cards=cards,
        replies=replies,
        home=home,
        removals=HomeRemovals(dispatcher=dispatcher, subscriptions=subscriptions, watches=watches),
        tasks=tasks,
        metrics=metrics,
    )
    slack_events = None
    socket = None
    if mode is Mode.SOCKET:
        # Imported only here: bolt's Socket Mode adapter loads slack_sdk's own WebSocket clients too, which HTTP
        # mode never uses.
        from bot.slack.socket_mode import SocketModeConnection  # noqa: PLC0415

        app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        socket = SocketModeConnection(
            app=bolt_app, app_token=app_token, client=client, team_id=settings.slack_team_id
        )
    elif signing_secret is not None:
        slack_events = SlackEventsEndpoint(
            bolt_app=bolt_app,
            verifier=SlackRequestVerifier(signing_secret),
            metrics=metrics,
            team_id=settings.slack_team_id,
        )
    return Runtime(
        settings=settings,
        mode=mode,
        database=database,
        tasks=tasks,
        metrics=metrics,
        identity=identity,
        slack_events=slack_events,
        socket=socket,
        planetscale=planetscale,
        linking=linking,
        digests=digests,
        watches=watches,
        slack_port=slack_port,
        cards=cards,
        news=news,
        idempotency_keys=idempotency_keys,
        replies=replies,
    )


def create_web_app(
    *, runtime: Runtime, extra_routes: Sequence[BaseRoute] = (), body_read_seconds: float = BODY_READ_SECONDS
) -> Starlette:
    """Every route behind the one body reader (bot/web/body.py); `body_read_seconds` is its read deadline."""
    # Slack's route first: Starlette tries the routes in order, and nearly every request the bot serves is Slack's.
    routes: list[BaseRoute] = [] if runtime.slack_events is None else [
        Route("/slack/events", runtime.slack_events.handle, methods=["POST"])
    ]
    routes += [
        *create_health_routes(database=runtime.database, metrics=runtime.metrics),
        *create_webhook_routes(
            watches=runtime.watches,
            idempotency_keys=runtime.idempotency_keys,
            tasks=runtime.tasks,
            slack=runtime.slack_port,
            cards=runtime.cards,
            news=runtime.news,
        ),
        *create_oauth_routes(runtime.linking.flow, public_url=runtime.settings.public_url()),
    ]
    routes.extend(extra_routes)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    return Starlette(
        routes=routes, lifespan=lifespan, middleware=[Middleware(BodyLimit, read_seconds=body_read_seconds)]
    )
