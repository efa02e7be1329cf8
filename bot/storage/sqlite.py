"""The SQLite backend: one file (WAL), every statement run in a thread so the event loop never waits on it.

Three kinds of connection to the one file, each only ever used by its own thread(s):
- the writer: one thread, one connection, for every statement outside a transaction that is not a plain SELECT;
  when another process holds the write lock, that thread waits (`busy_timeout`), not the event loop;
- readers: two threads with a connection each, for SELECTs. In WAL mode a reader never waits for a writer, so a
  lookup stays fast while a write waits for the lock;
- transactions: one connection with a thread of its own, taken by one `transaction()` at a time (SQLite has one
  writer, and BEGIN IMMEDIATE makes every transaction a writer, so more at once would only wait on each other).
  Its own thread means a transaction that holds the lock can always take its next step, whatever else is waiting;
  the others wait their turn in the event loop, not in a thread.

sqlite-utils is the window on the file's schema and contents for `move-database`: which tables the file holds, and
every row of each, read as column → value.
"""

from __future__ import annotations

import asyncio
import collections
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.storage.database import (
    BackupError,
    Database,
    Params,
    Row,
    Session,
    StorageError,
    check_backup_target,
)

if TYPE_CHECKING:
    import sqlite_utils

T = TypeVar("T")

# How long a writer waits for another connection or process (the `digest` cron job, a second `migrate`, a backup)
# to release the write lock. Longer than Slack's patience for an ack: a waiting write never holds up an ack (it
# waits off the event loop), and the person still hears back, late, rather than reading "database is locked".
BUSY_TIMEOUT_MS = 10_000
READER_THREADS = 2


class _Worker:
    """A connection and the one thread that uses it."""

    def __init__(self, connection: sqlite3.Connection, name: str) -> None:
        self.connection = connection
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.wrap_future(self._thread.submit(work, self.connection))

    def close(self) -> None:
        self._thread.submit(self.connection.close).result()
        self._thread.shutdown(wait=True)


class _Turns:
    """A first-come, first-served lock that waits without blocking any event loop, whichever loop asks (a test may
    share one `SqliteDatabase` between its own loop and a server's)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = False
        self._waiting: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = collections.deque()

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if not self._held:
                self._held = True
                return
            turn: asyncio.Future[None] = loop.create_future()
            self._waiting.append((loop, turn))
        try:
            await turn
        except asyncio.CancelledError:
            with self._lock:
                if (loop, turn) in self._waiting:  # never given the turn: just leave the queue
                    self._waiting.remove((loop, turn))
                    raise
            self.release()  # given the turn as we were cancelled: pass it on
            raise

    def release(self) -> None:
        with self._lock:
            if not self._waiting:
                self._held = False
                return
            loop, turn = self._waiting.popleft()
        # Still held: the turn goes straight to the next waiter (in its own loop's thread).
        loop.call_soon_threadsafe(_give_turn, turn)


def _give_turn(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)


class _Transaction:
    def __init__(self, worker: _Worker) -> None:
        self._worker = worker

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._worker.run(lambda connection: _execute(connection, sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._worker.run(lambda connection: _fetchall(connection, sql, params))


class SqliteDatabase(Database):
    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._writer: _Worker | None = None
        self._readers = ThreadPoolExecutor(max_workers=READER_THREADS, thread_name_prefix="sqlite-reader")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._reader_connections: list[sqlite3.Connection] = []
        self._transactions: _Worker | None = None
        self._turns = _Turns()
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path) -> SqliteDatabase:
        database = cls(Path(path))
        await database.connect()
        return database

    async def connect(self) -> None:
        """Open (creating the file and its folder if needed) with WAL, synchronous=FULL, busy_timeout, foreign keys."""
        if self._closed:
            raise StorageError("database is closed")
        if self._writer is None:
            self._writer = _Worker(await asyncio.to_thread(_connect, self._path), "sqlite-writer")
            self._transactions = _Worker(await asyncio.to_thread(_connect, self._path), "sqlite-transaction")

    @property
    def location(self) -> str:
        return str(self._path)

    @property
    def path(self) -> Path:
        return self._path

    async def execute(self, sql: str, params: Params = (), *, durable: bool = True) -> int:
        if durable:
            return await self._write(lambda connection: _execute(connection, sql, params))
        return await self._write(lambda connection: _execute_without_sync(connection, sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        if _is_read(sql):
            return await self._read(lambda connection: _fetchall(connection, sql, params))
        # INSERT/UPDATE/DELETE … RETURNING: a write.
        return await self._write(lambda connection: _fetchall(connection, sql, params))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        await self._turns.acquire()
        try:
            worker = self._transactions
            if worker is None:
                raise StorageError("database is closed" if self._closed else "database is not open")
            await worker.run(lambda connection: connection.execute("BEGIN IMMEDIATE"))
            try:
                yield _Transaction(worker)
            except BaseException:
                await asyncio.shield(worker.run(_rollback))
                raise
            await worker.run(lambda connection: connection.execute("COMMIT"))
        finally:
            self._turns.release()

    async def table_names(self) -> list[str]:
        return await self._read(lambda connection: _table_names(_sqlite_utils().Database(connection)))

    async def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of `table` as column → value, in rowid order (`move-database`)."""

        def read(connection: sqlite3.Connection) -> list[dict[str, Any]]:
            return list(_sqlite_utils().Database(connection)[table].rows)

        return await self._read(read)

    async def backup(self, destination: str) -> str:
        """A consistent copy at `destination` (VACUUM INTO), safe while the bot writes. Never overwrites."""
        target = Path(destination)

        def copy(connection: sqlite3.Connection) -> None:
            check_backup_target(target)
            try:
                connection.execute("VACUUM INTO ?", (str(target),))
            except sqlite3.Error as error:
                raise BackupError(f"cannot write {target}: {error}") from error
            # SQLite does not fsync the output of VACUUM INTO; a backup that vanishes on power loss is no backup.
            _fsync(target)

        await self._read(copy)
        return f"backed up {self._path} to {target}"

    async def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = [worker for worker in (self._writer, self._transactions) if worker is not None]
            self._writer = self._transactions = None
        await asyncio.to_thread(self._close_all, workers)

    def _close_all(self, workers: list[_Worker]) -> None:
        for worker in workers:
            worker.close()
        with self._lock:
            readers, self._reader_connections = self._reader_connections, []
        self._readers.shutdown(wait=True)
        for connection in readers:
            connection.close()

    async def _has_schema_table(self, session: Session) -> bool:
        row = await session.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        )
        return row is not None

    # --- threads --------------------------------------------------------------------------------------------------

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        writer = self._writer
        if writer is None:
            raise StorageError("database is closed" if self._closed else "database is not open")
        return await writer.run(work)

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._writer is None:
            raise StorageError("database is closed" if self._closed else "database is not open")
        return await asyncio.wrap_future(self._readers.submit(lambda: work(self._reader())))

    def _reader(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = _open(self._path)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._local.connection = connection
            with self._lock:
                self._reader_connections.append(connection)
        return connection


def _is_read(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


def _execute_without_sync(connection: sqlite3.Connection, sql: str, params: Params) -> int:
    """One statement committed under synchronous=NORMAL: in WAL mode its commit is not fsynced (the next FULL commit
    or checkpoint syncs it), and a power failure may lose it but never corrupts the file
    (https://www.sqlite.org/pragma.html#pragma_synchronous). Only the writer thread runs this, one work at a time,
    so no other statement commits while the setting is lowered."""
    connection.execute("PRAGMA synchronous = NORMAL")
    try:
        return _execute(connection, sql, params)
    finally:
        connection.execute("PRAGMA synchronous = FULL")


def _execute(connection: sqlite3.Connection, sql: str, params: Params) -> int:
    return connection.execute(sql, tuple(params)).rowcount


def _fetchall(connection: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    # fetchall, never fetchone: a RETURNING statement is only finished (and, outside a transaction, committed) once
    # its every row has been read.
    return connection.execute(sql, tuple(params)).fetchall()


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:  # some errors (disk full, I/O) have rolled back already
        connection.execute("ROLLBACK")


def _sqlite_utils() -> Any:
    """sqlite_utils, imported when first used: only `move-database` and the sandbox's Reset list or read whole
    tables, and the import is 0.2 s of CPU that `serve` would spend at every start."""
    import sqlite_utils  # noqa: PLC0415

    return sqlite_utils


def _table_names(sql: sqlite_utils.Database) -> list[str]:
    return [name for name in sql.table_names() if name != "schema_migrations"]


def _open(file: Path) -> sqlite3.Connection:
    return sqlite3.connect(
        file,
        isolation_level=None,  # autocommit: transactions are only ever the explicit BEGIN IMMEDIATE ones
        check_same_thread=False,  # opened in one thread, then used only by its worker thread
        timeout=BUSY_TIMEOUT_MS / 1000,
    )


def _connect(file: Path) -> sqlite3.Connection:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        connection = _open(file)
    except (OSError, sqlite3.Error) as error:
        raise StorageError(f"cannot open database {file}: {error}") from error
    try:
        _configure(connection, file)
    except BaseException:
        connection.close()
        raise
    return connection


def _configure(connection: sqlite3.Connection, file: Path) -> None:
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


def _switch_to_wal(connection: sqlite3.Connection) -> str:
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
            time.sleep(pause)  # another process holds the lock; SQLite gives no event to wait on (in a thread)
            pause = min(pause * 2, 0.1)
        else:
            break
    return mode


def _fsync(file: Path) -> None:
    descriptor = os.open(file, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
