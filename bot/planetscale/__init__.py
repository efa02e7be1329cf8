"""Typed async client for PlanetScale's public API (v1): see `client.py` for the shape, `errors.py` for failures."""

from bot.planetscale.client import (
    DEFAULT_BASE_URL,
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    MAX_PER_PAGE,
    PlanetScaleAPI,
    PlanetScaleClient,
    TokenProvider,
)
from bot.planetscale.errors import (
    AccessUnavailable,
    BadRequest,
    ConnectionFailed,
    Forbidden,
    LinkRequired,
    NotFound,
    NotLinked,
    PlanetScaleError,
    RateLimited,
    ServerError,
    Timeout,
    TokenUnavailable,
    Unauthorized,
    UnexpectedResponse,
    Unprocessable,
)
from bot.planetscale.pacing import Pacer
from bot.planetscale.retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "MAX_PER_PAGE",
    "AccessUnavailable",
    "BadRequest",
    "ConnectionFailed",
    "Forbidden",
    "LinkRequired",
    "NotFound",
    "NotLinked",
    "Pacer",
    "PlanetScaleAPI",
    "PlanetScaleClient",
    "PlanetScaleError",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "Timeout",
    "TokenProvider",
    "TokenUnavailable",
    "Unauthorized",
    "UnexpectedResponse",
    "Unprocessable",
]
