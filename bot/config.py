"""Settings from the environment (and `.env`), and the rules that pick the run mode (docs/interface.md §1, §2).

Wrong or missing settings are one `ConfigError` listing every one of them, so a partial configuration is fixed in
one go; the CLI turns it into exit code 2 and one plain line per variable. The variable *names* are the interface;
the values never appear in an error (they may be secrets).
"""

from __future__ import annotations

import base64
import binascii
import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PLANETSCALE_SCOPES = (
    "user:read_user user:read_organizations organization:read_organization organization:read_databases "
    "organization:read_branches organization:write_branches organization:delete_branches "
    "organization:read_deploy_requests organization:write_deploy_requests organization:approve_deploy_requests "
    "organization:deploy_deploy_requests organization:manage_passwords"
)

DEFAULT_SLACK_API_TIMEOUT = 10  # seconds a Web API call may take before the bot stops waiting for its answer

# Any of these being set means "someone is configuring a real deployment": never fall back to the sandbox then.
CONFIGURING_PREFIXES = ("SLACK_", "PLANETSCALE_")
CONFIGURING_NAMES = ("BOT_ENCRYPTION_KEYS",)

# docs/interface.md §4: every command gets its final reply within 15 s; keep a margin for the response_url POST itself.
# SLACK_API_TIMEOUT stays below it, so a Web API call gives up first and the reply can say Slack did not confirm the
# call, rather than only that the command took too long.
FINAL_REPLY_SECONDS = 14


@dataclass(frozen=True)
class Problem:
    """One setting to fix: the environment variable, and what is wrong with it, as a phrase that follows its name."""

    variable: str
    problem: str

    def __str__(self) -> str:
        return f"{self.variable} {self.problem}"


class ConfigError(Exception):
    """Settings are missing or wrong: every one in `problems`; `variable` and `problem` are the first."""

    def __init__(self, variable: str, problem: str, *, more: Sequence[Problem] = ()) -> None:
        self.problems = (Problem(variable, problem), *more)
        super().__init__("; ".join(str(each) for each in self.problems))
        self.variable = variable
        self.problem = problem

    @classmethod
    def listing(cls, problems: Sequence[Problem]) -> ConfigError:
        first, *more = problems
        return cls(first.variable, first.problem, more=more)


class Mode(enum.StrEnum):
    SANDBOX = "sandbox"
    SOCKET = "socket"
    HTTP = "http"


class Settings(BaseSettings):
    """Every setting of docs/interface.md §2, read from the environment and `.env` (environment wins)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_team_id: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Whole seconds, as slack_sdk takes them.
    slack_api_timeout: int = Field(default=DEFAULT_SLACK_API_TIMEOUT, ge=1, lt=FINAL_REPLY_SECONDS)
    planetscale_api_url: str = "https://api.planetscale.com/v1"
    planetscale_authorize_url: str = "https://app.planetscale.com/oauth/authorize"
    planetscale_token_url: str = "https://auth.planetscale.com/oauth/token"  # noqa: S105 (a URL, not a secret)
    planetscale_revoke_url: str = "https://auth.planetscale.com/oauth/revoke"
    planetscale_client_id: str | None = None
    planetscale_client_secret: SecretStr | None = None
    planetscale_scopes: str = DEFAULT_PLANETSCALE_SCOPES
    bot_public_url: str | None = None
    bot_database: str = "./pscale-bot.sqlite3"
    bot_encryption_keys: SecretStr | None = None
    bot_link_match_email: bool = True
    log_level: str = "INFO"
    log_format: str = "text"
    port: int = Field(default=3000, ge=1, le=65535)

    @field_validator(
        "slack_api_url",
        "planetscale_api_url",
        "planetscale_authorize_url",
        "planetscale_token_url",
        "planetscale_revoke_url",
        "bot_public_url",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError("must be text or json")
        return value

    @field_validator("bot_encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        keys = [key.strip() for key in value.get_secret_value().split(",") if key.strip()]
        if not keys:
            raise ValueError("must hold at least one Fernet key")
        for position, key in enumerate(keys, start=1):
            if not _is_fernet_key(key):
                raise ValueError(f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)")
        return value

    @field_validator("slack_team_id", "planetscale_client_id")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    # --- derived values -------------------------------------------------------------------------------------

    def public_url(self, port: int | None = None) -> str:
        """`BOT_PUBLIC_URL` without a trailing slash, defaulting to this process's loopback address."""
        if self.bot_public_url:
            return self.bot_public_url.rstrip("/")
        return f"http://127.0.0.1:{port or self.port}"

    def encryption_keys(self) -> list[str]:
        if self.bot_encryption_keys is None:
            return []
        return [key.strip() for key in self.bot_encryption_keys.get_secret_value().split(",") if key.strip()]

    def scopes(self) -> list[str]:
        return self.planetscale_scopes.split()


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


# What a value must look like, for the checks pydantic makes itself (its own wording names Python types).
_EXPECTED = {
    "port": "must be a port number from 1 to 65535",
    "slack_api_timeout": f"must be a whole number of seconds from 1 to {FINAL_REPLY_SECONDS - 1}",
}


def read_settings(**overrides: Any) -> tuple[Settings, tuple[Problem, ...]]:
    """The settings with every invalid value left at its default, and what was wrong with each invalid value.

    Reading on past a bad value lets the caller add the missing ones to the same report."""
    try:
        return Settings(**overrides), ()
    except ValidationError as error:
        problems: dict[str, Problem] = {}
        for detail in error.errors():
            field = str(detail["loc"][0]) if detail["loc"] else "configuration"
            if detail["type"] == "value_error":  # our validators' own sentences
                problem = str(detail["msg"]).removeprefix("Value error, ")
            else:
                problem = _EXPECTED.get(field, "has a value that cannot be used here")
            problems.setdefault(field, Problem(field.upper(), problem))
        defaults = {field: Settings.model_fields[field].default for field in problems if field in Settings.model_fields}
        return Settings(**{**overrides, **defaults}), tuple(problems.values())


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; every invalid value is listed in one `ConfigError`."""
    settings, invalid = read_settings(**overrides)
    if invalid:
        raise ConfigError.listing(invalid)
    return settings


@dataclass(frozen=True)
class ModeChoice:
    mode: Mode
    reason: str


def configured_variables(settings: Settings) -> list[str]:
    """The contract variables that were set (in the environment or `.env`), as upper-case names."""
    names = sorted(name.upper() for name in settings.model_fields_set)
    return [
        name
        for name in names
        if name.startswith(CONFIGURING_PREFIXES) or name in CONFIGURING_NAMES
    ]


def choose_mode(settings: Settings) -> ModeChoice:
    """docs/interface.md §1: nothing configured → sandbox; `SLACK_APP_TOKEN` → Socket Mode; otherwise HTTP mode."""
    configured = configured_variables(settings)
    if not configured:
        return ModeChoice(
            Mode.SANDBOX,
            "no SLACK_*, PLANETSCALE_* or BOT_ENCRYPTION_KEYS variable is set, so the built-in stand-ins are used",
        )
    if settings.slack_app_token is not None:
        return ModeChoice(Mode.SOCKET, "SLACK_APP_TOKEN is set")
    return ModeChoice(Mode.HTTP, "SLACK_APP_TOKEN is not set")


def require_for(mode: Mode, settings: Settings, *, invalid: Sequence[Problem] = ()) -> None:
    """Raise one `ConfigError` listing `invalid` and every variable `mode` needs that is missing or malformed."""
    wrong = {problem.variable for problem in invalid}  # a wrong value was dropped: it is not missing as well
    problems = [*invalid, *(problem for problem in _missing_for(mode, settings) if problem.variable not in wrong)]
    if problems:
        raise ConfigError.listing(problems)


def _missing_for(mode: Mode, settings: Settings) -> list[Problem]:
    if mode is Mode.SANDBOX:
        return []
    transport = "SLACK_SIGNING_SECRET" if mode is Mode.HTTP else "SLACK_APP_TOKEN"
    values: dict[str, object | None] = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        transport: settings.slack_signing_secret if mode is Mode.HTTP else settings.slack_app_token,
        "PLANETSCALE_CLIENT_ID": settings.planetscale_client_id,
        "PLANETSCALE_CLIENT_SECRET": settings.planetscale_client_secret,
        "BOT_ENCRYPTION_KEYS": settings.bot_encryption_keys,
    }
    problems = [
        Problem(variable, f"is required in {mode.value} mode but is not set")
        for variable, value in values.items()
        if value is None or (isinstance(value, SecretStr) and not value.get_secret_value())
    ]
    prefixes = [(settings.slack_bot_token, "SLACK_BOT_TOKEN", "xoxb-", "a bot token")]
    if mode is Mode.SOCKET:
        prefixes.append((settings.slack_app_token, "SLACK_APP_TOKEN", "xapp-", "an app-level token"))
    problems += [
        Problem(variable, f"must be {what} starting with {prefix!r}")
        for value, variable, prefix, what in prefixes
        if value is not None and value.get_secret_value() and not value.get_secret_value().startswith(prefix)
    ]
    return problems
