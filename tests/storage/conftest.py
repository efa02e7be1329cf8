from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import Database, open_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend (`database_url` is parametrized over SQLite and PostgreSQL)."""
    database = await open_database(database_url)
    await database.migrate()
    yield database
    await database.close()
