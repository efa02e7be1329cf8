"""Assembles the Starlette app every mode serves; the lifespan starts and drains the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import CONTENT_TYPE
from bot.render.message import Message
from bot.runtime import Runtime
from bot.web.oauth_pages import create_oauth_routes
from bot.web.webhooks import create_webhook_routes


def create_web_app(*, runtime: Runtime, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_: Request) -> Response:
        if runtime.database.is_ready():
            return JSONResponse({"ready": True})
        return JSONResponse({"ready": False, "reason": "database not open or not migrated"}, status_code=503)

    async def metrics(_: Request) -> Response:
        return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    async def post_to_channel(channel: str, message: Message) -> None:
        await runtime.slack_port.post_message(channel=channel, message=message)

    routes.extend(
        create_webhook_routes(
            watches=runtime.watches, once=runtime.once, tasks=runtime.tasks, post=post_to_channel,
            cards=runtime.cards,
        )
    )
    routes.extend(create_oauth_routes(runtime.linking.flow, public_url=runtime.settings.public_url()))
    if runtime.slack_events is not None:
        routes.append(Route("/slack/events", runtime.slack_events.handle, methods=["POST"]))
    routes.extend(extra_routes)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    return Starlette(routes=routes, lifespan=lifespan)
