"""The baseline for the ack benchmarks: the least a bolt app can do to answer `/pscale`, served as the bot is.

    SLACK_SIGNING_SECRET=… .venv/bin/python -m bench.bare_bolt --port P

One `AsyncApp` with `process_before_response=True` (as the bot's), an `authorize` that makes no Slack call (as the
bot's), one listener that acks every `/pscale` with a fixed text and one that acks every button click. It is served
by uvicorn with the same options as `pscale-bot serve` (bot/cli.py), behind bolt's own Starlette adapter, which
verifies the signature as the bot's endpoint does. What the bot spends beyond this is its own work: parsing,
storage, rendering, its follow-ups.
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def bare_app(signing_secret: str) -> Starlette:
    async def authorize(**context: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=context.get("enterprise_id"), team_id=context.get("team_id"),
                               bot_token="xoxb-bare-bolt-baseline")

    bolt = AsyncApp(signing_secret=signing_secret, authorize=authorize, process_before_response=True)

    @bolt.command("/pscale")
    async def pscale(ack: AsyncAck) -> None:
        await ack("Acknowledged.")

    @bolt.action(re.compile(".+"))
    async def clicked(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(bare_app(os.environ["SLACK_SIGNING_SECRET"]), host=args.host, port=args.port, log_config=None,
                access_log=False, lifespan="off", http="httptools")


if __name__ == "__main__":
    main()
