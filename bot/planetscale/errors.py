"""One error tree for everything the PlanetScale client can raise, keyed by HTTP status through one mapping.

Every error carries what PlanetScale said (`code`, `message`; its error bodies are `{"code", "message"}`) and which
call failed (`method` and the spec's path *template*, never the filled-in path or any header, so an error can be
logged as is). Transport failures say whether the request may have reached PlanetScale, which is what decides
whether a mutation may be sent again.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

__all__ = [
    "AccessUnavailable",
    "BadRequest",
    "ConnectionFailed",
    "Forbidden",
    "LinkRequired",
    "NotFound",
    "NotLinked",
    "PlanetScaleError",
    "RateLimited",
    "ServerError",
    "Timeout",
    "TokenUnavailable",
    "Unauthorized",
    "UnexpectedResponse",
    "Unprocessable",
    "error_for_status",
    "error_from_response",
    "error_from_transport",
    "parse_retry_after",
]

# How much of a plain-text error body is kept as the message.
MAX_TEXT_MESSAGE = 200


class PlanetScaleError(Exception):
    """A PlanetScale call that did not succeed. `status` is None when no HTTP response arrived."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        # Seconds to wait before trying again, when PlanetScale said (`Retry-After`, as far as the pacer holds to it).
        self.retry_after = retry_after

    def __str__(self) -> str:
        status = "no response" if self.status is None else str(self.status)
        code = f" {self.code}" if self.code else ""
        return f"PlanetScale {self.method} {self.path}: {status}{code}: {self.message}"


class BadRequest(PlanetScaleError):
    """400: PlanetScale refused the request's parameters."""


class Unauthorized(PlanetScaleError):
    """401: the access token is invalid, expired or revoked (even after one refresh): the user must link again."""


class NotLinked(Unauthorized):
    """The call was not sent: the user has no usable grant (never linked, unlinked, revoked). As after a 401, they
    must link again; `status` is None, since PlanetScale was not asked."""


class Forbidden(PlanetScaleError):
    """403: the token is valid but may not do this."""


class NotFound(PlanetScaleError):
    """404: missing, or invisible to this token."""

    # PlanetScale answers 404, not 403, when the grant lacks the permission or OAuth scope: say so wherever shown.
    hint = (
        "PlanetScale also answers “not found” when your account or the bot's access lacks the permission "
        "or OAuth scope for it."
    )

    def __str__(self) -> str:
        return f"{super().__str__()} ({self.hint})"


class Unprocessable(PlanetScaleError):
    """422: the request was understood but breaks a rule (a taken branch name, a deploy request in the wrong state)."""


class RateLimited(PlanetScaleError):
    """429 from PlanetScale (600 requests/minute), or the bot's own pacing could not send within the call's budget."""


class ServerError(PlanetScaleError):
    """5xx: PlanetScale failed."""


class Timeout(PlanetScaleError):
    """No answer in time. `request_sent` is False only when the request certainly never left (connect/pool wait)."""

    def __init__(self, message: str, *, method: str, path: str, request_sent: bool) -> None:
        super().__init__(message, method=method, path=path)
        self.request_sent = request_sent


class ConnectionFailed(PlanetScaleError):
    """The connection failed. `request_sent` is False only when it failed before the request was written."""

    def __init__(self, message: str, *, method: str, path: str, request_sent: bool) -> None:
        super().__init__(message, method=method, path=path)
        self.request_sent = request_sent


class AccessUnavailable(PlanetScaleError):
    """The call was not sent: the user's token provider had no token just now (refreshing it failed, or took too
    long elsewhere); the grant itself stands, so trying again later may work."""


class UnexpectedResponse(PlanetScaleError):
    """A success status whose body the bot cannot read, or a status outside the tree (3xx, unknown 4xx)."""


# --- What a TokenProvider (client.py) raises instead of handing out a token -------------------------------------
# Nothing was sent yet, so these are no HTTP errors: the client turns them into `NotLinked` or `AccessUnavailable`,
# naming the call that could not be made.


class TokenUnavailable(Exception):
    """No token to give just now; the message says why, in words a user can act on."""


class LinkRequired(TokenUnavailable):
    """This user has no usable grant (never linked, logged out, revoked, undecryptable)."""

    def __init__(self, message: str = "Your PlanetScale account is not linked (or the link stopped working).") -> None:
        super().__init__(message)


_BY_STATUS: dict[int, type[PlanetScaleError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    422: Unprocessable,
    429: RateLimited,
}


def error_for_status(status: int) -> type[PlanetScaleError]:
    """The one mapping from an HTTP error status to its class."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 500 <= status <= 599:
        return ServerError
    if 400 <= status <= 499:
        return BadRequest
    return UnexpectedResponse


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: either delta-seconds or an HTTP date (RFC 9110 §10.2.3); None if unusable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _code_and_message(response: httpx.Response) -> tuple[str | None, str]:
    """PlanetScale's `{code, message}`, or the best that can be said about any other body."""
    reason = response.reason_phrase or "Error"
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        # A proxy's HTML error page says nothing a user can read; a plain-text body might.
        plain = response.headers.get("content-type", "").startswith("text/plain")
        text = " ".join(response.text.split())[:MAX_TEXT_MESSAGE] if plain else ""
        return None, text or reason
    if not isinstance(body, dict):
        return None, reason
    code = body.get("code")
    message = body.get("message")
    if not isinstance(message, str) or not message:
        # OAuth-style bodies say `error_description`; anything else gets the status phrase.
        message = body.get("error_description") if isinstance(body.get("error_description"), str) else reason
    if not isinstance(code, str):
        code = body.get("error") if isinstance(body.get("error"), str) else None
    return code, str(message)


def error_from_response(response: httpx.Response, *, method: str, path: str) -> PlanetScaleError:
    code, message = _code_and_message(response)
    error_class = error_for_status(response.status_code)
    return error_class(
        message,
        method=method,
        path=path,
        status=response.status_code,
        code=code,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def error_from_transport(exc: httpx.TransportError, *, method: str, path: str) -> PlanetScaleError:
    """Classify an httpx failure; only a failed connect or a pool wait proves the request was never sent."""
    if isinstance(exc, httpx.TimeoutException):
        sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
        what = type(exc).__name__
        return Timeout(f"PlanetScale did not answer in time ({what}).", method=method, path=path, request_sent=sent)
    sent = not isinstance(exc, httpx.ConnectError)
    return ConnectionFailed(
        f"Could not reach PlanetScale ({type(exc).__name__}).", method=method, path=path, request_sent=sent
    )
