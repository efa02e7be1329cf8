"""Socket Mode: the same bolt app, fed over a WebSocket that the bot opens to Slack (no public URL needed)."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.events_endpoint import from_workspace
from bot.slack.inbound import Unreadable, read_socket_payload

log = logging.getLogger(__name__)


class _RetriesOnOneLine(logging.Filter):
    """slack_sdk logs each failed attempt to connect with `logger.exception`, so while Slack cannot be reached every
    retry (one each ping interval, 10 s) wrote the same traceback again. The first failure since the last connection
    keeps its traceback (its reason, and where it came from); the retries after it keep their one line, which still
    names their error, until a connection is made again."""

    def __init__(self) -> None:
        super().__init__()
        self._failing = False

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)  # slack_sdk formats its messages itself (f-strings): no arguments to merge
        if message.startswith(_CONNECTED):
            self._failing = False
        elif message.startswith(_FAILED_TO_CONNECT):
            if self._failing:
                record.exc_info = None
                record.exc_text = None
            self._failing = True
        return True


# How slack_sdk's Socket Mode client (slack_sdk/socket_mode/aiohttp/__init__.py, `connect`) words the two.
_CONNECTED = "A new session ("
_FAILED_TO_CONNECT = "Failed to connect (error: "


class SocketModeConnection:
    def __init__(self, *, app: AsyncApp, app_token: str, client: AsyncWebClient, team_id: str | None) -> None:
        self._app = app
        self._app_token = app_token
        self._base_url = client.base_url
        self._team_id = team_id
        self._handler: AsyncSocketModeHandler | None = None
        self._retries_on_one_line = _RetriesOnOneLine()

    async def connect(self) -> None:
        # Built here, inside the server's event loop: slack_sdk's socket client binds to the loop that is current
        # when it is constructed, and the runtime is assembled before uvicorn starts its loop.
        web_client = AsyncWebClient(token=self._app_token, base_url=self._base_url, timeout=10)
        self._handler = AsyncSocketModeHandler(self._app, app_token=self._app_token, web_client=web_client)
        # Ours in place of bolt's listener: the workspace pin first, as /slack/events applies it in HTTP mode.
        self._handler.client.socket_mode_request_listeners = [self._handle]
        # On the client's logger (bolt's, which it shares) while this connection lives: `close` takes it off again.
        self._handler.client.logger.addFilter(self._retries_on_one_line)
        await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def _handle(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        try:
            # Checked as /slack/events checks a body: bolt and the listeners see only what the models let through.
            request.payload = read_socket_payload(request.type, request.payload)
        except Unreadable as unreadable:
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            log.warning("acknowledged and dropped a Socket Mode envelope the bot cannot read: %s", unreadable.reason)
            return
        if self._team_id is not None and not from_workspace(request.payload, self._team_id):
            # Acked, so Slack does not send it again, and otherwise ignored: nothing runs for another workspace.
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
            log.warning("ignored a Socket Mode %s envelope from a workspace other than SLACK_TEAM_ID", request.type)
            return
        if self._handler is not None:  # None only once closed, when nothing more is handled
            await self._handler.handle(client, request)  # type: ignore[arg-type]

    async def close(self) -> None:
        if self._handler is not None:
            await self._handler.close_async()  # type: ignore[no-untyped-call]
            self._handler.client.logger.removeFilter(self._retries_on_one_line)
            self._handler = None
