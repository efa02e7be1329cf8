"""Storage: one async interface over SQLite or PostgreSQL (`open_database`), and the repositories built on it."""

from bot.storage.audit import AuditEntry, AuditLog
from bot.storage.budgets import RateBudgets
from bot.storage.database import (
    BackupError,
    Clock,
    Database,
    MigrationError,
    SchemaTooNewError,
    Session,
    StorageError,
    database_at,
    is_postgresql_url,
    open_database,
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
    "RateBudgets",
    "SchemaTooNewError",
    "Session",
    "StorageError",
    "UserPreferences",
    "database_at",
    "is_postgresql_url",
    "open_database",
]
