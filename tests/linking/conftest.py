"""A linking rig: the bot's OAuth pages served for real, PlanetScale's API and OAuth stand-ins, a clock to move.

The pages run in uvicorn's thread and event loop. Domain calls a test makes (`whoami`, token reads) go through a
second `AccountLinking` on the same database, built in the test's own loop by `rig.linking()`: like a second
worker, and it keeps each httpx client in the loop that made it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.linking import CALLBACK_PATH, AccountLinking, Grant, GrantStore, OAuthApp, SecretBox
from bot.planetscale import PlanetScaleClient
from bot.ports import SlackPerson
from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.planetscale.oauth import AutoApprove, PlanetScaleOAuthServer
from bot.storage import Database, open_database
from bot.web.oauth_pages import create_oauth_routes
from tests.support.oauth_browser import Browser
from tests.support.planetscale import ServedPlanetScale, serve_planetscale
from tests.support.servers import bind_loopback, loopback_client, serve_asgi

TEAM = "T0LINKTEST1"
ALICE_SLACK = "U0ALICE0001"
BOB_SLACK = "U0BOB000001"
CLIENT_ID = "linking-test-client"
CLIENT_SECRET = "linking-test-client-secret"
OAUTH_MOUNT = "/planetscale-auth"
SCOPES = ("user:read_user", "user:read_organizations", "organization:read_databases")


class MovableClock:
    """Wall time plus an offset the test moves; thread-safe enough (a float read)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(frozen=True)
class Notice:
    team_id: str
    user_id: str
    what: Literal["linked", "link stopped working"]
    planetscale_name: str | None = None


@dataclass
class RecordingNotifier:
    """What linking asked the transport to tell people (the wording is the transport's, tested end to end)."""

    notices: list[Notice] = field(default_factory=list)

    async def tell_linked(self, *, team_id: str, user_id: str, planetscale_name: str) -> None:
        self.notices.append(Notice(team_id, user_id, "linked", planetscale_name))

    async def tell_link_stopped_working(self, *, team_id: str, user_id: str) -> None:
        self.notices.append(Notice(team_id, user_id, "link stopped working"))

    async def person(self, *, team_id: str, user_id: str) -> SlackPerson | None:
        """Slack says nothing of anyone here: the rig tests the OAuth mechanics with the identity check off (it is
        tested through the running bot and the Slack stand-in, tests/linking/test_identity_match.py)."""
        return None


@dataclass
class RecordingSleep:
    """Stands in for asyncio.sleep where the code waits on purpose (the 2 s retry after a fresh token's 401)."""

    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class Rig:
    base_url: str
    app: OAuthApp
    oauth: PlanetScaleOAuthServer
    planetscale: ServedPlanetScale
    database: Database
    db_path: Path
    keys: list[str]
    clock: MovableClock
    notifier: RecordingNotifier
    sleep: RecordingSleep
    exits: AsyncExitStack
    web_linking: AccountLinking = field(init=False)  # the service behind the served pages

    @property
    def world(self) -> World:
        return self.planetscale.world

    def user_id(self, name: str) -> str:
        return next(user.id for user in self.world.users.values() if user.name == name)

    async def linking(
        self, *, keys: list[str] | None = None, database: Database | None = None, app: OAuthApp | None = None
    ) -> AccountLinking:
        """A linking service in the test's loop, on the rig's database (or another connection to it)."""
        client = await self.exits.enter_async_context(PlanetScaleClient(base_url=self.planetscale.base_url))
        return AccountLinking.build(
            database=database or self.database,
            keys=keys or self.keys,
            app=app or self.app,
            planetscale=client,
            notifier=self.notifier,
            directory=self.notifier,
            match_email=False,
            public_url=self.base_url,
            clock=self.clock,
            sleep=self.sleep,
        )

    async def link(self, user_id: str = ALICE_SLACK) -> AccountLinking:
        """Link `user_id` (Slack) through the real pages, as PlanetScale's Alice unless the consent says otherwise."""
        with loopback_client(timeout=10) as http:
            page = Browser(http).link(await self.start_url(user_id=user_id))
        assert page.status_code == 200, page.text
        return await self.linking()

    async def stored(self, user_id: str = ALICE_SLACK) -> Grant:
        grant = await GrantStore(self.database, SecretBox(self.keys)).load(TEAM, user_id)
        assert isinstance(grant, Grant)
        return grant

    async def start_url(self, team_id: str = TEAM, user_id: str = ALICE_SLACK) -> str:
        """What `/pscale login` hands out: the URL of the `link_account` button."""
        return (await self.web_linking.link_offer(team_id, user_id)).url


@pytest.fixture
def browsers() -> Iterator[list[Browser]]:
    with loopback_client(timeout=10) as first, loopback_client(timeout=10) as second:
        yield [Browser(first), Browser(second)]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    world = World()
    demo = seed_demo(world)
    keys = [Fernet.generate_key().decode()]
    db_path = tmp_path / "bot.sqlite3"
    # SQLite: the rig serves its pages in another thread's event loop on the same `Database`, which only the SQLite
    # backend (threads underneath) allows; linking on PostgreSQL is covered by the running-bot tests.
    database = await open_database(str(db_path))
    await database.migrate()
    sock = bind_loopback()
    host, port = sock.getsockname()[:2]
    base_url = f"http://{host}:{port}"
    oauth = PlanetScaleOAuthServer(
        world,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=base_url + CALLBACK_PATH,
        consent=AutoApprove(demo.admin.id),
    )
    # PlanetScale's OAuth server shares the pages' server (one server less to start and stop per test).
    oauth_url = f"{base_url}{OAUTH_MOUNT}"
    with serve_planetscale(world, demo=demo) as planetscale:
        app = OAuthApp(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=base_url + CALLBACK_PATH,
            scopes=SCOPES,
            authorize_url=f"{oauth_url}/oauth/authorize",
            token_url=f"{oauth_url}/oauth/token",
            revoke_url=f"{oauth_url}/oauth/revoke",
        )
        async with AsyncExitStack() as exits:
            rig = Rig(
                base_url=base_url,
                app=app,
                oauth=oauth,
                planetscale=planetscale,
                database=database,
                db_path=db_path,
                keys=keys,
                clock=MovableClock(),
                notifier=RecordingNotifier(),
                sleep=RecordingSleep(),
                exits=exits,
            )
            # The pages' own service: its PlanetScale client is created lazily inside uvicorn's loop on first use.
            web_client = PlanetScaleClient(base_url=planetscale.base_url)
            rig.web_linking = AccountLinking.build(
                database=database,
                keys=keys,
                app=app,
                planetscale=web_client,
                notifier=rig.notifier,
                directory=rig.notifier,
                match_email=False,
                public_url=base_url,
                clock=rig.clock,
                sleep=rig.sleep,
            )

            @asynccontextmanager
            async def lifespan(_: Starlette) -> AsyncIterator[None]:
                yield
                await web_client.aclose()

            routes = [*create_oauth_routes(rig.web_linking.flow, public_url=base_url), Mount(OAUTH_MOUNT, oauth.app)]
            web = Starlette(routes=routes, lifespan=lifespan)
            with serve_asgi(web, sock=sock):
                yield rig
    await database.close()
    problems = planetscale.problems()
    assert not problems, "PlanetScale stand-in broke the spec:\n" + "\n".join(problems)
