"""The composition root: builds every long-lived part of the bot from `Settings` and wires them together.

Nothing else constructs services; each mode (HTTP, Socket Mode, sandbox) is this runtime plus a transport.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.dispatch import CommandDispatcher
from bot.config import Mode, Settings
from bot.metrics import Metrics
from bot.slack.app import SlackIdentity, build_bolt_app, build_web_client
from bot.slack.events_endpoint import SlackEventsEndpoint
from bot.slack.socket_mode import SocketModeConnection
from bot.slack.verify import SlackRequestVerifier
from bot.storage import ChannelPreferences, Database
from bot.tasks import TaskTracker

log = logging.getLogger(__name__)

SHUTDOWN_DRAIN_SECONDS = 10.0


@dataclass
class Runtime:
    settings: Settings
    mode: Mode
    database: Database
    tasks: TaskTracker
    metrics: Metrics
    identity: SlackIdentity
    slack_client: AsyncWebClient
    slack_events: SlackEventsEndpoint | None
    socket: SocketModeConnection | None

    async def start(self) -> None:
        # In the background: Slack may be slow or (in the sandbox) served by this very process, not yet listening.
        self.tasks.spawn(self.identity.load(self.slack_client), name="slack identity")
        if self.socket is not None:
            await self.socket.connect()

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        await self.tasks.drain(grace_seconds=SHUTDOWN_DRAIN_SECONDS)
        self.database.close()


def build_runtime(settings: Settings, *, mode: Mode) -> Runtime:
    database = Database.open(settings.bot_database)
    database.migrate()
    metrics = Metrics()
    tasks = TaskTracker()
    identity = SlackIdentity()
    channels = ChannelPreferences(database)
    dispatcher = CommandDispatcher(handlers={}, default_database=channels.default_database)
    bot_token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    client = build_web_client(token=bot_token, base_url=settings.slack_api_url)
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    bolt_app = build_bolt_app(
        client=client,
        signing_secret=signing_secret if mode is not Mode.SOCKET else None,
        identity=identity,
        dispatcher=dispatcher,
        tasks=tasks,
        metrics=metrics,
    )
    slack_events = None
    socket = None
    if mode is Mode.SOCKET:
        app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        socket = SocketModeConnection(app=bolt_app, app_token=app_token, client=client)
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
        slack_client=client,
        slack_events=slack_events,
        socket=socket,
    )
