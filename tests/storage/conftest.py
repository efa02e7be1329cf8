from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import Database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = Database.open(db_path)
    database.migrate()
    yield database
    database.close()
