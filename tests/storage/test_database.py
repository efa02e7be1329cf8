"""The database itself: durable settings, migrations (also racing processes), transactions, readiness, backups."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.storage import (
    LATEST_VERSION,
    MIGRATIONS,
    BackupError,
    ChannelPreferences,
    Database,
    Migration,
    MigrationError,
    SchemaTooNewError,
    StorageError,
)

# Applying any of these twice fails (CREATE TABLE without IF NOT EXISTS) or shows (one more row).
_RACE_MIGRATIONS = (
    *MIGRATIONS,
    Migration(LATEST_VERSION + 1, "race table", "CREATE TABLE race_log (number INTEGER NOT NULL)"),
    Migration(LATEST_VERSION + 2, "race row", f"INSERT INTO race_log VALUES ({LATEST_VERSION + 2})"),
)


def _rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(query).fetchall()


def test_open_sets_wal_full_sync_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "bot.sqlite3"
    database = Database.open(path)
    try:
        with database.session() as sql:
            assert sql.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert sql.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert sql.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
            assert sql.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            sql.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            sql.execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))")
            with pytest.raises(sqlite3.IntegrityError):
                sql.execute("INSERT INTO child VALUES (42)")
    finally:
        database.close()
    # WAL is a property of the file: a plain connection sees it too.
    assert _rows(path, "PRAGMA journal_mode") == [("wal",)]


def test_open_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("not a database, just some text that is long enough to have a header" * 20)
    with pytest.raises(StorageError, match=r"cannot open database .*notes\.sqlite3"):
        Database.open(path)


def test_open_refuses_a_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StorageError, match="cannot open database"):
        Database.open(tmp_path / "a-file" / "bot.sqlite3")


def test_migrate_applies_each_migration_once_and_is_idempotent(db_path: Path) -> None:
    database = Database.open(db_path)
    try:
        assert database.schema_version() == 0
        assert database.migrate() == list(MIGRATIONS)
        assert database.migrate() == []
        assert database.schema_version() == LATEST_VERSION
    finally:
        database.close()
    assert _rows(db_path, "SELECT number FROM schema_migrations ORDER BY number") == [
        (migration.number,) for migration in MIGRATIONS
    ]
    tables = {name for (name,) in _rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"user_preferences", "channel_preferences", "idempotency_keys"} <= tables


def _migrate_in_another_process(path: str, start: threading.Barrier, results: multiprocessing.Queue[object]) -> None:
    start.wait()
    try:
        database = Database.open(path)
        try:
            results.put(len(database.migrate(_RACE_MIGRATIONS)))
        finally:
            database.close()
    except Exception as error:  # reported to the test, which fails on it
        results.put(repr(error))


def test_processes_migrating_a_fresh_file_at_once_apply_each_migration_once(db_path: Path) -> None:
    processes = 4
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results: multiprocessing.Queue[object] = context.Queue()
    workers = [
        context.Process(target=_migrate_in_another_process, args=(str(db_path), start, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert sorted(outcomes) == [0] * (processes - 1) + [len(_RACE_MIGRATIONS)]
    assert _rows(db_path, "SELECT count(*), count(DISTINCT number) FROM schema_migrations") == [
        (len(_RACE_MIGRATIONS), len(_RACE_MIGRATIONS))
    ]
    assert _rows(db_path, "SELECT number FROM race_log") == [(LATEST_VERSION + 2,)]


def test_a_database_migrated_by_newer_code_is_refused(db_path: Path) -> None:
    database = Database.open(db_path)
    try:
        database.migrate(_RACE_MIGRATIONS)
        with pytest.raises(SchemaTooNewError) as refused:
            database.migrate()
        assert f"schema version {LATEST_VERSION + 2}" in str(refused.value)
        assert f"knows only up to {LATEST_VERSION}" in str(refused.value)
        assert not database.is_ready()
    finally:
        database.close()


def test_a_failing_migration_applies_nothing_and_names_itself(db_path: Path) -> None:
    broken = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "broken on purpose", "CREATE TABLE oops (;"))
    database = Database.open(db_path)
    try:
        with pytest.raises(MigrationError, match=rf"migration {LATEST_VERSION + 1} \(broken on purpose\) failed"):
            database.migrate(broken)
        assert database.schema_version() == 0
    finally:
        database.close()


def test_migrations_must_be_numbered_in_order(db: Database) -> None:
    with pytest.raises(ValueError, match="numbered 1, 2, 3"):
        db.migrate((Migration(2, "skips one", "SELECT 1"),))


def test_semicolons_inside_literals_and_trigger_bodies_do_not_split_a_migration(db_path: Path) -> None:
    sql = """
        CREATE TABLE notes (body TEXT);  -- a comment; with a semicolon
        CREATE TABLE audit (body TEXT);
        CREATE TRIGGER copy_notes AFTER INSERT ON notes BEGIN
            INSERT INTO audit VALUES (new.body || ';copied');
        END;
        INSERT INTO notes VALUES ('one; two');
    """
    database = Database.open(db_path)
    try:
        database.migrate((*MIGRATIONS, Migration(LATEST_VERSION + 1, "trigger", sql)))
    finally:
        database.close()
    assert _rows(db_path, "SELECT body FROM audit") == [("one; two;copied",)]


class Abandon(Exception):
    pass


def _insert_then_abandon(database: Database, db_path: Path, name: str) -> None:
    with database.transaction() as sql:
        sql["items"].insert({"name": name})
        # sqlite-utils wraps insert in `with conn:`; the row must not be committed before the block ends.
        assert _rows(db_path, "SELECT count(*) FROM items WHERE name = 'undone'") == [(0,)]
        raise Abandon


def test_transaction_commits_or_rolls_back_sqlite_utils_writes_as_one(db: Database, db_path: Path) -> None:
    with db.session() as sql:
        sql.execute("CREATE TABLE items (name TEXT PRIMARY KEY)")
    with db.transaction() as sql:
        sql["items"].insert({"name": "kept"})
    with pytest.raises(Abandon):
        _insert_then_abandon(db, db_path, "undone")
    assert _rows(db_path, "SELECT name FROM items") == [("kept",)]


def test_nested_transaction_rolls_back_only_its_own_work(db: Database, db_path: Path) -> None:
    with db.session() as sql:
        sql.execute("CREATE TABLE items (name TEXT PRIMARY KEY)")
    with db.transaction() as outer:
        outer.execute("INSERT INTO items VALUES ('outer')")
        with pytest.raises(Abandon):
            _insert_then_abandon(db, db_path, "undone")
    assert _rows(db_path, "SELECT name FROM items") == [("outer",)]


def test_transaction_takes_the_write_lock_up_front(db: Database, db_path: Path) -> None:
    other = Database.open(db_path)
    try:
        with db.transaction() as sql:
            sql.execute("SELECT count(*) FROM idempotency_keys").fetchone()
            with other.session() as other_sql:
                other_sql.execute("PRAGMA busy_timeout = 0")
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other_sql.execute("INSERT INTO idempotency_keys VALUES ('k', 1)")
    finally:
        other.close()


def test_executescript_inside_a_transaction_is_refused(db: Database) -> None:
    with pytest.raises(StorageError, match="executescript"), db.transaction() as sql:
        sql.executescript("SELECT 1;")


async def test_holding_a_session_across_an_await_is_refused(db: Database) -> None:
    entered = asyncio.Event()
    release = asyncio.Event()

    async def hold_across_await() -> None:
        with db.session():
            entered.set()
            await release.wait()

    holder = asyncio.create_task(hold_across_await())
    await entered.wait()
    with pytest.raises(RuntimeError, match="do not await inside"):
        db.schema_version()
    release.set()
    await holder
    assert db.schema_version() == LATEST_VERSION


def test_is_ready_only_when_open_and_fully_migrated(db_path: Path) -> None:
    database = Database.open(db_path)
    assert not database.is_ready()
    database.migrate(MIGRATIONS[:-1])
    assert not database.is_ready()
    database.migrate()
    assert database.is_ready()
    database.close()
    assert not database.is_ready()
    with pytest.raises(StorageError, match="closed"):
        database.schema_version()


@pytest.fixture
def busy_writer(db_path: Path, db: Database) -> Iterator[threading.Event]:
    """Another connection committing numbered rows, one transaction each, until the test ends."""
    with db.session() as sql:
        sql.execute("CREATE TABLE ticks (number INTEGER PRIMARY KEY)")
    writer_db = Database.open(db_path)
    stop = threading.Event()
    some_written = threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            with writer_db.transaction() as sql:
                sql.execute("INSERT INTO ticks VALUES (?)", (number,))
            if number == 20:
                some_written.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        yield some_written
    finally:
        stop.set()
        thread.join(timeout=30)
        writer_db.close()


def test_backup_is_a_consistent_readable_copy_while_another_connection_writes(
    db: Database, tmp_path: Path, busy_writer: threading.Event
) -> None:
    assert busy_writer.wait(timeout=30)
    target = db.backup(tmp_path / "copy.sqlite3")
    assert _rows(target, "PRAGMA integrity_check") == [("ok",)]
    count, highest = _rows(target, "SELECT count(*), max(number) FROM ticks")[0]
    assert isinstance(count, int)
    assert count >= 20
    assert highest == count  # a snapshot: every committed row up to some point, no gaps
    assert _rows(target, "SELECT max(number) FROM schema_migrations") == [(LATEST_VERSION,)]


def test_backup_leaves_out_what_another_connection_has_not_committed(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    other = Database.open(db_path)
    try:
        with other.transaction() as sql:
            sql.execute("INSERT INTO idempotency_keys VALUES ('uncommitted', 1)")
            target = db.backup(tmp_path / "copy.sqlite3")
    finally:
        other.close()
    assert _rows(target, "SELECT count(*) FROM idempotency_keys") == [(0,)]
    assert _rows(db_path, "SELECT key FROM idempotency_keys") == [("uncommitted",)]


def test_backup_never_overwrites(db: Database, tmp_path: Path) -> None:
    existing = tmp_path / "keep-me.sqlite3"
    existing.write_bytes(b"precious")
    with pytest.raises(BackupError, match="already exists"):
        db.backup(existing)
    assert existing.read_bytes() == b"precious"


def test_backup_into_a_missing_folder_says_so(db: Database, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="does not exist"):
        db.backup(tmp_path / "no-such-folder" / "copy.sqlite3")


def test_forget_everything_empties_every_table_and_keeps_the_schema(db: Database) -> None:
    ChannelPreferences(db).set_default_database(team_id="T1", channel_id="C1", database_name="shop")
    version = db.schema_version()
    db.forget_everything()
    assert ChannelPreferences(db).default_database("T1", "C1") is None
    with db.session() as sql:
        assert all(sql[name].count == 0 for name in sql.table_names() if name != "schema_migrations")
    assert db.schema_version() == version
    assert db.is_ready()
