"""A second process for tests/linking/test_refresh.py: reads one user's access token many times at once.

    python -m tests.linking.refresh_worker '<json settings>'

Prints `ready`, waits for a line on stdin (so both processes start their storms together), then prints the tokens
it got as one JSON list. It shares nothing with the test process but the database file and the OAuth server.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from bot.linking import AccountLinking, OAuthApp
from bot.planetscale import PlanetScaleClient
from bot.ports import SlackPerson
from bot.storage import open_database


class _NoSlack:
    async def tell_linked(self, *, team_id: str, user_id: str, planetscale_name: str) -> None:
        raise AssertionError("the worker was not meant to tell anyone anything")

    async def tell_link_stopped_working(self, *, team_id: str, user_id: str) -> None:
        raise AssertionError("the worker was not meant to tell anyone anything")

    async def person(self, *, team_id: str, user_id: str) -> SlackPerson | None:
        raise AssertionError("the worker was not meant to look anyone up")


async def main(settings: dict[str, Any]) -> None:
    database = await open_database(settings["database"])
    offset = float(settings["clock_offset"])
    async with PlanetScaleClient(base_url=settings["api_url"]) as client:
        linking = AccountLinking.build(
            database=database,
            keys=settings["keys"],
            app=OAuthApp(**settings["app"]),
            planetscale=client,
            notifier=_NoSlack(),
            directory=_NoSlack(),
            public_url=settings["public_url"],
            clock=lambda: time.time() + offset,
        )
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        tokens = await asyncio.gather(
            *(
                linking.token_provider(settings["team_id"], settings["user_id"]).access_token()
                for _ in range(settings["count"])
            )
        )
    await database.close()
    print(json.dumps(tokens), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
