"""The foundation's repositories: user and channel defaults, and idempotency keys."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.storage import ChannelPreferences, Database, IdempotencyKeys, UserPreferences


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_user_default_org_set_replace_clear(db: Database) -> None:
    users = UserPreferences(db)
    assert users.default_org("T1", "U1") is None
    users.set_default_org(team_id="T1", user_id="U1", org="acme")
    users.set_default_org(team_id="T1", user_id="U1", org="acme-staging")
    users.set_default_org(team_id="T2", user_id="U1", org="other-workspace")
    assert users.default_org("T1", "U1") == "acme-staging"
    assert users.default_org("T1", "U2") is None
    assert users.clear_default_org("T1", "U1") is True
    assert users.clear_default_org("T1", "U1") is False
    assert users.default_org("T1", "U1") is None
    assert users.default_org("T2", "U1") == "other-workspace"


def test_channel_default_database_set_replace_clear(db: Database) -> None:
    channels = ChannelPreferences(db)
    assert channels.default_database("T1", "C1") is None
    channels.set_default_database(team_id="T1", channel_id="C1", database_name="orders")
    channels.set_default_database(team_id="T1", channel_id="C1", database_name="payments")
    channels.set_default_database(team_id="T1", channel_id="C2", database_name="orders")
    assert channels.default_database("T1", "C1") == "payments"
    assert channels.clear_default_database("T1", "C1") is True
    assert channels.clear_default_database("T1", "C1") is False
    assert channels.default_database("T1", "C1") is None
    assert channels.default_database("T1", "C2") == "orders"


def test_a_set_default_survives_reopening(db_path: Path, db: Database) -> None:
    ChannelPreferences(db).set_default_database(team_id="T1", channel_id="C1", database_name="orders")
    reopened = Database.open(db_path)
    try:
        assert ChannelPreferences(reopened).default_database("T1", "C1") == "orders"
    finally:
        reopened.close()


def _race(claims: list[IdempotencyKeys], key: str) -> list[bool]:
    start = threading.Barrier(len(claims))
    outcomes: list[bool] = []
    outcomes_lock = threading.Lock()

    def claim(keys: IdempotencyKeys) -> None:
        start.wait()
        won = keys.claim_once(key)
        with outcomes_lock:
            outcomes.append(won)

    threads = [threading.Thread(target=claim, args=(keys,)) for keys in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_claim_once_has_one_winner_among_threads_sharing_a_connection(db: Database) -> None:
    keys = IdempotencyKeys(db)
    outcomes = _race([keys] * 16, "click:card-1:approve:v3")
    assert sorted(outcomes) == [False] * 15 + [True]


def test_claim_once_has_one_winner_among_separate_connections(db: Database, db_path: Path) -> None:
    databases = [Database.open(db_path) for _ in range(8)]
    try:
        outcomes = _race([IdempotencyKeys(database) for database in databases], "event:Ev123")
    finally:
        for database in databases:
            database.close()
    assert sorted(outcomes) == [False] * 7 + [True]


def test_different_keys_are_independent(db: Database) -> None:
    keys = IdempotencyKeys(db)
    assert keys.claim_once("a")
    assert keys.claim_once("b")
    assert not keys.claim_once("a")


def test_empty_key_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="empty"):
        IdempotencyKeys(db).claim_once("")


def test_prune_forgets_only_old_keys(db: Database) -> None:
    clock = FakeClock(1_000)
    keys = IdempotencyKeys(db, clock=clock)
    assert keys.claim_once("old")
    clock.now = 2_000
    assert keys.claim_once("recent")
    clock.now = 2_100
    assert keys.prune_older_than(600) == 1
    assert keys.claim_once("old")  # forgotten, so it can be claimed again
    assert not keys.claim_once("recent")
    with pytest.raises(ValueError, match="negative"):
        keys.prune_older_than(-1)
