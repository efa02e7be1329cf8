"""The bot as an operator runs it on its default engine: `pscale-bot serve` processes on one SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.planetscale import World
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from tests.support.replicas import Replicas, replicas_on


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture
def replicas(
    database_file: Path, slack_standin: SlackStandIn, world: World, demo: DemoWorld, tmp_path: Path
) -> Iterator[Replicas]:
    """The stand-ins (`demo`'s PlanetScale) and the environment of `serve` processes on `database_file`."""
    with replicas_on(str(database_file), slack=slack_standin, world=world, cwd=tmp_path) as group:
        yield group
