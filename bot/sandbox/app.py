"""`pscale-bot sandbox`: the real bot, wired to built-in stand-ins for Slack and PlanetScale, on one port.

Everything still travels over real HTTP: the emulator page signs slash commands and POSTs them to the bot's own
`/slack/events`; the bot calls the Slack and PlanetScale stand-ins mounted under `/_sandbox/…` on the same port.
Only the credentials are made up, so anyone can try the bot in a minute with no account anywhere.

Two addresses matter. The bot reaches its stand-ins at the address it listens on (loopback when it listens on all
of them), while browsers follow links to the public one: `BOT_PUBLIC_URL` when set, which is how the sandbox works in
a container with another port published, or on another machine.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.commands.watch import WATCH_SCOPE
from bot.config import DEFAULT_PLANETSCALE_SCOPES, Mode, Settings
from bot.linking import CALLBACK_PATH
from bot.runtime import build_runtime, create_web_app
from bot.sandbox.emulator import WelcomeStep, create_emulator_routes
from bot.sandbox.planetscale import World, create_planetscale_api, demo_world
from bot.sandbox.planetscale.oauth import ConsentPage, create_planetscale_oauth
from bot.sandbox.planetscale.webhooks import WebhookSender
from bot.sandbox.slack import SlackChannel, SlackStandIn, SlackUser
from bot.slack.scopes import BOT_SCOPE_NAMES

DEFAULT_DATA_DIR = Path("pscale-bot-sandbox")
KEY_FILE_NAME = "sandbox-encryption.key"
OAUTH_MOUNT = "/_sandbox/planetscale-oauth"  # PlanetScale's OAuth server, with the consent page
PLANETSCALE_MOUNT = "/_sandbox/planetscale"
SLACK_MOUNT = "/_sandbox/slack"

SANDBOX_TEAM_ID = "T0SANDBOX01"
SANDBOX_CHANNEL = SlackChannel(id="C0GENERAL01", name="general", members=set())
SANDBOX_USERS = (
    # The same emails as their PlanetScale accounts (bot/sandbox/planetscale/seed.py), so each can link as
    # themselves with BOT_LINK_MATCH_EMAIL on.
    SlackUser(id="U0ALICE0001", name="alice", real_name="Alice Admin", is_admin=True, tz="Europe/Berlin",
              email="alice@acme.example.com"),
    SlackUser(id="U0BOB000001", name="bob", real_name="Bob Builder", tz="America/New_York",
              email="bob@acme.example.com"),
    SlackUser(id="U0CAROL0001", name="carol", real_name="Carol Member", tz="Asia/Tokyo",
              email="carol@acme.example.com"),
)
# What a newcomer is offered first: the seeded world's headline demo (bot/sandbox/planetscale/seed.py), step by step.
SANDBOX_WELCOME = (
    WelcomeStep(
        "*Link your PlanetScale account.* Send `/pscale login` and click the button: PlanetScale's consent page (a "
        "stand-in too) asks who you are there. The bot confirms in your direct messages (*pscale*, under Apps).",
        ("/pscale login",),
    ),
    WelcomeStep(
        "*Deploy a schema change.* `/pscale dr post shop 1` posts Carol's deploy request as a live card. *Approve* "
        "it, *Deploy* it and watch the card move. Once deployed it can be reverted for 30 minutes; *Skip revert* "
        "ends that at once.",
        ("/pscale dr post shop 1",),
    ),
    WelcomeStep(
        "*Open one yourself.* `/pscale dr create` opens a form: choose `shop`, then the branch `add-wishlist`. "
        "`shop` needs an admin's approval, and not your own: switch *You are* (top right) to Bob, link him too, "
        "and approve.",
        ("/pscale dr create",),
    ),
    WelcomeStep(
        "*Share a link.* A deploy request's address pasted in the channel unfurls as a live card.",
        ("https://app.planetscale.com/acme/analytics/deploy-requests/2",),
    ),
    WelcomeStep(
        "`/pscale help` lists every command. *Reset* (top right) puts the sandbox back as it was at the start.",
        ("/pscale help",),
    ),
)
# Addresses that mean "every interface": the bot reaches itself through loopback then.
_EVERY_ADDRESS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104


def sandbox_database_path(settings: Settings) -> Path:
    """`BOT_DATABASE` when it was set explicitly, else a file in `./pscale-bot-sandbox/`."""
    if "bot_database" in settings.model_fields_set:
        return Path(settings.bot_database)
    return DEFAULT_DATA_DIR / "pscale-bot.sqlite3"


def load_or_create_key(path: Path) -> str:
    """The sandbox's Fernet key, generated once into a file only its owner can read (mode 0600)."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


def sandbox_scopes(without: Iterable[str] = ()) -> frozenset[str]:
    """The scopes installing the app from manifest.yml grants, less `without` (to see what the bot says then)."""
    dropped = set(without)
    unknown = dropped - set(BOT_SCOPE_NAMES)
    if unknown:
        raise ValueError(f"not the bot's: {', '.join(sorted(unknown))}; it has {', '.join(BOT_SCOPE_NAMES)}")
    return frozenset(BOT_SCOPE_NAMES) - dropped


def _url_host(host: str) -> str:
    reachable = _EVERY_ADDRESS.get(host, host)
    return f"[{reachable}]" if ":" in reachable else reachable


def sandbox_internal_url(*, host: str, port: int) -> str:
    """Where the bot calls its own stand-ins: the address it listens on."""
    return f"http://{_url_host(host)}:{port}"


def sandbox_public_url(*, host: str, port: int, settings: Settings) -> str:
    """Where browsers open the page and follow links: `BOT_PUBLIC_URL` when set, else the address listened on."""
    return settings.public_url() if settings.bot_public_url else sandbox_internal_url(host=host, port=port)


class _Replaceable:
    """An ASGI app that can be exchanged for a fresh one while the server runs (the page's Reset button)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class _PlanetScale:
    """The seeded PlanetScale world with its API and OAuth server, the webhooks it sends, and the way back to the
    seed."""

    def __init__(self, *, redirect_uri: str, world: World | None = None) -> None:
        self._client_id, self._client_secret = "pscale-bot-sandbox", secrets.token_hex(16)
        self._redirect_uri = redirect_uri
        self._sending = False
        api, oauth, self._sender = self._seeded(world)
        self.api, self.oauth = _Replaceable(api), _Replaceable(oauth)

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def client_secret(self) -> str:
        return self._client_secret

    def _seeded(self, world: World | None = None) -> tuple[ASGIApp, ASGIApp, WebhookSender]:
        if world is None:
            world, _people = demo_world()
        world.accept_loopback_webhooks = True  # the sandbox's bot receives them on its own address
        oauth = create_planetscale_oauth(
            world,
            client_id=self._client_id,
            client_secret=self._client_secret,
            redirect_uri=self._redirect_uri,
            consent=ConsentPage(optional={WATCH_SCOPE: "Also let the bot create webhooks, so /pscale watch works"}),
        )
        return create_planetscale_api(world), oauth, WebhookSender(world)

    @contextmanager
    def sending_webhooks(self) -> Iterator[None]:
        """While the app serves, the world sends its webhooks (and moves its deployments on with the clock)."""
        self._sending = True
        self._sender.start()
        try:
            yield
        finally:
            self._sending = False
            self._sender.stop()

    def reseed(self) -> None:
        self._sender.stop()
        self.api.app, self.oauth.app, self._sender = self._seeded()
        if self._sending:
            self._sender.start()


def build_sandbox_app(
    *, port: int, settings: Settings, host: str = "127.0.0.1", without_scopes: Iterable[str] = (),
    world: World | None = None, reconcile: bool = True,
) -> Starlette:
    """The sandbox on `port`. `world`: the PlanetScale it serves first (default: the demo world, on the wall clock);
    `reconcile=False` leaves the cards to clicks, commands and webhook deliveries (tests show deliveries suffice)."""
    internal = sandbox_internal_url(host=host, port=port)
    public = sandbox_public_url(host=host, port=port, settings=settings)
    database_path = sandbox_database_path(settings)
    slack = SlackStandIn(
        scopes=sandbox_scopes(without_scopes), team_id=SANDBOX_TEAM_ID, base_url=f"{internal}{SLACK_MOUNT}"
    )
    for user in SANDBOX_USERS:
        slack.add_user(user)
    slack.add_channel(
        SlackChannel(id=SANDBOX_CHANNEL.id, name=SANDBOX_CHANNEL.name, members={user.id for user in SANDBOX_USERS})
    )
    planetscale = _PlanetScale(redirect_uri=f"{public}{CALLBACK_PATH}", world=world)
    signing_secret = secrets.token_hex(32)
    bot_settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=signing_secret,
        slack_api_url=slack.api_url,
        planetscale_api_url=f"{internal}{PLANETSCALE_MOUNT}/v1",
        # The browser goes to the authorize page; the bot itself calls the token and revoke endpoints.
        planetscale_authorize_url=f"{public}{OAUTH_MOUNT}/oauth/authorize",
        planetscale_token_url=f"{internal}{OAUTH_MOUNT}/oauth/token",
        planetscale_revoke_url=f"{internal}{OAUTH_MOUNT}/oauth/revoke",
        planetscale_client_id=planetscale.client_id,
        planetscale_client_secret=planetscale.client_secret,
        # As an operator who wants `watch` would: it is asked for, and each person grants it or not on the page.
        planetscale_scopes=f"{DEFAULT_PLANETSCALE_SCOPES} {WATCH_SCOPE}",
        bot_public_url=public,
        bot_database=str(database_path),
        bot_encryption_keys=load_or_create_key(database_path.parent / KEY_FILE_NAME),
        log_level=settings.log_level,
        log_format=settings.log_format,
        port=port,
    )
    runtime = build_runtime(bot_settings, mode=Mode.SANDBOX)
    runtime.reconcile = reconcile

    async def reset() -> None:
        """Back to the first minute: the seeded PlanetScale, an empty channel, nobody linked, no cards."""
        planetscale.reseed()
        slack.workspace.forget_conversations()
        await runtime.database.forget_everything()

    stand_ins = [
        Mount(SLACK_MOUNT, app=slack.app),
        Mount(PLANETSCALE_MOUNT, app=planetscale.api),
        Mount(OAUTH_MOUNT, app=planetscale.oauth),
    ]
    emulator = create_emulator_routes(
        slack=slack,
        events_url=f"{internal}/slack/events",
        signing_secret=signing_secret,
        team_id=SANDBOX_TEAM_ID,
        channel_id=SANDBOX_CHANNEL.id,
        users=SANDBOX_USERS,
        welcome=SANDBOX_WELCOME,
        on_reset=reset,
    )
    app = create_web_app(runtime=runtime, extra_routes=[*stand_ins, *emulator])
    serving = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: Starlette) -> AsyncIterator[None]:
        with planetscale.sending_webhooks():
            async with serving(served):
                yield

    app.router.lifespan_context = lifespan
    return app
