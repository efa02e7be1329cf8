"""`pscale-bot check`: is this installation ready? One line per check, `ok …` or `FAIL …` with the fix.

It asks each outside service one harmless question (docs/interface.md §1): Slack's `auth.test` (does the token
work, and which scopes does the `X-OAuth-Scopes` header of the answer name), PlanetScale's token endpoint (a refresh
with a made-up refresh token: `invalid_grant` means the endpoint answers and accepts the client credentials), and
the database file (migrated to this version, without migrating it: checking changes nothing).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.config import ConfigError, Mode, Settings, choose_mode, require_for
from bot.linking import oauth_app
from bot.linking.oauth import InvalidGrant, PlanetScaleOAuth, TokenEndpointFailure
from bot.slack.app import build_web_client, inspect_token
from bot.slack.scopes import BOT_SCOPES, missing_scope_line
from bot.storage import LATEST_VERSION, StorageError, is_postgresql_url, open_database

PROBE_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Not a secret: a refresh token no one was ever given, so the endpoint must refuse it.
PROBE_REFRESH_TOKEN = "pscale-bot-check-not-a-refresh-token"  # noqa: S105


@dataclass(frozen=True)
class Check:
    ok: bool
    name: str
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAIL'} {self.name}: {self.detail}"


async def run_checks(settings: Settings) -> list[Check]:
    mode = choose_mode(settings).mode
    checks = [_settings(settings, mode)]
    checks += await _slack(settings)
    checks.append(await _database(settings))
    checks += await _planetscale(settings)
    return checks


def _settings(settings: Settings, mode: Mode) -> Check:
    if mode is Mode.SANDBOX:
        return Check(False, "settings", "nothing is configured, so `pscale-bot run` would start the sandbox; set the "
                                        "variables of docs/interface.md §2 for a real installation")
    try:
        require_for(mode, settings)
    except ConfigError as error:
        return Check(False, "settings", f"{error.variable} {error.problem}")
    secret = "SLACK_SIGNING_SECRET" if mode is Mode.HTTP else "SLACK_APP_TOKEN"
    return Check(True, "settings", f"{mode.value} mode, {secret} and the other required variables are set")


async def _slack(settings: Settings) -> list[Check]:
    if settings.slack_bot_token is None:
        return [Check(False, "slack token", "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from the "
                                            "app's OAuth & Permissions page")]
    client = build_web_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
        timeout=settings.slack_api_timeout,
    )
    report = await inspect_token(client)
    if report.error is not None:
        return [Check(False, "slack token", f"Slack refused it ({report.error}): copy the Bot User OAuth Token "
                                            "from the app's OAuth & Permissions page into SLACK_BOT_TOKEN")]
    checks = [Check(True, "slack token", f"works in workspace {report.team} ({report.team_id}) as {report.user_id}")]
    if report.scopes is None:
        checks.append(Check(False, "slack scopes", "Slack's answer named no scopes (no X-OAuth-Scopes header); is "
                                                   "SLACK_API_URL Slack's Web API?"))
        return checks
    for scope in BOT_SCOPES:
        if scope.name in report.scopes:
            checks.append(Check(True, f"slack scope {scope.name}", "held"))
        else:
            checks.append(Check(False, f"slack scope {scope.name}", missing_scope_line(scope)))
    return checks


async def _database(settings: Settings) -> Check:
    location = settings.bot_database
    if not is_postgresql_url(location) and not await asyncio.to_thread(Path(location).exists):
        return Check(True, "database", f"{location} does not exist yet; the bot creates and migrates it at start")
    try:
        database = await open_database(location)
    except StorageError as error:
        return Check(False, "database", f"{error}: check BOT_DATABASE (and its permissions or credentials)")
    path = database.location  # a PostgreSQL URL without its password
    try:
        version = await database.schema_version()
    finally:
        await database.close()
    if version < LATEST_VERSION:
        return Check(False, "database", f"{path} is at migration {version} of {LATEST_VERSION}: start the bot once "
                                        "(it migrates at start)")
    if version > LATEST_VERSION:
        return Check(False, "database", f"{path} was migrated by a newer pscale-bot ({version}); run that version")
    return Check(True, "database", f"{path} is migrated (version {version})")


async def _planetscale(settings: Settings) -> list[Check]:
    if settings.planetscale_client_id is None or settings.planetscale_client_secret is None:
        return [Check(False, "planetscale oauth", "PLANETSCALE_CLIENT_ID and PLANETSCALE_CLIENT_SECRET must be set "
                                                  "(the PlanetScale OAuth application of this bot)")]
    oauth = PlanetScaleOAuth(oauth_app(settings), timeout=PROBE_TIMEOUT)
    checks = [await _authorize_page(settings.planetscale_authorize_url)]
    try:
        await oauth.refresh(PROBE_REFRESH_TOKEN)
    except InvalidGrant:
        checks.append(Check(True, "planetscale oauth", f"{settings.planetscale_token_url} answers and accepts "
                                                       "the client credentials"))
    except TokenEndpointFailure as failure:
        checks.append(Check(False, "planetscale oauth", f"{settings.planetscale_token_url}: {failure}; check "
                                                        "PLANETSCALE_TOKEN_URL, PLANETSCALE_CLIENT_ID and "
                                                        "PLANETSCALE_CLIENT_SECRET"))
    else:
        checks.append(Check(False, "planetscale oauth", f"{settings.planetscale_token_url} accepted a made-up "
                                                        "refresh token: is PLANETSCALE_TOKEN_URL PlanetScale's?"))
    return checks


async def _authorize_page(url: str) -> Check:
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT) as http:
            response = await http.get(url)
    except httpx.HTTPError as error:
        return Check(False, "planetscale authorize page", f"{url} did not answer ({type(error).__name__}): check "
                                                          "PLANETSCALE_AUTHORIZE_URL")
    if response.status_code >= 500:
        return Check(False, "planetscale authorize page", f"{url} answered HTTP {response.status_code}")
    return Check(True, "planetscale authorize page", f"{url} answers")
