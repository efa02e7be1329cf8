"""The storage interface every repository uses, whichever engine `BOT_DATABASE` names (docs/interface.md §7).

`open_database("./bot.sqlite3")` gives the SQLite backend (`bot.storage.sqlite`), `open_database("postgresql://…")`
the PostgreSQL one (`bot.storage.postgresql`). Both are async and neither runs a statement on the event loop: SQLite
work happens in threads, PostgreSQL goes through psycopg's async pool. Repositories write their SQL once, with `?`
placeholders and only what both engines accept (`INSERT … ON CONFLICT`, `RETURNING`, `IS NOT DISTINCT FROM`,
`CAST(? AS INTEGER)`); the few places where the engines differ are attributes of the `Database` (`skip_locked`).

Reading: `fetchone`/`fetchall` return plain tuples. Writing: `execute` returns the number of rows it changed, which
is how every "first one wins" claim in the bot is decided (an `INSERT … ON CONFLICT DO NOTHING` that changed one row
won). A read-modify-write goes in `async with database.transaction() as tx:`; the block must use only `tx` (on
SQLite a statement sent to the database itself would wait for the lock the block holds).
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration

log = logging.getLogger(__name__)

# Seconds since the epoch; repositories take one so tests can move time without sleeping.
Clock = Callable[[], float]
Row = tuple[Any, ...]
Params = Sequence[object]
Engine = Literal["sqlite", "postgresql"]

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    number     INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
)
"""


class StorageError(Exception):
    """The database cannot be used as asked. The message is one plain line, fit for the CLI."""


class BackupError(StorageError):
    """A backup was refused or failed (the destination exists, its folder is missing, the disk is full…)."""


class SchemaTooNewError(StorageError):
    """The database was migrated by a newer pscale-bot; running older code against it could corrupt it."""


class MigrationError(StorageError):
    """A migration's SQL failed; nothing of that `migrate()` call was applied."""


class Session(Protocol):
    """What a repository can send: the database itself (each statement commits alone) or an open transaction."""

    async def execute(self, sql: str, params: Params = ()) -> int: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...


class Database(ABC):
    """One database, either engine. Open it with `open_database`; close it with `await close()`."""

    engine: Engine
    # Appended to a SELECT inside `transaction()` whose rows the transaction goes on to change, so a concurrent
    # transaction waits instead of working from the same old values; and to a SELECT that claims rows, so replicas
    # claiming together each get different ones. SQLite needs neither: `transaction()` holds its only write lock.
    for_update: str = ""
    skip_locked: str = ""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the data is, for messages: the file path, or the URL without its password."""

    @abstractmethod
    async def connect(self) -> None:
        """Open the connections (in the event loop that will use them: a PostgreSQL pool belongs to one loop).
        Raises `StorageError` with a plain reason when the database cannot be reached or opened."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = (), *, durable: bool = True) -> int:
        """Run one statement, committed alone; the number of rows it changed. `durable=False` skips waiting for the
        disk (an fsync, about 4 ms): a crash may lose that write, never tear it. For rows rewritten every moment
        whose loss costs nothing, such as a rate budget's tokens (bot/storage/budgets.py)."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Session]:
        """All statements of the block commit together, or none if it raises. Takes the write lock up front on
        SQLite (BEGIN IMMEDIATE), so a read-modify-write never fails halfway on a concurrent writer."""

    @abstractmethod
    async def table_names(self) -> list[str]:
        """The tables the bot keeps (the migrations' own bookkeeping excluded), in creation order."""

    async def forget_everything(self) -> None:
        """Delete every row of every table but the migration record, in one transaction: the schema stays, the
        data goes (the sandbox's Reset). The schema has no foreign keys, so any order of deletes will do."""
        tables = await self.table_names()
        async with self.transaction() as tx:
            for name in tables:
                await tx.execute(f"DELETE FROM {name}")  # noqa: S608 (names from the schema, not from input)

    @abstractmethod
    async def backup(self, destination: str) -> str:
        """Make a consistent copy while the bot runs; returns what was done, in one line. Never overwrites."""

    @abstractmethod
    async def close(self) -> None:
        """Close every connection (idempotent); later use raises `StorageError`."""

    @abstractmethod
    async def _has_schema_table(self, session: Session) -> bool: ...

    async def after_copy(self, session: Session) -> None:  # noqa: B027 - SQLite needs nothing more
        """Rows were copied in with their ids (`move-database`): make the next generated id follow them."""

    async def _lock_for_migrations(self, session: Session) -> None:  # noqa: B027 - SQLite needs nothing more
        """Inside the migration transaction, before anything is read: make other migrating processes wait."""

    async def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
        """Apply the migrations this database lacks, all in one transaction; returns those applied (often none).

        Processes starting together serialise (the write lock on SQLite, an advisory lock on PostgreSQL); the later
        ones find the work done.
        """
        _check_numbering(migrations)
        known = migrations[-1].number if migrations else 0
        applied: list[Migration] = []
        async with self.transaction() as tx:
            await self._lock_for_migrations(tx)
            await tx.execute(self.dialect_ddl(SCHEMA_MIGRATIONS))
            current = await _recorded_version(tx)
            if current > known:
                raise SchemaTooNewError(
                    f"database {self.location} is at schema version {current}, but this pscale-bot knows only up "
                    f"to {known}: run a newer pscale-bot, or restore a backup made by this version"
                )
            for migration in migrations:
                if migration.number > current:
                    await self._apply(tx, migration)
                    applied.append(migration)
        for migration in applied:
            log.info("applied database migration %d (%s)", migration.number, migration.name)
        return applied

    def dialect_ddl(self, sql: str) -> str:
        """A migration's SQL as this engine wants it (the migrations are written for SQLite)."""
        return sql

    async def _apply(self, tx: Session, migration: Migration) -> None:
        try:
            for statement in migration.statements():
                await tx.execute(self.dialect_ddl(statement))
        except StorageError:
            raise
        except Exception as error:  # each driver has its own error tree; the message names the migration
            raise MigrationError(f"migration {migration.number} ({migration.name}) failed: {error}") from error
        await tx.execute(
            "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
            (migration.number, migration.name, int(time.time())),
        )

    async def schema_version(self) -> int:
        """The highest migration number applied; 0 for a database never migrated."""
        return await _recorded_version(self) if await self._has_schema_table(self) else 0

    async def is_ready(self) -> bool:
        """Open, answering, and at the latest migration this code knows. Cheap: two indexed reads."""
        try:
            return await self.schema_version() == LATEST_VERSION
        except Exception:  # closed, unreachable, locked past the timeout: not ready, whatever the driver says
            return False


async def _recorded_version(session: Session) -> int:
    row = await session.fetchone("SELECT max(number) FROM schema_migrations")
    return int(row[0]) if row and row[0] is not None else 0


def _check_numbering(migrations: Sequence[Migration]) -> None:
    numbers = [migration.number for migration in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3, … in order; got {numbers}")


def check_backup_target(target: Path) -> None:
    """A backup never overwrites, and says plainly when its folder is missing."""
    if target.exists():
        raise BackupError(f"{target} already exists; a backup never overwrites a file, choose a new name")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")


def is_postgresql_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def database_at(location: str) -> Database:
    """The database `BOT_DATABASE` names, not yet connected: a `postgresql://` URL, or else a SQLite file path."""
    if is_postgresql_url(location):
        from bot.storage.postgresql import PostgresDatabase  # noqa: PLC0415 - psycopg only where it is used

        return PostgresDatabase(location)
    from bot.storage.sqlite import SqliteDatabase  # noqa: PLC0415 - symmetric with the branch above

    return SqliteDatabase(Path(location))


async def open_database(location: str) -> Database:
    """`database_at(location)`, connected (a SQLite file and its folder are created if missing)."""
    database = database_at(location)
    await database.connect()
    return database
