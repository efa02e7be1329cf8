"""`POST /slack/events`: signature, the payload's shape, workspace pinning, then bolt — in that order (after the size
and time limits every route has, bot/web/body.py), so that nothing parses an unsigned body, and no malformed request
can reach code that might answer 500. Whatever happens after the signature checks out, Slack gets a 2xx: it retries
failures and disables an app's event subscriptions when more than 5% of deliveries fail within an hour."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_team_id
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.metrics import Metrics
from bot.slack.inbound import Inbound, Unreadable, for_bolt, read_inbound
from bot.slack.verify import SlackRequestVerifier

log = logging.getLogger(__name__)

class SlackEventsEndpoint:
    """The ASGI endpoint in front of bolt's `AsyncApp.async_dispatch`."""

    def __init__(
        self,
        *,
        bolt_app: AsyncApp,
        verifier: SlackRequestVerifier,
        metrics: Metrics,
        team_id: str | None,
    ) -> None:
        self._bolt = bolt_app
        self._verifier = verifier
        self._metrics = metrics
        self._team_id = team_id

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        body = await request.body()  # at most 1 MB, read within its deadline (bot/web/body.py)
        headers = _slack_headers(request.scope["headers"])
        if not self._verifier.is_valid_request(body=body, headers=headers):
            self._metrics.count_slack_request("unauthorized")
            return JSONResponse({"error": "invalid request"}, status_code=401)
        text = body.decode("utf-8")  # verified above to be UTF-8
        try:
            payload = read_inbound(text, headers.get("content-type"))
        except Unreadable as unreadable:
            # Signed by Slack's secret yet nothing the bot understands: answering anything but 2xx only brings
            # retries. The body is not logged: it may hold what people typed.
            self._metrics.count_slack_request("unreadable")
            log.warning("acknowledged and dropped a signed Slack request the bot cannot read: %s", unreadable.reason)
            return Response(status_code=200)
        if self._team_id is not None and not self._from_pinned_team(payload):
            self._metrics.count_slack_request("wrong_team")
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            # Bolt takes an already parsed body only in its "socket_mode" request mode, which otherwise differs from
            # "http" only in skipping bolt's signature check (disabled: verified above, on the bytes Slack signed).
            # Handing it the checked dict saves writing the payload out again and bolt parsing it a second time.
            bolt_response = await self._bolt.async_dispatch(
                AsyncBoltRequest(
                    body=for_bolt(payload), query=request.scope["query_string"].decode("latin-1"),
                    headers=dict(headers), mode="socket_mode",
                )
            )
        except Exception:  # bolt's own code around the listeners; the listeners' failures reach `app.error`
            reference = secrets.token_hex(4)
            log.exception("bolt failed on a checked Slack request (reference %s)", reference)
            return Response(status_code=200)
        self._metrics.count_slack_request("accepted")
        self._metrics.observe_ack(time.perf_counter() - started)
        if bolt_response.status >= 400:
            # Bolt answers 404 to a payload no listener matched (a shortcut, a button the bot no longer draws).
            log.info("no listener for a %s request; acknowledged (bolt said %d)", type(payload).__name__,
                     bolt_response.status)
            return Response(status_code=200)
        return Response(
            content=bolt_response.body,
            status_code=bolt_response.status,
            headers={name: values[0] for name, values in bolt_response.headers.items() if values},
        )

    def _from_pinned_team(self, payload: Inbound) -> bool:
        if self._team_id is None:
            return True
        return from_workspace(payload.model_dump(mode="json", exclude_unset=True), self._team_id)


def _slack_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers this endpoint and bolt read, in one pass over the raw list: the content type and Slack's own
    (`X-Slack-Signature`, `-Request-Timestamp`, `-Retry-Num`…; bolt reads the retry count and reason). ASGI gives
    names in lower case; a header sent twice counts by its first value, as Starlette's `Headers.get` has it.
    Starlette's `Headers` decodes and compares every name on each lookup, four lookups an ack."""
    headers: dict[str, str] = {}
    for name, value in raw:
        if name.startswith(b"x-slack-") or name == b"content-type":
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return headers


def from_workspace(payload: Mapping[str, Any], team_id: str) -> bool:
    """Whether a payload (over HTTP or Socket Mode) comes from the workspace `SLACK_TEAM_ID` pins."""
    if payload.get("type") == "url_verification":  # Slack's set-up handshake names no workspace
        return True
    return bool(extract_team_id(dict(payload)) == team_id)
