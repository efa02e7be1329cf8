"""`pscale-bot sandbox`: the real bot, wired to built-in stand-ins for Slack and PlanetScale, on one port.

Everything still travels over real HTTP: the emulator page signs slash commands and POSTs them to the bot's own
`/slack/events`; the bot calls the Slack and PlanetScale stand-ins mounted under `/_sandbox/…` on the same port.
Only the credentials are made up, so anyone can try the bot in a minute with no account anywhere.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.config import Mode, Settings
from bot.linking import CALLBACK_PATH
from bot.runtime import build_runtime, create_web_app
from bot.sandbox.emulator import create_emulator_routes
from bot.sandbox.planetscale import create_planetscale_api, demo_world
from bot.sandbox.planetscale.oauth import ConsentPage, create_planetscale_oauth
from bot.sandbox.slack import SlackChannel, SlackStandIn, SlackUser
from bot.slack.scopes import BOT_SCOPE_NAMES

DEFAULT_DATA_DIR = Path("pscale-bot-sandbox")
KEY_FILE_NAME = "sandbox-encryption.key"
OAUTH_MOUNT = "/_sandbox/planetscale-oauth"  # PlanetScale's OAuth server, with the consent page

SANDBOX_TEAM_ID = "T0SANDBOX01"
SANDBOX_CHANNEL = SlackChannel(id="C0GENERAL01", name="general", members=set())
SANDBOX_USERS = (
    SlackUser(id="U0ALICE0001", name="alice", real_name="Alice Admin", is_admin=True, tz="Europe/Berlin"),
    SlackUser(id="U0BOB000001", name="bob", real_name="Bob Builder", tz="America/New_York"),
    SlackUser(id="U0CAROL0001", name="carol", real_name="Carol Member", tz="Asia/Tokyo"),
)


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


def build_sandbox_app(*, port: int, settings: Settings, without_scopes: Iterable[str] = ()) -> Starlette:
    base_url = f"http://127.0.0.1:{port}"
    database_path = sandbox_database_path(settings)
    slack = SlackStandIn(
        scopes=sandbox_scopes(without_scopes), team_id=SANDBOX_TEAM_ID, base_url=f"{base_url}/_sandbox/slack"
    )
    for user in SANDBOX_USERS:
        slack.add_user(user)
    slack.add_channel(
        SlackChannel(id=SANDBOX_CHANNEL.id, name=SANDBOX_CHANNEL.name, members={user.id for user in SANDBOX_USERS})
    )
    world, _people = demo_world()
    signing_secret = secrets.token_hex(32)
    client_id, client_secret = "pscale-bot-sandbox", secrets.token_hex(16)
    oauth = create_planetscale_oauth(
        world,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=f"{base_url}{CALLBACK_PATH}",
        consent=ConsentPage(),
    )
    oauth_url = f"{base_url}{OAUTH_MOUNT}/oauth"
    bot_settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=signing_secret,
        slack_api_url=slack.api_url,
        planetscale_api_url=f"{base_url}/_sandbox/planetscale/v1",
        planetscale_authorize_url=f"{oauth_url}/authorize",
        planetscale_token_url=f"{oauth_url}/token",
        planetscale_revoke_url=f"{oauth_url}/revoke",
        planetscale_client_id=client_id,
        planetscale_client_secret=client_secret,
        bot_public_url=base_url,
        bot_database=str(database_path),
        bot_encryption_keys=load_or_create_key(database_path.parent / KEY_FILE_NAME),
        log_level=settings.log_level,
        log_format=settings.log_format,
        port=port,
    )
    runtime = build_runtime(bot_settings, mode=Mode.SANDBOX)
    stand_ins = [
        Mount("/_sandbox/slack", app=slack.app),
        Mount("/_sandbox/planetscale", app=create_planetscale_api(world)),
        Mount(OAUTH_MOUNT, app=oauth),
    ]
    emulator = create_emulator_routes(
        slack=slack,
        events_url=f"{base_url}/slack/events",
        signing_secret=signing_secret,
        team_id=SANDBOX_TEAM_ID,
        channel_id=SANDBOX_CHANNEL.id,
        users=SANDBOX_USERS,
    )
    return create_web_app(runtime=runtime, extra_routes=[*stand_ins, *emulator])
