"""PlanetScale's OAuth server, stood in: authorize (with a consent page), token, revoke and token info.

Behaves as planetscale-api.md §2.2 describes the real one, and as strictly as the RFCs allow, so the bot's client
is tested against the hard cases: exact `redirect_uri` matching, `response_type=code` and a `scope` that is a
non-empty subset of the app's scopes are required; codes are single-use, bound to the client and the redirect URI,
and expire after a minute; refresh tokens ROTATE (using one kills it); revoking an access token leaves its refresh
token alive and vice versa. Access tokens are issued by the `World`, so the API stand-in accepts them.

    oauth = PlanetScaleOAuthServer(world, client_id=…, client_secret=…, redirect_uri=…, consent=AutoApprove(user_id))
    app = oauth.app            # serve it: /oauth/authorize, /oauth/token, /oauth/revoke, /oauth/token/info
    oauth.counters.refreshes   # what tests count
"""

from __future__ import annotations

import asyncio
import html
import secrets
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.sandbox.planetscale.scopes import ALL_SCOPES, BOT_SCOPES
from bot.sandbox.planetscale.world import DEFAULT_TOKEN_LIFETIME, PlanetScaleError, World

CODE_LIFETIME_SECONDS = 60
Form = dict[str, str]
DEFAULT_APP_SCOPES: frozenset[str] = ALL_SCOPES | frozenset(BOT_SCOPES) | {"organization:read_comments"}


@dataclass(frozen=True)
class ConsentPage:
    """The sandbox: a page where the person picks which seeded PlanetScale user they are, then approves or denies.
    Of the requested scopes, those in `optional` are granted only when the person ticks them (they start unticked);
    the rest are granted with the approval."""

    optional: Mapping[str, str] = field(default_factory=dict)  # scope → what granting it allows, in words


@dataclass(frozen=True)
class AutoApprove:
    """Tests: this PlanetScale user approves at once, with no page."""

    user_id: str


@dataclass(frozen=True)
class AutoDeny:
    """Tests: the person clicks "Deny"; the redirect carries `error=access_denied`."""


ConsentMode = ConsentPage | AutoApprove | AutoDeny


@dataclass
class OAuthCounters:
    """How often each endpoint was asked (whatever the outcome)."""

    exchanges: int = 0
    refreshes: int = 0
    revocations: int = 0


@dataclass
class _Code:
    user_id: str
    scopes: frozenset[str]
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class _RefreshToken:
    user_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class _Issued:
    user_id: str
    scopes: frozenset[str]
    issued_at: float
    expires_at: float


@dataclass
class TokenEndpointFault:
    """The next `times` token requests fail with this status and OAuth error."""

    status: int
    error: str
    times: int = 1


@dataclass
class _State:
    consent: ConsentMode
    codes: dict[str, _Code] = field(default_factory=dict)
    refresh_tokens: dict[str, _RefreshToken] = field(default_factory=dict)
    issued: dict[str, _Issued] = field(default_factory=dict)
    fault: TokenEndpointFault | None = None


class PlanetScaleOAuthServer:
    def __init__(
        self,
        world: World,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        consent: ConsentMode,
        app_scopes: Collection[str] = DEFAULT_APP_SCOPES,
        access_token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
    ) -> None:
        self.world = world
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.app_scopes = frozenset(app_scopes)
        self.access_token_lifetime = access_token_lifetime
        # Seconds each token request takes, so tests can make concurrent refreshes overlap for real.
        self.token_latency = 0.0
        self.counters = OAuthCounters()
        self._lock = threading.Lock()  # served on uvicorn's thread, inspected from the test's
        self._state = _State(consent=consent)
        self.app = Starlette(
            routes=[
                Route("/oauth/authorize", self._authorize, methods=["GET"]),
                Route("/oauth/authorize", self._decide, methods=["POST"]),
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/oauth/revoke", self._revoke, methods=["POST"]),
                Route("/oauth/token/info", self._token_info, methods=["GET"]),
            ]
        )

    # ----- test controls ----------------------------------------------------------------------------------------

    @property
    def consent(self) -> ConsentMode:
        with self._lock:
            return self._state.consent

    @consent.setter
    def consent(self, mode: ConsentMode) -> None:
        with self._lock:
            self._state.consent = mode

    def fail_token_requests(self, *, status: int = 500, error: str = "server_error", times: int = 1) -> None:
        with self._lock:
            self._state.fault = TokenEndpointFault(status=status, error=error, times=times)

    def is_active(self, token: str) -> bool:
        """Would PlanetScale still accept this access or refresh token?"""
        with self._lock:
            refresh = self._state.refresh_tokens.get(token)
        if refresh is not None:
            return not refresh.revoked
        try:
            self.world.authenticate(token)
        except PlanetScaleError:
            return False
        return True

    def revoke_everything_of(self, user_id: str) -> None:
        """What "Revoke all sessions and member tokens" in PlanetScale does: every token of that user dies."""
        with self._lock:
            for refresh in self._state.refresh_tokens.values():
                if refresh.user_id == user_id:
                    refresh.revoked = True
            access_tokens = [token for token, issued in self._state.issued.items() if issued.user_id == user_id]
        for token in access_tokens:
            self.world.revoke_token(token)

    # ----- endpoints --------------------------------------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != self.client_id:
            return _page("Unknown application", "This OAuth application does not exist.", status=400)
        if query.get("redirect_uri") != self.redirect_uri:
            # Never redirect to an unregistered URI (RFC 6749 §4.1.2.1): say so on our own page instead.
            return _page("Wrong redirect URI", "The redirect URI is not the one registered for this app.", status=400)
        state = query.get("state")
        if query.get("response_type") != "code":
            return self._redirect(error="unsupported_response_type", state=state)
        requested = frozenset(query.get("scope", "").split())
        if not requested or not requested <= self.app_scopes:
            return self._redirect(error="invalid_scope", state=state)
        consent = self.consent
        if isinstance(consent, AutoDeny):
            return self._redirect(error="access_denied", state=state)
        if isinstance(consent, AutoApprove):
            return self._redirect(code=self._new_code(consent.user_id, requested), state=state)
        return self._consent_page(requested=requested, state=state, optional=consent.optional)

    async def _decide(self, request: Request) -> Response:
        """The consent page's form: Approve (as the chosen user) or Deny."""
        form = await _form(request)
        state = _field(form, "state") or None
        requested = frozenset(_field(form, "scope").split())
        if _field(form, "client_id") != self.client_id or _field(form, "redirect_uri") != self.redirect_uri:
            return _page("Wrong request", "This consent form does not belong to this application.", status=400)
        if not requested or not requested <= self.app_scopes:
            return self._redirect(error="invalid_scope", state=state)
        if _field(form, "decision") != "approve":
            return self._redirect(error="access_denied", state=state)
        user_id = _field(form, "user_id")
        if user_id not in self.world.users:
            return _page("Pick a user", "Choose which PlanetScale user you are, then approve.", status=400)
        consent = self.consent
        optional = set(consent.optional) if isinstance(consent, ConsentPage) else set()
        granted = {scope for scope in requested if scope not in optional or _field(form, f"grant:{scope}") == "yes"}
        return self._redirect(code=self._new_code(user_id, frozenset(granted)), state=state)

    async def _token(self, request: Request) -> Response:
        form = await _form(request)
        grant_type = _field(form, "grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                self.counters.exchanges += 1
            elif grant_type == "refresh_token":
                self.counters.refreshes += 1
        if self.token_latency:
            await asyncio.sleep(self.token_latency)  # simulated network and server time, not synchronisation
        if not self._client_ok(form):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        with self._lock:
            fault = self._state.fault
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._state.fault = None
                return _oauth_error(fault.status, fault.error, "Injected failure.")
            if grant_type == "authorization_code":
                return self._exchange_code(form)
            if grant_type == "refresh_token":
                return self._rotate(form)
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")

    async def _revoke(self, request: Request) -> Response:
        form = await _form(request)
        with self._lock:
            self.counters.revocations += 1
        if not self._client_ok(form):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        token = _field(form, "token")
        with self._lock:
            refresh = self._state.refresh_tokens.get(token)
            if refresh is not None:
                refresh.revoked = True  # only this token: the access tokens it produced live on
        self.world.revoke_token(token)
        return JSONResponse({})

    async def _token_info(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.is_active(token.strip()):
            return JSONResponse({"active": False})
        with self._lock:
            issued = self._state.issued.get(token.strip())
        if issued is None:  # a World token issued outside OAuth (tests do that): active, but nothing to tell
            return JSONResponse({"active": True, "client_id": self.client_id, "token_type": "Bearer"})
        return JSONResponse(
            {
                "active": True,
                "scope": " ".join(sorted(issued.scopes)),
                "client_id": self.client_id,
                "token_type": "Bearer",
                "exp": int(issued.expires_at),
                "iat": int(issued.issued_at),
                "sub": issued.user_id,
            }
        )

    # ----- internals (callers hold self._lock where noted) -----------------------------------------------------

    def _client_ok(self, form: Form) -> bool:
        return secrets.compare_digest(_field(form, "client_id"), self.client_id) and secrets.compare_digest(
            _field(form, "client_secret"), self.client_secret
        )

    def _new_code(self, user_id: str, scopes: frozenset[str]) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._state.codes[code] = _Code(
                user_id=user_id,
                scopes=scopes,
                redirect_uri=self.redirect_uri,
                expires_at=self.world.now() + CODE_LIFETIME_SECONDS,
            )
        return code

    def _exchange_code(self, form: Form) -> Response:  # holds self._lock
        code = self._state.codes.get(_field(form, "code"))
        if code is None or code.used or code.expires_at <= self.world.now():
            return _oauth_error(400, "invalid_grant", "The authorization code is invalid, expired or already used.")
        code.used = True  # single use, whatever happens next
        if _field(form, "redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "invalid_grant", "The redirect_uri does not match the authorization request.")
        return self._issue(code.user_id, code.scopes)

    def _rotate(self, form: Form) -> Response:  # holds self._lock
        refresh = self._state.refresh_tokens.get(_field(form, "refresh_token"))
        if refresh is None or refresh.revoked:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid, expired or revoked.")
        refresh.revoked = True  # rotation: the one just used dies now
        return self._issue(refresh.user_id, refresh.scopes)

    def _issue(self, user_id: str, scopes: frozenset[str]) -> Response:  # holds self._lock
        access = self.world.issue_access_token(user_id, scopes, expires_in=self.access_token_lifetime)
        refresh = "pscale_oauth_refresh_" + secrets.token_urlsafe(24)
        now = self.world.now()
        self._state.refresh_tokens[refresh] = _RefreshToken(user_id=user_id, scopes=scopes)
        self._state.issued[access] = _Issued(
            user_id=user_id, scopes=scopes, issued_at=now, expires_at=now + self.access_token_lifetime
        )
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.access_token_lifetime,
                "refresh_token": refresh,
                "scope": " ".join(sorted(scopes)),
            },
            headers={"Cache-Control": "no-store"},
        )

    def _redirect(self, *, state: str | None, code: str | None = None, error: str | None = None) -> Response:
        params = {"code": code} if code is not None else {"error": error or "server_error"}
        if state is not None:
            params["state"] = state
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(params)}", status_code=302)

    def _consent_page(
        self, *, requested: frozenset[str], state: str | None, optional: Mapping[str, str]
    ) -> Response:
        with self.world.lock:
            users = sorted(self.world.users.values(), key=lambda user: user.name)
        choices = "\n".join(
            f'<li><label><input type="radio" name="user_id" value="{html.escape(user.id)}"'
            f'{" checked" if position == 0 else ""}> {html.escape(user.display_name)} ({html.escape(user.email)})'
            "</label></li>"
            for position, user in enumerate(users)
        )
        scopes = "\n".join(
            f"<li><code>{html.escape(scope)}</code></li>" for scope in sorted(requested) if scope not in optional
        )
        extras = "\n".join(
            f'<p><label><input type="checkbox" name="grant:{html.escape(scope)}" value="yes"> '
            f"{html.escape(what)} (<code>{html.escape(scope)}</code>)</label></p>"
            for scope, what in sorted(optional.items())
            if scope in requested
        )
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in (
                ("client_id", self.client_id),
                ("redirect_uri", self.redirect_uri),
                ("scope", " ".join(sorted(requested))),
                ("state", state or ""),
            )
        )
        body = f"""<p>The application <strong>{html.escape(self.client_id)}</strong> asks for access to your
PlanetScale account. This is the sandbox's stand-in for PlanetScale: pick who you are.</p>
<form method="post" action="authorize">
{hidden}
<fieldset><legend>Sign in as</legend><ul>{choices}</ul></fieldset>
<details><summary>Access requested ({len(requested)} scopes)</summary><ul>{scopes}</ul></details>
{extras}
<p><button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form>"""
        return _page("Authorize application", body, status=200, raw=True)


def create_planetscale_oauth(
    world: World, *, client_id: str, client_secret: str, redirect_uri: str, consent: ConsentMode
) -> Starlette:
    """The OAuth stand-in as an ASGI app (see `PlanetScaleOAuthServer` for the counters and test controls)."""
    return PlanetScaleOAuthServer(
        world, client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri, consent=consent
    ).app


async def _form(request: Request) -> Form:
    """A url-encoded body (what OAuth clients send), parsed without python-multipart."""
    return dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))


def _field(form: Form, name: str) -> str:
    return form.get(name, "")


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _page(title: str, body: str, *, status: int, raw: bool = False) -> HTMLResponse:
    content = body if raw else f"<p>{html.escape(body)}</p>"
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · PlanetScale (stand-in)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{html.escape(title)}</h1>
{content}
</main></body></html>""",
        status_code=status,
    )
