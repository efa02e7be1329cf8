"""The foundation's repositories, on both engines: user and channel defaults, idempotency keys, shared budgets."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import ChannelPreferences, Database, IdempotencyKeys, RateBudgets, UserPreferences, open_database


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_user_default_org_set_replace_clear(db: Database) -> None:
    users = UserPreferences(db)
    assert await users.default_org("T1", "U1") is None
    await users.set_default_org(team_id="T1", user_id="U1", org="acme")
    await users.set_default_org(team_id="T1", user_id="U1", org="acme-staging")
    await users.set_default_org(team_id="T2", user_id="U1", org="other-workspace")
    assert await users.default_org("T1", "U1") == "acme-staging"
    assert await users.default_org("T1", "U2") is None
    assert await users.clear_default_org("T1", "U1") is True
    assert await users.clear_default_org("T1", "U1") is False
    assert await users.default_org("T1", "U1") is None
    assert await users.default_org("T2", "U1") == "other-workspace"


async def test_channel_default_database_set_replace_clear(db: Database) -> None:
    channels = ChannelPreferences(db)
    assert await channels.default_database("T1", "C1") is None
    await channels.set_default_database(team_id="T1", channel_id="C1", database_name="orders")
    await channels.set_default_database(team_id="T1", channel_id="C1", database_name="payments")
    await channels.set_default_database(team_id="T1", channel_id="C2", database_name="orders")
    assert await channels.default_database("T1", "C1") == "payments"
    assert await channels.clear_default_database("T1", "C1") is True
    assert await channels.clear_default_database("T1", "C1") is False
    assert await channels.default_database("T1", "C1") is None
    assert await channels.default_database("T1", "C2") == "orders"


async def test_a_set_default_survives_reopening(database_url: str, db: Database) -> None:
    await ChannelPreferences(db).set_default_database(team_id="T1", channel_id="C1", database_name="orders")
    reopened = await open_database(database_url)
    try:
        assert await ChannelPreferences(reopened).default_database("T1", "C1") == "orders"
    finally:
        await reopened.close()


async def test_claim_once_has_one_winner_among_concurrent_tasks(db: Database) -> None:
    keys = IdempotencyKeys(db)
    outcomes = await asyncio.gather(*(keys.claim_once("click:card-1:approve:v3") for _ in range(16)))
    assert sorted(outcomes) == [False] * 15 + [True]


async def test_claim_once_has_one_winner_among_separate_connections(db: Database, database_url: str) -> None:
    """Separate `Database`s are what separate processes or replicas are: each has its own connections."""
    databases = [await open_database(database_url) for _ in range(6)]
    try:
        outcomes = await asyncio.gather(*(IdempotencyKeys(each).claim_once("event:Ev123") for each in databases))
    finally:
        for database in databases:
            await database.close()
    assert sorted(outcomes) == [False] * 5 + [True]


async def test_different_keys_are_independent(db: Database) -> None:
    keys = IdempotencyKeys(db)
    assert await keys.claim_once("a")
    assert await keys.claim_once("b")
    assert not await keys.claim_once("a")


async def test_empty_key_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="empty"):
        await IdempotencyKeys(db).claim_once("")


async def test_prune_forgets_only_old_keys(db: Database) -> None:
    clock = FakeClock(1_000)
    keys = IdempotencyKeys(db, clock=clock)
    assert await keys.claim_once("old")
    clock.now = 2_000
    assert await keys.claim_once("recent")
    clock.now = 2_100
    assert await keys.prune_older_than(600) == 1
    assert await keys.claim_once("old")  # forgotten, so it can be claimed again
    assert not await keys.claim_once("recent")
    with pytest.raises(ValueError, match="negative"):
        await keys.prune_older_than(-1)


async def test_a_shared_budget_gives_its_burst_then_paces(db: Database, database_url: str) -> None:
    clock = FakeClock(1_000.0)
    other = await open_database(database_url)
    try:
        # Two processes spending one bucket: together they get the burst, not a burst each.
        budgets = [RateBudgets(db, clock=clock), RateBudgets(other, clock=clock)]
        waits = await asyncio.gather(
            *(budgets[turn % 2].take("slack:T1", per_second=2.0, burst=5) for turn in range(8))
        )
    finally:
        await other.close()
    assert sorted(waits)[:5] == [0.0] * 5
    assert all(wait > 0 for wait in sorted(waits)[5:])
    budget = RateBudgets(db, clock=clock)
    assert await budget.take("slack:T1", per_second=2.0, burst=5) == pytest.approx(0.5)
    clock.now += 0.5
    assert await budget.take("slack:T1", per_second=2.0, burst=5) == 0.0
    clock.now += 60  # refills up to the burst, never beyond
    assert [await budget.take("slack:T1", per_second=2.0, burst=5) for _ in range(6)][-2:] == [0.0, pytest.approx(0.5)]
    assert await budget.take("planetscale", per_second=1.0, burst=1) == 0.0  # buckets are independent


async def test_a_held_budget_gives_no_token_to_any_process_until_the_hold_has_passed(
    db: Database, database_url: str
) -> None:
    """A 429's Retry-After, told to one process, holds every process spending the bucket (bot/cards/updates.py)."""
    clock = FakeClock(1_000.0)
    told = RateBudgets(db, clock=clock)
    assert await told.take("slack:chat.update", per_second=2.0, burst=5) == 0.0
    await told.hold("slack:chat.update", seconds=8, per_second=2.0)
    other = await open_database(database_url)
    try:
        replica = RateBudgets(other, clock=clock)
        for elapsed in (0.0, 4.0, 7.9):
            clock.now = 1_000.0 + elapsed
            assert await replica.take("slack:chat.update", per_second=2.0, burst=5) > 0, elapsed
        clock.now = 1_008.0
        assert await replica.take("slack:chat.update", per_second=2.0, burst=5) == 0.0
    finally:
        await other.close()


async def test_a_clock_behind_the_last_writer_refills_nothing(db: Database) -> None:
    ahead, behind = FakeClock(2_000.0), FakeClock(1_990.0)
    assert await RateBudgets(db, clock=ahead).take("b", per_second=1.0, burst=1) == 0.0
    assert await RateBudgets(db, clock=behind).take("b", per_second=1.0, burst=1) == pytest.approx(1.0)
