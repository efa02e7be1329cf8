"""`SlackStandIn`: Slack's Web API, `response_url`s and Socket Mode as one ASGI app, recording what the bot does.

Serve `standin.app` (tests: `tests/support/slack.py::serve_slack_standin`; the sandbox mounts it), set
`standin.base_url` to where it is reachable, and point the bot's `SLACK_API_URL` at `standin.api_url`.
"""

# Waits take a `timeout` argument (ASYNC109) on purpose: a test waiting for a call that never comes must fail
# with a message that lists what did arrive, not hang until the suite's own timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from bot.sandbox.connection import drop_connection
from bot.sandbox.slack.pacing import Pacing
from bot.sandbox.slack.recorder import Predicate, Recorder
from bot.sandbox.slack.response_urls import ResponseUrlPost, ResponseUrls
from bot.sandbox.slack.scopes import MissingScope, published_scopes
from bot.sandbox.slack.socket_mode import SocketModeServer
from bot.sandbox.slack.webapi import ApiCall, Call, Method, WebApi, decode_arguments
from bot.sandbox.slack.workspace import JSON, Clock, SlackChannel, SlackError, SlackUser, StoredMessage, Workspace

RESPONSE_PATH = "/response/"
# Placeholders the stand-in accepts by default; not secrets of any real workspace.
DEFAULT_BOT_TOKEN = "xoxb-standin-bot-token"  # noqa: S105
DEFAULT_APP_TOKEN = "xapp-standin-app-token"  # noqa: S105
# What an app-level token is given for Socket Mode: https://api.slack.com/apis/socket-mode
APP_TOKEN_SCOPES = frozenset({"connections:write"})
# Where `_ServerSend` keeps the server's own `send` in a request's scope, for `drop_answer` to reset the connection.
SERVER_SEND = "pscale.server_send"


@dataclass
class _RateLimit:
    retry_after: int | str
    remaining: int


async def _answer_after(request: Request, seconds: float) -> None:
    """Hold an answer `seconds`, or until its client has gone (nobody would read it then). The body has been read,
    so what the server receives next is the disconnect."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while (await request.receive())["type"] != "http.disconnect":
                pass


class _ServerSend(Starlette):
    """Starlette that notes the server's own `send` in each request's scope: Starlette's layers wrap `send`, and
    only uvicorn's own one reaches the connection a dropped answer resets."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _arguments(request: Request) -> dict[str, Any]:
    """Query string plus the body, which slack_sdk sends as a form or as JSON depending on the method."""
    raw: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if not body:
        return raw
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            parsed = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SlackError("invalid_json") from None
        if not isinstance(parsed, dict):
            raise SlackError("invalid_json")
        raw.update(parsed)
    else:
        raw.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return raw


class SlackStandIn:
    """One workspace with a bot user; see the module docstring for how to serve it.

    `scopes` are the bot token's scopes, as installing the app from a manifest grants them: every Web API call is
    held to them as Slack holds it (`missing_scope`), and every answer names them in `X-OAuth-Scopes`."""

    def __init__(
        self,
        *,
        scopes: Iterable[str],
        bot_token: str = DEFAULT_BOT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        team_id: str = "T0SANDBOX01",
        team_domain: str = "pscale-sandbox",
        team_name: str = "PlanetScale Sandbox",
        bot_user_id: str = "U0PSCALEBOT",
        bot_id: str = "B0PSCALEBOT",
        bot_name: str = "pscale",
        api_app_id: str = "A0PSCALEBOT",
        base_url: str = "",
        clock: Clock = time.time,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes = frozenset(scopes)
        self.bot_name = bot_name
        self.base_url = base_url.rstrip("/")
        self.workspace = Workspace(
            team_id=team_id,
            team_domain=team_domain,
            team_name=team_name,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            api_app_id=api_app_id,
            clock=clock,
        )
        self.calls: Recorder[ApiCall] = Recorder("Web API call")
        self.response_posts: Recorder[ResponseUrlPost] = Recorder("response_url POST")
        self.socket = SocketModeServer(api_app_id=api_app_id)
        self._response_urls = ResponseUrls(self.workspace)
        self._rate_limits: dict[str, list[_RateLimit]] = {}
        self._late_answers: dict[str, list[float]] = {}
        self._dropped_answers: dict[str, int] = {}
        self._pacing = Pacing(clock)
        self._scope_table = published_scopes()
        self._api = WebApi(self.workspace, bot_name=bot_name, connections_url=self._socket_url)

    # -- where it lives ------------------------------------------------------------------------------------
    def _base(self) -> str:
        if not self.base_url:
            raise RuntimeError("SlackStandIn.base_url is not set: set it to where standin.app is served")
        return self.base_url

    @property
    def api_url(self) -> str:
        """The bot's `SLACK_API_URL` (with the trailing slash slack_sdk expects)."""
        return f"{self._base()}/api/"

    def _socket_url(self) -> str:
        base = self._base()
        scheme, _, rest = base.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/socket-mode?ticket={self.socket.new_ticket()}"

    @cached_property
    def app(self) -> Starlette:
        return _ServerSend(
            routes=[
                Route("/api/{method}", self._web_api, methods=["GET", "POST"]),
                Route(RESPONSE_PATH + "{key}", self._response_url, methods=["POST"]),
                WebSocketRoute("/socket-mode", self.socket.endpoint),
            ]
        )

    # -- set-up --------------------------------------------------------------------------------------------
    @property
    def team_id(self) -> str:
        return self.workspace.team_id

    @property
    def bot_user_id(self) -> str:
        return self.workspace.bot_user_id

    def methods(self) -> frozenset[str]:
        """Every Web API method the stand-in answers (for any token)."""
        return frozenset(self._api.bot_methods) | frozenset(self._api.app_methods)

    def add_user(self, user: SlackUser) -> SlackUser:
        return self.workspace.add_user(user)

    def add_channel(self, channel: SlackChannel) -> SlackChannel:
        return self.workspace.add_channel(channel)

    def rate_limit(self, method: str, *, retry_after: int | str = 1, times: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 with `Retry-After: retry_after`: seconds, as Slack sends
        it, or any text, for a client that must survive a header it cannot read."""
        with self.workspace.lock:
            self._rate_limits.setdefault(method, []).append(_RateLimit(retry_after, times))

    def answer_late(self, method: str, *, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out at once but answered `seconds` later: Slack acted, and
        a client that gives up first cannot know it did."""
        with self.workspace.lock:
            self._late_answers.setdefault(method, []).extend([seconds] * times)

    def drop_answer(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out, and then their connection is reset instead of
        answered: Slack acted, and the client, whose request had been sent, cannot know it did. Needs `app` served
        by uvicorn itself (as tests serve it), not mounted in another app."""
        with self.workspace.lock:
            self._dropped_answers[method] = self._dropped_answers.get(method, 0) + times

    def new_response_url(
        self,
        *,
        channel: str,
        user: str,
        team: str | None = None,
        message_ts: str | None = None,
        message_is_ephemeral: bool = False,
    ) -> str:
        """A fresh `response_url`; pass `message_ts` when it belongs to a click on that message."""
        key = self._response_urls.issue(
            channel=channel,
            user=user,
            team=team or self.team_id,
            message_ts=message_ts,
            message_is_ephemeral=message_is_ephemeral,
        )
        return f"{self._base()}{RESPONSE_PATH}{key}"

    def new_trigger_id(self, user: str) -> str:
        """A trigger id `views.open` accepts once, within 3 s, for `user`'s screen."""
        return self.workspace.new_trigger_id(user)

    # -- what tests look at --------------------------------------------------------------------------------
    def messages(self, channel: str | None = None, *, viewer: str | None = None) -> list[StoredMessage]:
        """Live messages in posting order; ephemerals only those shown to `viewer`."""
        return self.workspace.messages(channel, viewer=viewer)

    async def wait_call(
        self, method: str, *, where: Predicate[ApiCall] | None = None, since: int = 0, timeout: float = 5.0
    ) -> ApiCall:
        """The first call of `method` (from index `since` of `calls`) that matches `where`."""
        return await self.calls.wait(
            lambda call: call.method == method and (where is None or where(call)), since=since, timeout=timeout
        )

    def wait_call_blocking(
        self, method: str, *, where: Predicate[ApiCall] | None = None, since: int = 0, timeout: float = 5.0
    ) -> ApiCall:
        return self.calls.wait_blocking(
            lambda call: call.method == method and (where is None or where(call)), since=since, timeout=timeout
        )

    async def wait_response(
        self, *, where: Predicate[ResponseUrlPost] | None = None, since: int = 0, timeout: float = 5.0
    ) -> ResponseUrlPost:
        """The first `response_url` POST (from index `since`) that matches `where`."""
        return await self.response_posts.wait(where, since=since, timeout=timeout)

    # -- HTTP ----------------------------------------------------------------------------------------------
    def _take_rate_limit(self, method: str) -> int | str | None:
        with self.workspace.lock:
            pending = self._rate_limits.get(method)
            if not pending:
                return None
            limit = pending[0]
            limit.remaining -= 1
            if limit.remaining <= 0:
                pending.pop(0)
            return limit.retry_after

    def _method_for(self, method: str, token: str | None) -> tuple[Method, frozenset[str]]:
        """The handler and the scopes of the token that calls it."""
        if method not in self._api.bot_methods and method not in self._api.app_methods:
            raise SlackError("unknown_method")
        if not token:
            raise SlackError("not_authed")
        if token not in {self.bot_token, self.app_token}:
            raise SlackError("invalid_auth")
        is_app = token == self.app_token
        table = self._api.app_methods if is_app else self._api.bot_methods
        if method not in table:
            raise SlackError("not_allowed_token_type")
        return table[method], APP_TOKEN_SCOPES if is_app else self.scopes

    def _paced(self, method: str, args: JSON) -> int | str | None:
        """`Retry-After` seconds if Slack would say `ratelimited` now (scripted by `rate_limit`, or by the tier)."""
        scripted = self._take_rate_limit(method)
        if scripted is not None:
            return scripted
        with self.workspace.lock:
            channel = args.get("channel")
            return self._pacing.admit(method, channel=channel if isinstance(channel, str) else None)

    def _scope_headers(self, method: str, held: frozenset[str] | None) -> dict[str, str]:
        """Slack names the token's scopes, and those the method accepts, on every answer to an authenticated call."""
        if held is None:
            return {}
        accepted = self._scope_table.accepted(method) if method in self._scope_table else ()
        return {"X-OAuth-Scopes": ",".join(sorted(held)), "X-Accepted-OAuth-Scopes": ",".join(accepted)}

    async def _web_api(self, request: Request) -> Response:
        method = request.path_params["method"]
        args: JSON = {}
        held: frozenset[str] | None = None
        call: Call | None = None
        try:
            raw = await _arguments(request)
            token = _bearer(request) or raw.get("token")
            args = decode_arguments(raw)
            handler, held = self._method_for(method, token if isinstance(token, str) else None)
            retry_after = self._paced(method, args)
            if retry_after is not None:
                body: JSON = {"ok": False, "error": "ratelimited"}
                self.calls.append(ApiCall(method, args, 429, body))
                headers = {**self._scope_headers(method, held), "Retry-After": str(retry_after)}
                return JSONResponse(body, status_code=429, headers=headers)
            call = Call(args, held)
            channel = self.workspace.visible_channel(args.get("channel"))
            granted = self._scope_table.grant(method, held, channel.kind if channel else None)
            if granted is not None:
                call.relies_on(granted)
            body = {"ok": True, **(await handler(call))}
        except MissingScope as missing:
            body = missing.body()
        except SlackError as error:
            body = error.body()
        # How it is answered is settled before the call is recorded: a test that waits for this call and then asks
        # for the next one to be answered late or dropped must not have its fault taken by this one.
        with self.workspace.lock:
            late = self._late_answers.get(method)
            delay = late.pop(0) if late else None
            dropped = self._dropped_answers.get(method, 0) > 0
            if dropped:
                self._dropped_answers[method] -= 1
        self.calls.append(ApiCall(method, args, 200, body, tuple(call.used) if call and body["ok"] else ()))
        if dropped:
            await drop_connection(request.scope[SERVER_SEND], request.receive)
            return Response()  # goes nowhere: the connection is gone
        if delay is not None:
            await _answer_after(request, delay)
        return JSONResponse(body, headers=self._scope_headers(method, held))

    async def _response_url(self, request: Request) -> Response:
        received_at = time.perf_counter()
        key = request.path_params["key"]
        outcome, body = self._response_urls.apply(key, await request.body())
        where = self._response_urls.where(key)
        self.response_posts.append(
            ResponseUrlPost(
                url=str(request.url),
                body=body,
                status=outcome.status,
                error=outcome.error,
                channel=where[0] if where else None,
                user=where[1] if where else None,
                message_ts=outcome.message_ts,
                received_at=received_at,
            )
        )
        if outcome.error is not None:
            return JSONResponse({"ok": False, "error": outcome.error}, status_code=outcome.status)
        return JSONResponse({"ok": True})
