"""The schema, as numbered migrations applied in order by `Database.migrate()`, on SQLite and PostgreSQL alike.

To change the schema, append one `Migration(next number, "what it adds", _SQL_CONSTANT)` to `MIGRATIONS`. Never edit
or renumber a migration that has shipped: databases in the field record the numbers they have applied.

Conventions: timestamps are INTEGER unix seconds (UTC); tables are STRICT so a wrong type is an error on SQLite, not
a silent conversion. A migration is written once, in the SQLite dialect, using only what PostgreSQL also accepts
once `bot.storage.postgresql.postgresql_ddl` has made four mechanical changes (STRICT dropped, INTEGER → BIGINT,
REAL → DOUBLE PRECISION, `INTEGER PRIMARY KEY` → an identity column); a test applies every migration on both.
It is split into statements and run inside migrate()'s single transaction (on SQLite `PRAGMA foreign_keys` is
ignored there, so a table rebuild would use `PRAGMA defer_foreign_keys = ON` instead).
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple


class Migration(NamedTuple):
    number: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The statements, one by one (a driver's "run a script" would commit the surrounding transaction).

        `sqlite3.complete_statement` knows about string literals, comments and trigger bodies, so a `;` inside them
        does not split.
        """
        statements: list[str] = []
        pending = ""
        for piece in self.sql.split(";"):
            pending += piece + ";"
            if sqlite3.complete_statement(pending):
                if pending.strip(" \t\r\n;"):
                    statements.append(pending.strip())
                pending = ""
        if pending.strip(" \t\r\n;"):
            raise ValueError(f"incomplete SQL statement at the end of a migration: {pending.strip()!r}")
        return statements


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

_AUDIT_AND_CONFIRMATIONS = """
-- Every change made from Slack: who, what, when, result (`/pscale audit DB`). Never holds a secret.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    team_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    organization TEXT,
    database     TEXT,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    result       TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_by_database ON audit_log (team_id, database, at);

-- A destructive command waiting for its asker's `cmd_confirm` click; consumed by one DELETE … RETURNING.
CREATE TABLE pending_commands (
    id         TEXT PRIMARY KEY NOT NULL,
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
"""

_ACCOUNT_LINKING = """
-- One PlanetScale OAuth grant per Slack user. Tokens are Fernet ciphertexts (never plain text, docs/interface.md
-- §7); the refresh token sits in its own column so reading an access token never has to open it. `version` grows
-- with every token write: refreshes compare-and-swap on it. `lease_*` make one process at a time refresh a user's
-- tokens.
CREATE TABLE planetscale_grants (
    team_id               TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    planetscale_user_id   TEXT NOT NULL,
    planetscale_user_name TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    access_token          TEXT NOT NULL,
    refresh_token         TEXT,
    expires_at            INTEGER,
    created_at            INTEGER NOT NULL,
    refreshed_at          INTEGER,
    version               INTEGER NOT NULL DEFAULT 1,
    status                TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'dead')),
    relink_told           INTEGER NOT NULL DEFAULT 0,
    lease_holder          TEXT,
    lease_until           INTEGER,
    PRIMARY KEY (team_id, user_id)
) STRICT;

-- `/pscale login` tickets and OAuth states: only a SHA-256 of each random value is kept; each is consumed by one
-- DELETE … RETURNING, so two browsers (or a replay) can never both use one.
CREATE TABLE link_tickets (
    ticket_hash TEXT PRIMARY KEY NOT NULL,
    team_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE oauth_states (
    state_hash   TEXT PRIMARY KEY NOT NULL,
    browser_hash TEXT NOT NULL,
    team_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
"""

_DIGESTS = """
-- `/pscale digest subscribe DB`: one per (channel, org, database); subscribing again changes time, zone or owner.
CREATE TABLE digest_subscriptions (
    team_id    TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    org        TEXT NOT NULL,
    database   TEXT NOT NULL,
    owner_id   TEXT NOT NULL,
    at_minute  INTEGER NOT NULL,
    tz         TEXT NOT NULL,
    daily      INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, channel_id, org, database)
) STRICT;

-- One scheduled digest per subscription per local date: claimed by one INSERT before posting, so two processes
-- (the in-process schedule and a cron `pscale-bot digest`) never both post it.
CREATE TABLE digest_slots (
    team_id    TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    org        TEXT NOT NULL,
    database   TEXT NOT NULL,
    slot       TEXT NOT NULL,
    claimed_at INTEGER NOT NULL,
    posted_at  INTEGER,
    PRIMARY KEY (team_id, channel_id, org, database, slot)
) STRICT;
"""

_WATCHES = """
-- `/pscale watch DB`: one PlanetScale webhook per (workspace, org, database), delivered to one channel. The hook
-- id in the URL is unguessable; the signing secret is sealed with BOT_ENCRYPTION_KEYS.
CREATE TABLE watches (
    hook_id                TEXT PRIMARY KEY NOT NULL,
    team_id                TEXT NOT NULL,
    channel_id             TEXT NOT NULL,
    org                    TEXT NOT NULL,
    database               TEXT NOT NULL,
    planetscale_webhook_id TEXT NOT NULL,
    sealed_secret          TEXT NOT NULL,
    created_by             TEXT NOT NULL,
    created_at             INTEGER NOT NULL,
    UNIQUE (team_id, org, database)
) STRICT;
"""

_CARDS = """
-- Live deploy-request cards. `reader_id` is the Slack user whose grant keeps the card current (the poster, else a
-- linked user who clicked); NULL once nobody's is left. `version` is bumped whenever what the card shows changes
-- state, and rides in every button's value, so a click on an older drawing is recognised. `snapshot` is the last
-- view shown (JSON), drawn again when the card goes stale. `next_refresh_at` is when the reconciler reads it again
-- (NULL: PlanetScale is not moving it along, so only a click, a command or a webhook will). A card drawn as the
-- unfurl of a PlanetScale link has `unfurl_url`; its `ts` is then the message that shared the link.
CREATE TABLE cards (
    card_id          TEXT PRIMARY KEY NOT NULL,
    team_id          TEXT NOT NULL,
    channel_id       TEXT NOT NULL,
    ts               TEXT,
    unfurl_url       TEXT,
    org              TEXT NOT NULL,
    database         TEXT NOT NULL,
    number           INTEGER NOT NULL,
    reader_id        TEXT,
    version          INTEGER NOT NULL,
    fingerprint      TEXT NOT NULL,
    snapshot         TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    refreshed_at     INTEGER NOT NULL,
    next_refresh_at  INTEGER
) STRICT;
CREATE INDEX cards_by_request ON cards (team_id, org, database, number);
CREATE INDEX cards_due ON cards (next_refresh_at) WHERE next_refresh_at IS NOT NULL;

-- One row per click that changed (or is changing) a deploy request: claimed by one INSERT before PlanetScale is
-- called, so a double click or two people clicking at once make one call; the loser is told who did it.
CREATE TABLE card_clicks (
    click_key  TEXT PRIMARY KEY NOT NULL,
    card_id    TEXT NOT NULL,
    action     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    claimed_at INTEGER NOT NULL
) STRICT;
"""

_LEASES_AND_BUDGETS = """
-- A click in flight holds its claim until `lease_until`; NULL once PlanetScale has acted (the claim is then final).
-- A process killed mid-call leaves a lease that lapses, so the click can be made again instead of being refused
-- forever (claims made before this migration are final).
ALTER TABLE card_clicks ADD COLUMN lease_holder TEXT;
ALTER TABLE card_clicks ADD COLUMN lease_until INTEGER;

-- The replica refreshing a card holds it until `lease_until`, so replicas never refresh one card at the same time
-- and a card held by a replica that died is taken over once the lease lapses.
ALTER TABLE cards ADD COLUMN lease_holder TEXT;
ALTER TABLE cards ADD COLUMN lease_until INTEGER;

-- Token buckets shared by every process on this database: Slack's chat.update budget per workspace, PlanetScale's
-- request pacing. `tokens` is what is left as of `refilled_at` (unix seconds, fractional).
CREATE TABLE rate_budgets (
    name        TEXT PRIMARY KEY NOT NULL,
    tokens      REAL NOT NULL,
    refilled_at REAL NOT NULL
) STRICT;
"""

_NOTIFICATIONS = """
-- Each person's direct-message settings (`/pscale notify on|off mine|reviews [DB]`): `mine` has no database (org
-- and database are ''), and is on unless a row turns it off; `reviews` is per database and off unless a row turns
-- it on. What was open when `reviews` was turned on is recorded in `notifications_sent` then, so only deploy requests
-- opened after it are news to its subscriber (no clock of ours is compared with PlanetScale's).
CREATE TABLE notification_settings (
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    topic      TEXT NOT NULL,
    org        TEXT NOT NULL,
    database   TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id, topic, org, database)
) STRICT;
CREATE INDEX notification_settings_by_database ON notification_settings (team_id, topic, org, database);

-- One row per direct message about a deploy request's event, inserted before it is sent: the same event seen by a
-- webhook delivery and by the reconciler, by two replicas, or again after a restart is sent once.
CREATE TABLE notifications_sent (
    team_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    org      TEXT NOT NULL,
    database TEXT NOT NULL,
    number   INTEGER NOT NULL,
    event    TEXT NOT NULL,
    sent_at  INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id, org, database, number, event)
) STRICT;
"""

_UNDRAWN_CARDS = """
-- What Slack has shown of a card, as far as the bot knows. The newest drawing of `snapshot` is stored before it is
-- sent, so until Slack confirms it (`chat.update` answered ok) it is unconfirmed: `redraw_at` says when the reconciler
-- draws it again from `snapshot` (no PlanetScale read), should no answer come first. A refusal, Slack out of reach or
-- an answer lost counts in `redraw_failures` and puts `redraw_at` off (backing off, or Slack's Retry-After); after
-- too many `redraw_at` is NULL with `redraw_failures` left above 0, so the next read or delivery still draws it.
-- Both are back to NULL and 0 once Slack confirmed the drawing. Cards stored before this were drawn, as far as
-- anyone can tell.
ALTER TABLE cards ADD COLUMN redraw_at INTEGER;
ALTER TABLE cards ADD COLUMN redraw_failures INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cards_undrawn ON cards (redraw_at) WHERE redraw_at IS NOT NULL;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "preferences and idempotency keys", _FOUNDATION),
    Migration(2, "audit log and pending confirmations", _AUDIT_AND_CONFIRMATIONS),
    Migration(3, "PlanetScale grants, link tickets and OAuth states", _ACCOUNT_LINKING),
    Migration(4, "digest subscriptions and slots", _DIGESTS),
    Migration(5, "watches (PlanetScale webhooks)", _WATCHES),
    Migration(6, "deploy-request cards and their clicks", _CARDS),
    Migration(7, "leases on clicks and card refreshes, shared rate budgets", _LEASES_AND_BUDGETS),
    Migration(8, "direct-message settings and the messages sent", _NOTIFICATIONS),
    Migration(9, "cards whose drawing Slack has not confirmed", _UNDRAWN_CARDS),
)

LATEST_VERSION = MIGRATIONS[-1].number
