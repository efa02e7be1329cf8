"""Socket Mode: the same bolt app, fed over a WebSocket that the bot opens to Slack (no public URL needed)."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


class SocketModeConnection:
    def __init__(self, *, app: AsyncApp, app_token: str, client: AsyncWebClient) -> None:
        self._app = app
        self._app_token = app_token
        self._base_url = client.base_url
        self._handler: AsyncSocketModeHandler | None = None

    async def connect(self) -> None:
        # Built here, inside the server's event loop: slack_sdk's socket client binds to the loop that is current
        # when it is constructed, and the runtime is assembled before uvicorn starts its loop.
        web_client = AsyncWebClient(token=self._app_token, base_url=self._base_url, timeout=10)
        self._handler = AsyncSocketModeHandler(self._app, app_token=self._app_token, web_client=web_client)
        await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        if self._handler is not None:
            await self._handler.close_async()  # type: ignore[no-untyped-call]
            self._handler = None
