"""PlanetScale's OAuth endpoints, spoken through authlib: authorize URL, code exchange, refresh, revoke.

PlanetScale apps are confidential clients that send their credentials in the form body (`client_secret_post`), and
the authorize endpoint wants `response_type=code` and an explicit space-separated `scope` (planetscale-api.md §2.2).
Failures come back as `InvalidGrant` (the code or refresh token is no good: only a new link helps) or
`TokenEndpointFailure` (anything else: network, 5xx, bad client credentials), whose text never holds a secret.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from bot.linking.grants import TokenSet
from bot.tls import certifi_context

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = logging.getLogger(__name__)

TOKEN_ENDPOINT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_CLIENT_AUTH = "client_secret_post"


class InvalidGrant(Exception):
    """The token endpoint said `invalid_grant`: the code or refresh token is unknown, used, expired or revoked."""


class TokenEndpointFailure(Exception):
    """The token or revocation endpoint failed for another reason; the message is safe to log and show."""


@dataclass(frozen=True)
class OAuthApp:
    """The PlanetScale OAuth application this bot is, and where PlanetScale's endpoints are."""

    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: tuple[str, ...]
    authorize_url: str
    token_url: str
    revoke_url: str


class PlanetScaleOAuth:
    def __init__(
        self,
        app: OAuthApp,
        *,
        timeout: httpx.Timeout = TOKEN_ENDPOINT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.app = app
        self._timeout = timeout
        self._transport = transport

    def authorization_url(self, state: str) -> str:
        # Imported here: authlib.oauth2 costs 0.15 s of CPU at start-up, and only `/pscale link` builds this URL.
        from authlib.oauth2.rfc6749.parameters import prepare_grant_uri  # noqa: PLC0415

        uri: str = prepare_grant_uri(
            self.app.authorize_url,
            client_id=self.app.client_id,
            response_type="code",
            redirect_uri=self.app.redirect_uri,
            scope=" ".join(self.app.scopes),
            state=state,
        )
        return uri

    async def exchange(self, code: str) -> TokenSet:
        async with self._client() as client:
            token = await _token_call(
                client.fetch_token(self.app.token_url, grant_type="authorization_code", code=code), "code exchange"
            )
        return _token_set(token, requested=self.app.scopes)

    async def refresh(self, refresh_token: str) -> TokenSet:
        async with self._client() as client:
            token = await _token_call(client.refresh_token(self.app.token_url, refresh_token=refresh_token), "refresh")
        return _token_set(token, requested=())

    async def revoke(self, token: str, *, kind: str) -> None:
        """Revoke one token (`kind` is `access_token` or `refresh_token`); raises `TokenEndpointFailure`."""
        async with self._client() as client:
            try:
                response: httpx.Response = await client.revoke_token(
                    self.app.revoke_url, token=token, token_type_hint=kind
                )
            except httpx.HTTPError as error:
                raise TokenEndpointFailure(f"revoking the {kind} failed: {type(error).__name__}") from None
        if response.status_code != 200:
            raise TokenEndpointFailure(f"revoking the {kind} failed: HTTP {response.status_code}")

    def _client(self) -> AsyncOAuth2Client:
        # A client per operation: authlib keeps the last token on the client object, and token calls are rare
        # (a link, a refresh a month), so sharing one across users would only risk mixing them up.
        return _httpx_client().AsyncOAuth2Client(
            client_id=self.app.client_id,
            client_secret=self.app.client_secret,
            token_endpoint_auth_method=_CLIENT_AUTH,
            revocation_endpoint_auth_method=_CLIENT_AUTH,
            redirect_uri=self.app.redirect_uri,
            timeout=self._timeout,
            transport=self._transport,
            verify=certifi_context(),
        )


def _httpx_client() -> Any:
    """authlib's httpx integration, imported at the first token call: it loads authlib's OpenID Connect and JOSE
    code (0.6 s of CPU, a third of `serve`'s start-up), and token calls are rare."""
    with warnings.catch_warnings():
        # authlib nudges towards its `httpx2` fork; the bot uses httpx itself, which authlib still supports.
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations import httpx_client  # noqa: PLC0415

    return httpx_client


async def _token_call(call: Any, what: str) -> dict[str, Any]:
    try:
        token: dict[str, Any] = dict(await call)
    except _httpx_client().OAuthError as error:
        code = str(getattr(error, "error", "") or "oauth_error")
        if code == "invalid_grant":
            raise InvalidGrant(f"{what}: invalid_grant") from None
        raise TokenEndpointFailure(f"{what}: PlanetScale answered {code}") from None
    except httpx.HTTPStatusError as error:
        raise TokenEndpointFailure(f"{what}: HTTP {error.response.status_code}") from None
    except httpx.HTTPError as error:
        raise TokenEndpointFailure(f"{what}: {type(error).__name__}") from None
    except ValueError:
        raise TokenEndpointFailure(f"{what}: the answer was not a JSON object") from None
    return token


def _token_set(token: dict[str, Any], *, requested: Sequence[str]) -> TokenSet:
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise TokenEndpointFailure("the token endpoint answered without an access_token")
    refresh = token.get("refresh_token")
    scope = token.get("scope")
    return TokenSet(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=_seconds(token.get("expires_in")),
        # RFC 6749 §5.1: no `scope` in the answer means exactly the scope requested.
        scopes=tuple(scope.split()) if isinstance(scope, str) else tuple(requested),
    )


def _seconds(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
