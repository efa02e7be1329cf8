"""`POST /slack/events`: size limit, signature, workspace pinning, then bolt — in that order, so that nothing parses
a body that is too large or unsigned, and no malformed request can reach code that might answer 500."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_team_id, parse_body
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.metrics import Metrics
from bot.slack.verify import SlackRequestVerifier

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, *, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class SlackEventsEndpoint:
    """The ASGI endpoint in front of bolt's `AsyncApp.async_dispatch`."""

    def __init__(
        self,
        *,
        bolt_app: AsyncApp,
        verifier: SlackRequestVerifier,
        metrics: Metrics,
        team_id: str | None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._bolt = bolt_app
        self._verifier = verifier
        self._metrics = metrics
        self._team_id = team_id
        self._limit = max_body_bytes

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await _read_body(request, limit=self._limit)
        except _TooLarge:
            self._metrics.slack_requests.labels("too_large").inc()
            return JSONResponse({"error": "request body too large"}, status_code=413)
        if not self._verifier.is_valid_request(body=body, headers=request.headers):
            self._metrics.slack_requests.labels("unauthorized").inc()
            return JSONResponse({"error": "invalid request"}, status_code=401)
        text = body.decode("utf-8")  # verified above to be UTF-8
        headers: dict[str, str | Sequence[str]] = dict(request.headers.items())
        if self._team_id is not None and not self._from_pinned_team(text, request.headers.get("content-type")):
            self._metrics.slack_requests.labels("wrong_team").inc()
            return JSONResponse({"error": "invalid request"}, status_code=401)
        bolt_response = await self._bolt.async_dispatch(
            AsyncBoltRequest(body=text, query=request.url.query, headers=headers)
        )
        self._metrics.slack_requests.labels("accepted").inc()
        self._metrics.slack_ack_seconds.observe(time.perf_counter() - started)
        return Response(
            content=bolt_response.body,
            status_code=bolt_response.status,
            headers={name: values[0] for name, values in bolt_response.headers.items() if values},
        )

    def _from_pinned_team(self, text: str, content_type: str | None) -> bool:
        try:
            payload = parse_body(text, content_type)
        except ValueError:
            return False
        return self._team_id is None or from_workspace(payload, self._team_id)


def from_workspace(payload: Mapping[str, Any], team_id: str) -> bool:
    """Whether a payload (over HTTP or Socket Mode) comes from the workspace `SLACK_TEAM_ID` pins."""
    if payload.get("type") == "url_verification":  # Slack's set-up handshake names no workspace
        return True
    return bool(extract_team_id(dict(payload)) == team_id)
