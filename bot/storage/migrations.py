"""The schema, as numbered migrations applied in order by `Database.migrate()`.

To change the schema, append one `Migration(next number, "what it adds", _SQL_CONSTANT)` to `MIGRATIONS`. Never edit
or renumber a migration that has shipped: databases in the field record the numbers they have applied.

Conventions: timestamps are INTEGER unix seconds (UTC); tables are STRICT so a wrong type is an error, not a
silent conversion. A migration is plain SQL, split into statements and run inside migrate()'s single transaction:
`PRAGMA foreign_keys` is ignored there, so a table rebuild uses `PRAGMA defer_foreign_keys = ON` instead.
"""

from __future__ import annotations

from typing import NamedTuple


class Migration(NamedTuple):
    number: int
    name: str
    sql: str


_FOUNDATION = """
-- `/pscale org switch ORG`: the org used when a command has no --org.
CREATE TABLE user_preferences (
    team_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    default_org TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) STRICT;

-- `/pscale channel db DB`: the database a command in this channel uses when one positional argument is missing.
CREATE TABLE channel_preferences (
    team_id          TEXT NOT NULL,
    channel_id       TEXT NOT NULL,
    default_database TEXT,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (team_id, channel_id)
) STRICT;

-- Slack retries, double clicks and replayed webhooks act once: the first to insert its key wins.
CREATE TABLE idempotency_keys (
    key        TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "preferences and idempotency keys", _FOUNDATION),
    # next: Migration(2, "…", _SQL),
)

LATEST_VERSION = MIGRATIONS[-1].number
