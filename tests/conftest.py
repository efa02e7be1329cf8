"""Fixtures every test directory can use."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bot.config import DEFAULT_PLANETSCALE_SCOPES
from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from bot.storage import Database, open_database
from tests.support.bot import RunningBot, run_bot
from tests.support.planetscale import planetscale
from tests.support.postgres import PostgresCluster
from tests.support.slack import BOB_ACTOR, Actor, WebApiHost, slack_standin
from tests.support.slack_audit import pytest_sessionfinish, pytest_terminal_summary, pytest_testnodedown

__all__ = [
    "BOB_ACTOR",
    "planetscale",
    "pytest_sessionfinish",  # the suite-wide Slack audit (tests/support/slack_audit.py)
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "slack_standin",
]

# How long an example takes depends on the machine and its load, not on the code under test: property tests check
# behaviour only, so neither the per-example deadline nor the "too slow" health check applies (speed is bench/'s).
hypothesis_settings.register_profile("pscale-bot", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("pscale-bot")

_BYTECODE_FOLDER = "PSCALE_BOT_TEST_BYTECODE"  # the folder this run made, for pytest_unconfigure to remove
# What the bots that may create webhooks ask for: `/pscale watch` needs `organization:write_databases`.
WATCHING_SCOPES = DEFAULT_PLANETSCALE_SCOPES + " organization:write_databases"


def pytest_configure(config: pytest.Config) -> None:
    """Python processes started by this run share one bytecode cache, as an installed package's processes do (pip
    compiles at install). Where PYTHONDONTWRITEBYTECODE is set (this machine's shell sets it), every `pscale-bot`
    child process (replicas, crash, CLI and packaging tests) and every xdist worker would otherwise compile each
    module it imports, about a second of CPU per start (tests/cli: 134 s of CPU without the cache, 62 s with it).
    The code they run is the same either way. The cache lives in a folder of this run's own (PYTHONPYCACHEPREFIX),
    so no `__pycache__` appears in the checkout, and is removed at the end; the controller sets it before xdist
    starts its workers, which inherit the environment and pass it to every process they start."""
    if not sys.flags.dont_write_bytecode or "PYTHONPYCACHEPREFIX" in os.environ or hasattr(config, "workerinput"):
        return
    folder = tempfile.mkdtemp(prefix="pscale-bot-bytecode-")
    os.environ.update({"PYTHONPYCACHEPREFIX": folder, _BYTECODE_FOLDER: folder})
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and (folder := os.environ.pop(_BYTECODE_FOLDER, None)):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL server for this test process (each xdist worker starts its own), on a Unix socket."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """BOT_DATABASE for the engine `request.param` names: a SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "bot.sqlite3")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What BOT_DATABASE would say, once per engine."""
    return _location(request, tmp_path)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, once per backend."""
    database = await open_database(database_url)
    await database.migrate()
    yield database
    await database.close()

# The test folders whose running-bot tests run on PostgreSQL as well as SQLite: those whose features keep state
# (every storage test runs on both wherever it lives, through `database_url`). The rest of the HTTP suite (grammar
# replies, renderers over HTTP, transport details) runs on SQLite only, to keep `./dev test` near five minutes.
BOTH_ENGINES = frozenset(
    {"storage", "cards", "commands", "digests", "linking", "watch", "transport", "cli", "forms", "replicas", "home"}
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bot_database" in metafunc.fixturenames:
        folder = Path(metafunc.definition.path).relative_to(Path(__file__).parent).parts[0]
        engines = ["sqlite", "postgresql"] if folder in BOTH_ENGINES else ["sqlite"]
        metafunc.parametrize("bot_database", engines, indirect=True)


@pytest.fixture
def bot_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """BOT_DATABASE for a running bot, on the engine(s) `pytest_generate_tests` chose for its folder."""
    return _location(request, tmp_path)


@pytest.fixture
def demo_bot(
    request: pytest.FixtureRequest, slack_standin: SlackStandIn, tmp_path: Path, bot_database: str
) -> Iterator[RunningBot]:
    """The bot against the seeded PlanetScale world (`seed_demo`), with two linked Slack users: Alice (Slack
    ALICE, `Actor()`) as PlanetScale admin Alice, and Bob (`BOB_ACTOR`) as admin Bob. Fails the test if the
    PlanetScale stand-in served anything that breaks the spec."""
    with _demo_bot(slack_standin, tmp_path, bot_database=bot_database, **_marked(request)) as running:
        yield running


def _marked(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings the test's markers ask of its bot: `slack_api_timeout(seconds)`."""
    marker = request.node.get_closest_marker("slack_api_timeout")
    return {"slack_api_timeout": marker.args[0]} if marker else {}


@pytest.fixture
def web_api_host(slack_standin: SlackStandIn) -> Iterator[WebApiHost]:
    """`slack_standin`'s Web API at an address of its own, which a test can make unreachable (`WebApiHost`)."""
    with WebApiHost(slack_standin) as host:
        yield host


@pytest.fixture
def apart_bot(
    slack_standin: SlackStandIn, web_api_host: WebApiHost, tmp_path: Path, bot_database: str
) -> Iterator[RunningBot]:
    """`watching_bot` whose Web API calls go to `web_api_host`: with `web_api_host.unreachable()`, Slack's Web API
    cannot be reached while the commands' response_urls still work."""
    with _demo_bot(
        slack_standin, tmp_path, planetscale_scopes=WATCHING_SCOPES, bot_database=bot_database,
        slack_api_url=web_api_host.api_url,
    ) as running:
        yield running


@pytest.fixture
def watching_bot(
    request: pytest.FixtureRequest, slack_standin: SlackStandIn, tmp_path: Path, bot_database: str
) -> Iterator[RunningBot]:
    """`demo_bot` whose links may also create webhooks (`/pscale watch` needs `organization:write_databases`)."""
    with _demo_bot(
        slack_standin, tmp_path, planetscale_scopes=WATCHING_SCOPES, bot_database=bot_database, **_marked(request)
    ) as running:
        yield running


@pytest.fixture
def webhook_only_bot(slack_standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    """`watching_bot` without the reconciler: its cards move only with clicks, commands and webhook deliveries."""
    with _demo_bot(slack_standin, tmp_path, planetscale_scopes=WATCHING_SCOPES, reconcile=False) as running:
        yield running


@pytest.fixture
def restartable_bot(
    slack_standin: SlackStandIn, tmp_path: Path, bot_database: str
) -> Callable[[], AbstractContextManager[RunningBot]]:
    """`watching_bot` that can be stopped and started again, as a process restarts: each call starts the bot on the
    same database and encryption keys, PlanetScale world and Slack workspace (Alice and Bob linked the first time)."""
    world, demo = _seeded_world()
    settings = {
        "planetscale_scopes": WATCHING_SCOPES,
        "bot_database": bot_database, "bot_encryption_keys": Fernet.generate_key().decode(),
    }
    started: list[bool] = []

    @contextmanager
    def start() -> Iterator[RunningBot]:
        with _demo_bot(slack_standin, tmp_path, world=(world, demo), link=not started, **settings) as running:
            started.append(True)
            yield running

    return start


def _seeded_world() -> tuple[World, DemoWorld]:
    world = World()
    world.accept_loopback_webhooks = True  # the bot under test listens on loopback
    return world, seed_demo(world)


@contextmanager
def _demo_bot(
    slack_standin: SlackStandIn, tmp_path: Path, *, world: tuple[World, DemoWorld] | None = None, link: bool = True,
    **settings: Any,
) -> Iterator[RunningBot]:
    planetscale, demo = world or _seeded_world()
    with run_bot(slack=slack_standin, data_dir=tmp_path, planetscale=planetscale, **settings) as running:
        if link:
            running.link(Actor(), planetscale_user_id=demo.admin.id)
            running.link(BOB_ACTOR, planetscale_user_id=demo.second_admin.id)
        assert running.planetscale is not None
        running.planetscale.demo = demo
        yield running
        problems = running.planetscale.problems()
    if problems:
        pytest.fail("PlanetScale stand-in broke the spec:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def world() -> World:
    """An empty PlanetScale world, for tests that serve it themselves (replicas, crashes)."""
    return World()


@pytest.fixture
def demo(world: World) -> DemoWorld:
    """`world` seeded with the demo's people and databases (Alice and Bob are admins of acme)."""
    return seed_demo(world)


@pytest.fixture
def bot(slack_standin: SlackStandIn, tmp_path: Path, bot_database: str) -> Iterator[RunningBot]:
    """The bot in HTTP mode, talking to a Slack stand-in."""
    with run_bot(slack=slack_standin, data_dir=tmp_path, bot_database=bot_database) as running:
        yield running
