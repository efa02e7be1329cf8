"""Each Slack user's own PlanetScale OAuth grant: linking, encrypted storage, refresh, unlinking.

Start with `service.AccountLinking` (what commands and the web routes use) and `tokens.TokenRefresher` (why a
refresh happens once per user at a time, across processes).
"""

from bot.linking.crypto import SecretBox, UndecryptableSecret
from bot.linking.flow import FailureReason, Linked, LinkFailed, LinkFlow
from bot.linking.grants import Grant, GrantStore, RotationReport, TokenSet, Unreadable
from bot.linking.oauth import InvalidGrant, OAuthApp, PlanetScaleOAuth, TokenEndpointFailure
from bot.linking.service import (
    CALLBACK_PATH,
    START_PATH,
    AccountLinking,
    LinkedAccount,
    Unlinked,
    oauth_app,
    rotate_encryption_keys,
)
from bot.linking.tokens import TokenRefresher, UserTokens

__all__ = [
    "CALLBACK_PATH",
    "START_PATH",
    "AccountLinking",
    "FailureReason",
    "Grant",
    "GrantStore",
    "InvalidGrant",
    "LinkFailed",
    "LinkFlow",
    "Linked",
    "LinkedAccount",
    "OAuthApp",
    "PlanetScaleOAuth",
    "RotationReport",
    "SecretBox",
    "TokenEndpointFailure",
    "TokenRefresher",
    "TokenSet",
    "UndecryptableSecret",
    "Unlinked",
    "Unreadable",
    "UserTokens",
    "oauth_app",
    "rotate_encryption_keys",
]
