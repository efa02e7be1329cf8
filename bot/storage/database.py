"""The one SQLite file the bot keeps (docs/interface.md §7): opening it durably, migrating it, transactions and backups.

One connection per process, shared by the event loop and worker threads behind a re-entrant lock. Statements are
sub-millisecond, so async code calls them directly; what must not happen is holding a session across an `await`
(another coroutine on the same thread would run inside it), and that is refused loudly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Literal

import sqlite_utils

from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration

log = logging.getLogger(__name__)

# Seconds since the epoch; repositories take one so tests can move time without sleeping.
Clock = Callable[[], float]

# How long a writer waits for another process (the `digest` cron job, a second `migrate`) to release the lock.
BUSY_TIMEOUT_MS = 5000

_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    number     INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT
"""


class StorageError(Exception):
    """The database cannot be used as asked. The message is one plain line, fit for the CLI."""


class BackupError(StorageError):
    """A backup was refused or failed (the destination exists, its folder is missing, the disk is full…)."""


class SchemaTooNewError(StorageError):
    """The file was migrated by a newer pscale-bot; running older code against it could corrupt it."""


class MigrationError(StorageError):
    """A migration's SQL failed; nothing of that `migrate()` call was applied."""


class _Connection(sqlite3.Connection):
    """A connection on which `with connection:` does not end `Database.transaction()` early.

    sqlite-utils wraps its writes (`table.insert`, `upsert`, …) in `with conn:`, which COMMITs on exit. Inside our
    BEGIN IMMEDIATE that would commit half of a read-modify-write, so there the block leaves the outcome to the
    enclosing transaction. `executescript` always COMMITs first, so it is refused there.
    """

    in_explicit_transaction = False

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> Literal[False]:
        if self.in_explicit_transaction:
            return False
        return super().__exit__(exc_type, exc_value, traceback)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        if self.in_explicit_transaction:
            raise StorageError("executescript() would commit the open transaction; execute statements one by one")
        return super().executescript(sql_script)


class Database:
    """The bot's SQLite database. Create it with `Database.open(path)`; use it through `session()`/`transaction()`."""

    def __init__(self, *, path: Path, connection: _Connection) -> None:
        self._path = path
        self._connection: _Connection | None = connection
        self._sql = sqlite_utils.Database(connection, execute_plugins=False)
        self._lock = threading.RLock()
        self._depth = 0
        self._holder_task: asyncio.Task[object] | None = None

    @classmethod
    def open(cls, path: str | Path) -> Database:
        """Open (creating the file and its folder if needed) with WAL, synchronous=FULL, busy_timeout, foreign keys."""
        file = Path(path)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                file,
                factory=_Connection,
                isolation_level=None,  # autocommit: transactions are only ever the explicit ones below
                check_same_thread=False,  # shared by the event loop and worker threads, behind self._lock
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except (OSError, sqlite3.Error) as error:
            raise StorageError(f"cannot open database {file}: {error}") from error
        try:
            _configure(connection, file)
        except BaseException:
            connection.close()
            raise
        return cls(path=file, connection=connection)

    @property
    def path(self) -> Path:
        return self._path

    @contextmanager
    def session(self) -> Iterator[sqlite_utils.Database]:
        """Exclusive use of the connection for a few statements; each statement commits on its own.

        Yields the `sqlite_utils.Database`, so `sql.execute(...)`, `sql.query(...)`, `sql["table"].insert(...)` work.
        Do not `await` inside the block.
        """
        with self._held():
            yield self._sql

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK if the block raises. For read-modify-write.

        IMMEDIATE takes the write lock up front: a deferred transaction that reads, then writes after another
        process committed, fails with SQLITE_BUSY_SNAPSHOT, which no busy timeout can cure. Nested calls become
        savepoints, so a repository method may use `transaction()` whether or not its caller already did.
        """
        with self._held() as connection:
            if connection.in_transaction:
                savepoint = f"nested_{self._depth}"
                connection.execute(f"SAVEPOINT {savepoint}")
                try:
                    yield self._sql
                except BaseException:
                    if connection.in_transaction:  # some errors (disk full, I/O) roll back everything
                        connection.execute(f"ROLLBACK TO {savepoint}")
                        connection.execute(f"RELEASE {savepoint}")
                    raise
                connection.execute(f"RELEASE {savepoint}")
                return
            connection.execute("BEGIN IMMEDIATE")
            connection.in_explicit_transaction = True
            try:
                yield self._sql
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            finally:
                connection.in_explicit_transaction = False

    def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
        """Apply the migrations this file lacks, all in one BEGIN IMMEDIATE; returns those applied (often none).

        Two processes starting together serialise on the write lock; the second finds the work done.
        """
        _check_numbering(migrations)
        known = migrations[-1].number if migrations else 0
        applied: list[Migration] = []
        with self.transaction() as sql:
            sql.execute(_SCHEMA_MIGRATIONS)
            current = _recorded_version(sql)
            if current > known:
                raise SchemaTooNewError(
                    f"database {self._path} is at schema version {current}, but this pscale-bot knows only up to "
                    f"{known}: run a newer pscale-bot, or restore a backup made by this version"
                )
            for migration in migrations:
                if migration.number <= current:
                    continue
                _apply(sql, migration)
                applied.append(migration)
        for migration in applied:
            log.info("applied database migration %d (%s)", migration.number, migration.name)
        return applied

    def schema_version(self) -> int:
        """The highest migration number applied to this file; 0 for a file never migrated."""
        with self.session() as sql:
            return _recorded_version(sql)

    def is_ready(self) -> bool:
        """Open, answering, and at the latest migration this code knows. Cheap: two indexed reads."""
        try:
            return self.schema_version() == LATEST_VERSION
        except (StorageError, sqlite3.Error):
            return False

    def backup(self, destination: str | Path) -> Path:
        """A consistent copy of the database at `destination` (VACUUM INTO), safe while the bot writes.

        Uses its own short-lived connection so the bot's connection stays free meanwhile. Never overwrites.
        """
        target = Path(destination)
        if self._connection is None:
            raise StorageError("database is closed")
        if target.exists():
            raise BackupError(f"{target} already exists; a backup never overwrites a file, choose a new name")
        if not target.parent.is_dir():
            raise BackupError(f"folder {target.parent} does not exist")
        source = sqlite3.connect(self._path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            source.execute("VACUUM INTO ?", (str(target),))
        except sqlite3.Error as error:
            raise BackupError(f"cannot write {target}: {error}") from error
        finally:
            source.close()
        # SQLite does not fsync the output of VACUUM INTO; a backup that vanishes on power loss is no backup.
        _fsync(target)
        return target

    def forget_everything(self) -> None:
        """Delete every row of every table but the migration record, in one transaction: the schema stays, the
        data goes (the sandbox's Reset)."""
        with self.transaction() as sql:
            sql.execute("PRAGMA defer_foreign_keys = ON")  # any order of deletes is fine; checked at COMMIT
            for name in sql.table_names():
                if name != "schema_migrations":
                    sql.execute(f"DELETE FROM [{name}]")  # noqa: S608 (names from sqlite_master, not from input)

    def close(self) -> None:
        """Close the connection (idempotent). Later use raises `StorageError`; `is_ready()` turns False."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextmanager
    def _held(self) -> Iterator[_Connection]:
        with self._lock:
            task = _current_task()
            if self._depth and self._holder_task is not task:
                raise RuntimeError(
                    "the database session is held by another asyncio task: do not await inside "
                    "Database.session() or Database.transaction()"
                )
            if self._connection is None:
                raise StorageError("database is closed")
            self._depth += 1
            self._holder_task = task
            try:
                yield self._connection
            finally:
                self._depth -= 1
                if not self._depth:
                    self._holder_task = None


def _configure(connection: _Connection, file: Path) -> None:
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = _switch_to_wal(connection)
        # FULL fsyncs the WAL at every commit. Tokens rotate: a refresh committed under NORMAL can be lost on power
        # failure after the old refresh token was revoked, and then the user has to link again.
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as error:
        raise StorageError(f"cannot open database {file}: {error}") from error
    if mode != "wal":
        raise StorageError(f"cannot open database {file}: its file system does not support WAL (got {mode})")


def _switch_to_wal(connection: _Connection) -> str:
    """Put the file in WAL mode (persistent, so usually already done) and return the mode it is in.

    Converting needs exclusive access and SQLite does not run the busy handler for it: processes opening a fresh
    file together get "database is locked" at once. So retry, within the same budget as busy_timeout.
    """
    mode: str = connection.execute("PRAGMA journal_mode").fetchone()[0]
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while mode != "wal":
        try:
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(pause)  # another process holds the lock; SQLite gives no event to wait on
            pause = min(pause * 2, 0.1)
        else:
            break
    return mode


def _check_numbering(migrations: Sequence[Migration]) -> None:
    numbers = [migration.number for migration in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3, … in order; got {numbers}")


def _recorded_version(sql: sqlite_utils.Database) -> int:
    if not sql.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone():
        return 0
    version: int | None = sql.execute("SELECT max(number) FROM schema_migrations").fetchone()[0]
    return version or 0


def _apply(sql: sqlite_utils.Database, migration: Migration) -> None:
    try:
        for statement in _statements(migration.sql):
            sql.execute(statement)
    except sqlite3.Error as error:
        raise MigrationError(f"migration {migration.number} ({migration.name}) failed: {error}") from error
    sql.execute(
        "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
        (migration.number, migration.name, int(time.time())),
    )


def _statements(script: str) -> list[str]:
    """Split a migration into statements: `executescript` would COMMIT the surrounding transaction first.

    `sqlite3.complete_statement` knows about string literals, comments and trigger bodies, so a `;` inside them
    does not split.
    """
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending.strip()!r}")
    return statements


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # a worker thread, no event loop
        return None


def _fsync(file: Path) -> None:
    descriptor = os.open(file, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
