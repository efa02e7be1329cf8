"""The bot token's scopes and the features each one serves: one table for `manifest.yml`, `pscale-bot check`, the
start-up warning and the sandbox.

`manifest.yml` asks for exactly these (tests/packaging/test_manifest.py holds it to the table, and the suite's scope
audit holds the table to the Web API calls the bot really makes). Without one of them, Slack refuses the calls that
need it with `missing_scope`; `features` says, in an admin's words, what then stops working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class BotScope:
    name: str
    features: tuple[str, ...]


BOT_SCOPES: tuple[BotScope, ...] = (
    BotScope("commands", ("the /pscale slash command",)),
    BotScope(
        "chat:write",
        (
            "deploy-request cards (`dr post`, `dr create`) and their live updates",
            "digests",
            "`watch` notices and events",
            "replies to forms",
            "direct messages (notifications, reminders to link again)",
        ),
    ),
    BotScope(
        "chat:write.public",
        ("cards, digests and `watch` notices in public channels the bot has not been invited to",),
    ),
    BotScope(
        "users:read",
        ("digests at the subscriber's local time", "forgetting the PlanetScale grants of deactivated Slack users"),
    ),
    BotScope(
        "users:read.email",
        ("linking PlanetScale accounts: a link completes only for the Slack user whose profile email it has",),
    ),
    BotScope("links:read", ("live cards for shared deploy-request links (hearing of them)",)),
    BotScope("links:write", ("live cards for shared deploy-request links (drawing them)",)),
)

BOT_SCOPE_NAMES: tuple[str, ...] = tuple(scope.name for scope in BOT_SCOPES)


def missing_scopes(held: Iterable[str]) -> list[BotScope]:
    """The bot's scopes that a token holding `held` lacks, in the table's order."""
    have = set(held)
    return [scope for scope in BOT_SCOPES if scope.name not in have]


def token_scopes(headers: Mapping[str, str]) -> frozenset[str] | None:
    """The token's scopes from the `X-OAuth-Scopes` header Slack puts on every Web API answer (comma-separated);
    None when the answer has no such header, so nothing can be said about them."""
    value = next((value for name, value in headers.items() if name.lower() == "x-oauth-scopes"), None)
    if value is None:
        return None
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def missing_scope_line(scope: BotScope) -> str:
    """One sentence for a person: the scope, what breaks without it, and the fix."""
    return (
        f"the Slack token lacks the `{scope.name}` scope, so these do not work: {'; '.join(scope.features)}. "
        f"Add `{scope.name}` to the app's bot scopes (manifest.yml has it) and reinstall the app to the workspace."
    )
