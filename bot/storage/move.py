"""`pscale-bot move-database --to URL`: copy an SQLite installation into PostgreSQL, every row of every table.

Rows are copied as stored, so the sealed tokens and webhook secrets stay sealed under the same
BOT_ENCRYPTION_KEYS (nothing is decrypted on the way). The copy is one transaction on the target: it lands whole or
not at all. The target must be empty; it is migrated first, the source too, so both have the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database, StorageError
from bot.storage.sqlite import SqliteDatabase


@dataclass(frozen=True)
class MoveReport:
    copied: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.copied.values())

    def summary(self) -> str:
        tables = ", ".join(f"{table} {count}" for table, count in self.copied.items() if count)
        return f"copied {self.rows} row(s) in {len(self.copied)} table(s)" + (f": {tables}" if tables else "")


async def move_database(source: SqliteDatabase, target: Database) -> MoveReport:
    if target.engine == "sqlite":
        raise StorageError("move-database copies into PostgreSQL: --to must be a postgresql:// URL")
    await source.migrate()
    await target.migrate()
    tables = await source.table_names()
    missing = set(tables) - set(await target.table_names())
    if missing:  # pragma: no cover - both were migrated by this code a line above
        raise StorageError(f"{target.location} lacks table(s) {', '.join(sorted(missing))}")
    for table in tables:
        if await target.fetchone(f"SELECT 1 FROM {table} LIMIT 1"):  # noqa: S608 - names from the schema
            raise StorageError(
                f"{target.location} already holds data (table {table}); move-database only fills an empty database"
            )
    copied: dict[str, int] = {}
    async with target.transaction() as tx:
        for table in tables:
            rows = await source.rows(table)
            copied[table] = len(rows)
            if not rows:
                continue
            columns = list(rows[0])
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"  # noqa: S608
            )
            for row in rows:
                await tx.execute(insert, [row[column] for column in columns])
        await target.after_copy(tx)
    return MoveReport(copied=copied)
