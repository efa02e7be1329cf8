"""`/healthz` (the process answers), `/readyz` (the database is open and migrated) and `/metrics` (Prometheus)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.metrics import CONTENT_TYPE, Metrics
from bot.storage import Database


def create_health_routes(*, database: Database, metrics: Metrics) -> list[BaseRoute]:
    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_: Request) -> Response:
        if await database.is_ready():
            return JSONResponse({"ready": True})
        return JSONResponse({"ready": False, "reason": "database not open or not migrated"}, status_code=503)

    async def metrics_page(_: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
