"""The typed async PlanetScale client: one shared `httpx.AsyncClient`, per-user views, one method per endpoint.

    client = PlanetScaleClient(base_url=settings.planetscale_api_url)   # one per process
    api = client.as_user(provider, user_key=(team_id, user_id))          # provider: the user's grant
    request = await api.deploy_requests.get("acme", "shop", 3)

Every call goes through the same path: pacing (`Pacer`, shared 600/min, fair per `user_key`), and meanwhile the
bearer token from the `TokenProvider` → one HTTP exchange → on 401, one token refresh and one resend → the retry policy
(`RetryPolicy`) within the call's time budget → the response parsed into a model, or an error from
`bot.planetscale.errors`. Tokens live only in the Authorization header and are never logged.

A list endpoint answers one page (`models.Page`), the one asked for; iterating it reads on through the following
pages only as far as the caller does:

    page = await api.branches.list("acme", "shop", per_page=25)          # one request: page.data, total_count
    names = [branch.name async for branch in page.items(limit=150)]      # then page 2 … as needed
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import time
from collections.abc import Awaitable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
import pydantic
from pydantic import BaseModel

from bot.planetscale import endpoints as ep
from bot.planetscale.errors import (
    AccessUnavailable,
    LinkRequired,
    NotLinked,
    RateLimited,
    Timeout,
    TokenUnavailable,
    UnexpectedResponse,
    error_from_response,
    error_from_transport,
)
from bot.planetscale.models import (
    Branch,
    CountedPage,
    Database,
    Deployment,
    DeployOperation,
    DeployRequest,
    DeployReview,
    LintError,
    MemberRole,
    Organization,
    OrganizationMember,
    Page,
    Password,
    ReviewState,
    TableSchema,
    User,
    Webhook,
)
from bot.planetscale.pacing import Pacer
from bot.planetscale.retry import Clock, RetryPolicy, Sleep, call_with_retries
from bot.planetscale.transport import AiohttpTransport

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "MAX_PER_PAGE",
    "PlanetScaleAPI",
    "PlanetScaleClient",
    "TokenProvider",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.planetscale.com/v1"
# Each limit is also capped by what is left of the call's budget (RetryPolicy.budget).
DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=8.0, write=5.0, pool=3.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30.0)
MAX_PER_PAGE = 100  # PlanetScale's maximum `per_page`
DEFAULT_PER_PAGE = 25  # PlanetScale's default
# How long a user holds off after a 429 that named no Retry-After.
RATE_LIMIT_PAUSE_SECONDS = 1.0
USER_AGENT = "pscale-bot"

ModelT = TypeVar("ModelT", bound=BaseModel)
PageT = TypeVar("PageT", bound=Page[Any])
QueryValue = str | int | bool | None


class TokenProvider(Protocol):
    """A user's PlanetScale access, implemented by the linking layer. With no token to give, both raise
    `TokenUnavailable`, or `LinkRequired` when the grant is gone for good."""

    async def access_token(self) -> str:
        """A current access token (refreshing first if it is known to be expired)."""
        ...

    async def refresh_after_unauthorized(self, rejected_token: str) -> str:
        """PlanetScale answered 401 to `rejected_token`: return a fresh token."""
        ...


def fill_path(template: str, values: Mapping[str, str | int]) -> str:
    """The template with each value percent-encoded as one path segment ("/" included)."""
    encoded: dict[str, str] = {}
    for name, value in values.items():
        text = str(value)
        # "." and ".." would be resolved away by URL normalisation and address a different resource.
        if text in {"", ".", ".."}:
            raise ValueError(f"{text!r} is not a valid PlanetScale {name} name")
        encoded[name] = quote(text, safe="")
    return template.format_map(encoded)


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing it is given."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _BearerOnlyClient(httpx.AsyncClient):
    """An httpx client without httpx's cookie jar, which keeps every `Set-Cookie` answered and sends it with every
    later request to that host. PlanetScale's API knows a caller by the bearer token alone, and one client carries
    every linked person's requests: a cookie set in one person's answer would go out with the next person's request.
    (Reading each answer for cookies also cost 26 µs.) The transport keeps none either (bot/planetscale/transport.py).
    """

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: object) -> None:  # httpx's __init__ sets the jar it was given (none)
        pass


# httpx parses and percent-encodes a URL in Python: 80 µs of the 120 µs `build_request` took for a page of branches,
# measured in-process. Commands, card redraws and the reconciler ask for the same few URLs over and over, and an
# `httpx.URL` is immutable, so each is built once (tests/planetscale/test_request_urls.py holds it to httpx's own).
_REMEMBERED_URLS = 1024


@lru_cache(maxsize=_REMEMBERED_URLS)
def request_url(url: str, params: tuple[tuple[str, str | int], ...]) -> httpx.URL:
    """The URL `build_request(method, url, params=dict(params))` would send to, `url` being absolute."""
    return httpx.URL(url).copy_merge_params(dict(params))


def _capped(timeout: httpx.Timeout, seconds: float) -> httpx.Timeout:
    def cap(value: float | None) -> float:
        return seconds if value is None else min(value, seconds)

    return httpx.Timeout(
        connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool)
    )


def _query(values: Mapping[str, QueryValue]) -> dict[str, str | int]:
    """Drop unset parameters; booleans as PlanetScale expects them."""
    query: dict[str, str | int] = {}
    for name, value in values.items():
        if value is None:
            continue
        query[name] = ("true" if value else "false") if isinstance(value, bool) else value
    return query


def _page_params(page: int, per_page: int) -> dict[str, QueryValue]:
    if page < 1:
        raise ValueError("page starts at 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
    return {"page": page, "per_page": per_page}


@dataclass
class _CallState:
    """What one logical call remembers across its attempts."""

    refreshed: bool = False
    token: str | None = field(default=None, repr=False)


class PlanetScaleClient:
    """The process's one connection pool to PlanetScale. Close it (or use `async with`) on shutdown."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        """`http_client` (not closed by us) or `transport` replace the network in tests; `sleep`/`clock` the time."""
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer()
        self._sleep = sleep
        self._clock = clock
        self._given_http = http_client
        self._made_http: httpx.AsyncClient | None = None
        self._limits = limits
        self._transport = transport

    @property
    def _http(self) -> httpx.AsyncClient:
        """Made at the first request rather than at start: reading the CA bundle into a TLS context was 6% of
        `serve`'s start-up CPU (py-spy), and nothing before the first command that reaches PlanetScale needs it."""
        if self._given_http is not None:
            return self._given_http
        if self._made_http is None:
            self._made_http = _BearerOnlyClient(
                timeout=self.timeout,
                limits=self._limits,
                transport=self._transport or AiohttpTransport(limits=self._limits),
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            )
        return self._made_http

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.pacer.aclose()
        if self._made_http is not None:
            await self._made_http.aclose()

    def expected_wait(self, user_key: Hashable, *, ahead: int = 0) -> float:
        """Seconds a request for this user made now would wait for its turn under the pacing (no I/O); `ahead` as
        in `Pacer.expected_wait`."""
        return self.pacer.expected_wait(user_key, ahead=ahead)

    def as_user(
        self,
        provider: TokenProvider,
        *,
        user_key: Hashable | None = None,
        retry: RetryPolicy | None = None,
        background: bool = False,
    ) -> PlanetScaleAPI:
        """The API as this user. `user_key` (e.g. Slack team and user) makes pacing fair per person; without it
        each provider counts as its own user. `retry` overrides the policy, e.g. a longer budget for digests.
        `background`: reads nobody waits for (the reconciler's), held to the pacer's background share."""
        session = _UserSession(
            client=self,
            provider=provider,
            user_key=user_key if user_key is not None else ("provider", id(provider)),
            retry=retry or self.retry,
            background=background,
        )
        return PlanetScaleAPI(session)

    async def _exchange(
        self,
        *,
        session: _UserSession,
        state: _CallState,
        method: str,
        template: str,
        url: str,
        params: Mapping[str, str | int],
        body: Mapping[str, Any] | None,
        seconds_left: float,
    ) -> httpx.Response:
        """One attempt: pace, authenticate, send; on a 401, one refresh and one resend (once per logical call)."""
        deadline = self._clock() + seconds_left
        while True:
            state.token = await self._pace_and_authenticate(
                session, state.token, method=method, template=template, seconds=deadline - self._clock()
            )
            response = await self._send(
                method=method,
                template=template,
                url=url,
                params=params,
                body=body,
                token=state.token,
                seconds=deadline - self._clock(),
            )
            if response.status_code == 401 and not state.refreshed:
                state.refreshed = True
                logger.info("PlanetScale %s %s: 401, refreshing the token once", method, template)
                state.token = await _token(
                    session.provider.refresh_after_unauthorized(state.token), method=method, template=template
                )
                continue
            if response.is_success:
                return response
            error = error_from_response(response, method=method, path=template)
            if response.status_code == 429:
                # Only this user waits, and never longer than the pacer's cap: that is when they may try again.
                asked = error.retry_after
                paused = self.pacer.pause(session.user_key, RATE_LIMIT_PAUSE_SECONDS if asked is None else asked)
                if asked is not None:
                    error.retry_after = paused
            raise error

    async def _pace_and_authenticate(
        self, session: _UserSession, token_known: str | None, *, method: str, template: str, seconds: float
    ) -> str:
        """Wait for this request's turn and, unless the call already has its token, read it meanwhile: both are
        trips to storage (the shared budget's write, the grant's read and decryption), and neither needs the
        other's answer. Returns the token to send."""
        if token_known is not None:
            await self._pace(session, method=method, template=template, seconds=seconds)
            return token_known
        token = asyncio.ensure_future(_token(session.provider.access_token(), method=method, template=template))
        try:
            await self._pace(session, method=method, template=template, seconds=seconds)
        except asyncio.CancelledError:
            token.cancel()
            raise
        except Exception:
            # Not cancelled: a refresh under way finishes and stores the tokens it was given (PlanetScale may have
            # rotated the refresh token already). Its own failure, if any, is not the news.
            await asyncio.gather(token, return_exceptions=True)
            raise
        return await token

    async def _pace(self, session: _UserSession, *, method: str, template: str, seconds: float) -> None:
        paused = self.pacer.paused_for(session.user_key)
        if paused > max(seconds, 0.0):
            # A 429 paused this user for longer than this call may wait: say when to try again, now.
            raise RateLimited(
                "PlanetScale asked for a pause before this account's next request.",
                method=method, path=template, code="paused", retry_after=paused,
            )
        try:
            async with asyncio.timeout(max(seconds, 0.0)):
                await self.pacer.acquire(session.user_key, background=session.background)
        except TimeoutError:
            raise RateLimited(
                "The bot is pacing its PlanetScale requests to stay within the rate limit and could not send this "
                "one in time. Try again in a moment.",
                method=method,
                path=template,
                code="paced",
            ) from None

    async def _send(
        self,
        *,
        method: str,
        template: str,
        url: str,
        params: Mapping[str, str | int],
        body: Mapping[str, Any] | None,
        token: str,
        seconds: float,
    ) -> httpx.Response:
        if seconds <= 0:
            raise Timeout(
                "The time for this PlanetScale call ran out.", method=method, path=template, request_sent=False
            )
        request = self._http.build_request(
            method,
            request_url(url, tuple(params.items())),
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=_capped(self.timeout, seconds),
        )
        started = self._clock()
        try:
            # httpx's read timeout is per read, so a trickling answer could outlast it: bound the whole exchange too.
            async with asyncio.timeout(seconds):
                response = await self._http.send(request)
        except TimeoutError:
            raise Timeout(
                "PlanetScale did not finish answering in time.", method=method, path=template, request_sent=True
            ) from None
        except httpx.TransportError as exc:
            raise error_from_transport(exc, method=method, path=template) from exc
        logger.debug(
            "PlanetScale %s %s → %d in %.0f ms", method, template, response.status_code, (self._clock() - started) * 1e3
        )
        return response


async def _token(asked: Awaitable[str], *, method: str, template: str) -> str:
    """The provider's token; when it has none, an error naming the call that therefore was not sent."""
    try:
        return await asked
    except LinkRequired as missing:
        raise NotLinked(str(missing), method=method, path=template) from missing
    except TokenUnavailable as unavailable:
        raise AccessUnavailable(str(unavailable), method=method, path=template) from unavailable


@dataclass(frozen=True)
class _UserSession:
    client: PlanetScaleClient
    provider: TokenProvider
    user_key: Hashable
    retry: RetryPolicy
    background: bool = False

    async def _response(
        self,
        *,
        method: str,
        template: str,
        path: Mapping[str, str | int],
        query: Mapping[str, QueryValue] | None,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        url = self.client.base_url + fill_path(template, path)
        params = _query(query or {})
        state = _CallState()

        async def attempt(seconds_left: float) -> httpx.Response:
            return await self.client._exchange(
                session=self,
                state=state,
                method=method,
                template=template,
                url=url,
                params=params,
                body=body,
                seconds_left=seconds_left,
            )

        return await call_with_retries(
            attempt,
            method=method,
            path=template,
            policy=self.retry,
            sleep=self.client._sleep,
            clock=self.client._clock,
        )

    async def fetch(
        self,
        endpoint: ep.Endpoint[ModelT],
        path: Mapping[str, str | int],
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> ModelT:
        response = await self._response(
            method=endpoint.method, template=endpoint.template, path=path, query=query, body=body
        )
        try:
            return endpoint.response.model_validate_json(response.content)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()[:3]
            )
            raise UnexpectedResponse(
                f"PlanetScale's answer could not be read ({problems}).",
                method=endpoint.method,
                path=endpoint.template,
                status=response.status_code,
            ) from None

    async def perform(
        self,
        endpoint: ep.BodylessEndpoint,
        path: Mapping[str, str | int],
        *,
        query: Mapping[str, QueryValue] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        await self._response(method=endpoint.method, template=endpoint.template, path=path, query=query, body=body)

    async def fetch_page(
        self,
        endpoint: ep.Endpoint[PageT],
        path: Mapping[str, str | int],
        *,
        query: Mapping[str, QueryValue] | None = None,
        page: int,
        per_page: int,
    ) -> PageT:
        """One page of a list, able to fetch the pages after it (same query, same size) as it is iterated."""
        fetched = await self.fetch(endpoint, path, query={**(query or {}), **_page_params(page, per_page)})

        async def following(number: int) -> PageT:
            return await self.fetch_page(endpoint, path, query=query, page=number, per_page=per_page)

        return fetched.read_on_with(following)


# ----- resources ----------------------------------------------------------------------------------------------------
# Positional arguments are the resource's address (organization, database, branch or number, as in `pscale`);
# everything optional is keyword-only.


class _Resource:
    def __init__(self, session: _UserSession) -> None:
        self._session = session


class Users(_Resource):
    async def current(self) -> User:
        """The user the token belongs to (OAuth scope `user:read_user`)."""
        return await self._session.fetch(ep.GET_CURRENT_USER, {})


class Organizations(_Resource):
    async def list(self, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> Page[Organization]:
        return await self._session.fetch_page(ep.LIST_ORGANIZATIONS, {}, page=page, per_page=per_page)

    async def get(self, organization: str) -> Organization:
        return await self._session.fetch(ep.GET_ORGANIZATION, {"organization": organization})

    async def members(
        self, organization: str, *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> CountedPage[OrganizationMember]:
        """Who belongs to the organization, with their role (OAuth scope `organization:read_organization`)."""
        return await self._session.fetch_page(
            ep.LIST_MEMBERS, {"organization": organization}, page=page, per_page=per_page
        )

    async def admins(self, organization: str) -> builtins.list[User]:
        """The organization's administrators (every page of members): the people who can approve its deploy
        requests."""
        members = await self.members(organization)
        return [member.user async for member in members if member.role == MemberRole.ADMIN]


class Databases(_Resource):
    async def list(
        self, organization: str, *, q: str | None = None, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> CountedPage[Database]:
        return await self._session.fetch_page(
            ep.LIST_DATABASES, {"organization": organization}, query={"q": q}, page=page, per_page=per_page
        )

    async def get(self, organization: str, database: str) -> Database:
        return await self._session.fetch(ep.GET_DATABASE, {"organization": organization, "database": database})


class Branches(_Resource):
    async def list(
        self,
        organization: str,
        database: str,
        *,
        q: str | None = None,
        production: bool | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> CountedPage[Branch]:
        return await self._session.fetch_page(
            ep.LIST_BRANCHES,
            {"organization": organization, "database": database},
            query={"q": q, "production": production},
            page=page,
            per_page=per_page,
        )

    async def get(self, organization: str, database: str, branch: str) -> Branch:
        return await self._session.fetch(
            ep.GET_BRANCH, {"organization": organization, "database": database, "branch": branch}
        )

    async def create(self, organization: str, database: str, name: str, *, parent_branch: str | None = None) -> Branch:
        body: dict[str, Any] = {"name": name}
        if parent_branch is not None:
            body["parent_branch"] = parent_branch
        return await self._session.fetch(
            ep.CREATE_BRANCH, {"organization": organization, "database": database}, body=body
        )

    async def delete(
        self, organization: str, database: str, branch: str, *, delete_descendants: bool | None = None
    ) -> None:
        await self._session.perform(
            ep.DELETE_BRANCH,
            {"organization": organization, "database": database, "branch": branch},
            query={"delete_descendants": delete_descendants},
        )

    async def schema(
        self, organization: str, database: str, branch: str, *, keyspace: str | None = None
    ) -> builtins.list[TableSchema]:
        schema = await self._session.fetch(
            ep.GET_BRANCH_SCHEMA,
            {"organization": organization, "database": database, "branch": branch},
            query={"keyspace": keyspace},
        )
        return schema.data

    async def lint(
        self, organization: str, database: str, branch: str, *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> Page[LintError]:
        return await self._session.fetch_page(
            ep.LINT_BRANCH_SCHEMA,
            {"organization": organization, "database": database, "branch": branch},
            page=page,
            per_page=per_page,
        )


class DeployRequests(_Resource):
    async def list(
        self,
        organization: str,
        database: str,
        *,
        state: str | None = None,
        branch: str | None = None,
        into_branch: str | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> CountedPage[DeployRequest]:
        """`state` filters by `open`, `closed` or `deployed`."""
        return await self._session.fetch_page(
            ep.LIST_DEPLOY_REQUESTS,
            {"organization": organization, "database": database},
            query={"state": state, "branch": branch, "into_branch": into_branch},
            page=page,
            per_page=per_page,
        )

    async def get(self, organization: str, database: str, number: int) -> DeployRequest:
        return await self._session.fetch(ep.GET_DEPLOY_REQUEST, _address(organization, database, number))

    async def create(
        self,
        organization: str,
        database: str,
        *,
        branch: str,
        into_branch: str,
        notes: str | None = None,
        auto_cutover: bool | None = None,
        auto_delete_branch: bool | None = None,
    ) -> DeployRequest:
        """`auto_cutover=False` makes a gated deploy; None inherits the previous deploy request's setting."""
        body = _without_unset(
            {
                "branch": branch,
                "into_branch": into_branch,
                "notes": notes,
                "auto_cutover": auto_cutover,
                "auto_delete_branch": auto_delete_branch,
            }
        )
        return await self._session.fetch(
            ep.CREATE_DEPLOY_REQUEST, {"organization": organization, "database": database}, body=body
        )

    async def close(self, organization: str, database: str, number: int) -> DeployRequest:
        return await self._session.fetch(
            ep.CLOSE_DEPLOY_REQUEST, _address(organization, database, number), body={"state": "closed"}
        )

    async def reviews(
        self, organization: str, database: str, number: int, *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> Page[DeployReview]:
        return await self._session.fetch_page(
            ep.LIST_REVIEWS, _address(organization, database, number), page=page, per_page=per_page
        )

    async def approve(
        self, organization: str, database: str, number: int, *, comment: str | None = None
    ) -> DeployReview:
        body = _without_unset({"state": ReviewState.APPROVED.value, "body": comment})
        return await self._session.fetch(ep.REVIEW_DEPLOY_REQUEST, _address(organization, database, number), body=body)

    async def comment(self, organization: str, database: str, number: int, *, body: str) -> DeployReview:
        return await self._session.fetch(
            ep.REVIEW_DEPLOY_REQUEST,
            _address(organization, database, number),
            body={"state": ReviewState.COMMENTED.value, "body": body},
        )

    async def deploy(
        self, organization: str, database: str, number: int, *, instant_ddl: bool = False
    ) -> DeployRequest:
        """Add to the deploy queue. Instant DDL deploys cannot be reverted or gated."""
        return await self._session.fetch(
            ep.QUEUE_DEPLOY_REQUEST, _address(organization, database, number), body={"instant_ddl": instant_ddl}
        )

    async def set_auto_apply(self, organization: str, database: str, number: int, *, enable: bool) -> DeployRequest:
        """Auto-apply on (cut over when the copy is done) or off (a gated deploy, waiting for `apply_deploy`)."""
        return await self._session.fetch(
            ep.UPDATE_AUTO_APPLY, _address(organization, database, number), body={"enable": enable}
        )

    async def force_cutover(self, organization: str, database: str, number: int) -> DeployRequest:
        """Stop waiting for the table lock of a cutover in `in_progress_cutover`: the blocking queries are ended."""
        return await self._session.fetch(ep.FORCE_CUTOVER, _address(organization, database, number))

    async def apply_deploy(self, organization: str, database: str, number: int) -> DeployRequest:
        """Cut over a gated deploy waiting in `pending_cutover`."""
        return await self._session.fetch(ep.APPLY_DEPLOY, _address(organization, database, number))

    async def cancel(self, organization: str, database: str, number: int) -> DeployRequest:
        return await self._session.fetch(ep.CANCEL_DEPLOY, _address(organization, database, number))

    async def revert(self, organization: str, database: str, number: int) -> DeployRequest:
        return await self._session.fetch(ep.REVERT_DEPLOY, _address(organization, database, number))

    async def skip_revert(self, organization: str, database: str, number: int) -> DeployRequest:
        return await self._session.fetch(ep.SKIP_REVERT, _address(organization, database, number))

    async def complete_deploy(self, organization: str, database: str, number: int) -> DeployRequest:
        """Unblock the queue after `complete_error` / `complete_revert_error`."""
        return await self._session.fetch(ep.COMPLETE_DEPLOY, _address(organization, database, number))

    async def operations(
        self, organization: str, database: str, number: int, *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> Page[DeployOperation]:
        return await self._session.fetch_page(
            ep.LIST_OPERATIONS, _address(organization, database, number), page=page, per_page=per_page
        )

    async def deployment(self, organization: str, database: str, number: int) -> Deployment:
        return await self._session.fetch(ep.GET_DEPLOYMENT, _address(organization, database, number))


class DeployQueue(_Resource):
    async def list(
        self, organization: str, database: str, *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> Page[Deployment]:
        """The deployments in the order they will run."""
        return await self._session.fetch_page(
            ep.GET_DEPLOY_QUEUE,
            {"organization": organization, "database": database},
            page=page,
            per_page=per_page,
        )


class Passwords(_Resource):
    async def list(
        self, organization: str, database: str, branch: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> CountedPage[Password]:
        return await self._session.fetch_page(
            ep.LIST_PASSWORDS,
            {"organization": organization, "database": database, "branch": branch},
            page=page,
            per_page=per_page,
        )

    async def create(
        self,
        organization: str,
        database: str,
        branch: str,
        *,
        name: str | None = None,
        role: str | None = None,
        ttl_seconds: int | None = None,
        replica: bool | None = None,
    ) -> Password:
        """The answer is the only time `plain_text` is set: show it once, ephemerally, and never store it."""
        body = _without_unset({"name": name, "role": role, "ttl": ttl_seconds, "replica": replica})
        return await self._session.fetch(
            ep.CREATE_PASSWORD, {"organization": organization, "database": database, "branch": branch}, body=body
        )

    async def delete(self, organization: str, database: str, branch: str, password_id: str) -> None:
        await self._session.perform(
            ep.DELETE_PASSWORD,
            {"organization": organization, "database": database, "branch": branch, "id": password_id},
        )


class Webhooks(_Resource):
    async def list(
        self, organization: str, database: str, *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> Page[Webhook]:
        address = {"organization": organization, "database": database}
        return await self._session.fetch_page(ep.LIST_WEBHOOKS, address, page=page, per_page=per_page)

    async def create(
        self, organization: str, database: str, *, url: str, events: Sequence[str] | None = None, enabled: bool = True
    ) -> Webhook:
        body = _without_unset({"url": url, "enabled": enabled, "events": None if events is None else list(events)})
        return await self._session.fetch(
            ep.CREATE_WEBHOOK, {"organization": organization, "database": database}, body=body
        )

    async def delete(self, organization: str, database: str, webhook_id: str) -> None:
        await self._session.perform(
            ep.DELETE_WEBHOOK, {"organization": organization, "database": database, "id": webhook_id}
        )

    async def test(self, organization: str, database: str, webhook_id: str) -> None:
        """Ask PlanetScale to send a `webhook.test` event (at most one per 20 s)."""
        await self._session.perform(
            ep.TEST_WEBHOOK, {"organization": organization, "database": database, "id": webhook_id}
        )


def _address(organization: str, database: str, number: int) -> dict[str, str | int]:
    return {"organization": organization, "database": database, "number": number}


def _without_unset(values: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body without the fields the caller left unset."""
    return {name: value for name, value in values.items() if value is not None}


class PlanetScaleAPI:
    """PlanetScale as one user sees it; get one from `PlanetScaleClient.as_user`."""

    def __init__(self, session: _UserSession) -> None:
        self.users = Users(session)
        self.organizations = Organizations(session)
        self.databases = Databases(session)
        self.branches = Branches(session)
        self.deploy_requests = DeployRequests(session)
        self.deploy_queue = DeployQueue(session)
        self.passwords = Passwords(session)
        self.webhooks = Webhooks(session)
