"""SQLite storage: the database (WAL, migrations, transactions, backups) and the repositories built on it."""

from bot.storage.audit import AuditEntry, AuditLog
from bot.storage.database import (
    BackupError,
    Clock,
    Database,
    MigrationError,
    SchemaTooNewError,
    StorageError,
)
from bot.storage.idempotency import IdempotencyKeys
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from bot.storage.pending import PendingCommand, PendingCommands
from bot.storage.preferences import ChannelPreferences, UserPreferences

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "AuditEntry",
    "AuditLog",
    "BackupError",
    "ChannelPreferences",
    "Clock",
    "Database",
    "IdempotencyKeys",
    "Migration",
    "MigrationError",
    "PendingCommand",
    "PendingCommands",
    "SchemaTooNewError",
    "StorageError",
    "UserPreferences",
]
