"""The pacer on simulated time: the process stays under the limit, and one user's burst does not starve another."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence

import pytest

from bot.planetscale import Pacer
from bot.planetscale.pacing import BACKGROUND_SHARE, MAX_PAUSE_SECONDS
from bot.storage import Database, RateBudgets


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def grants_in_order(pacer: Pacer, keys: Sequence[Hashable], time: SimulatedTime) -> list[tuple[Hashable, float]]:
    """Every key asks once (in this order, all at once); returns who was let through when."""
    granted: list[tuple[Hashable, float]] = []

    async def ask(key: Hashable) -> None:
        await pacer.acquire(key)
        granted.append((key, time.now))

    await asyncio.gather(*(ask(key) for key in keys))
    return granted


async def test_one_users_burst_does_not_starve_another() -> None:
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=1, clock=time.clock, sleep=time.sleep)
    granted = await grants_in_order(pacer, ["digest"] * 50 + ["bob"] * 3, time)
    order = [key for key, _ in granted]
    # The first digest request takes the one burst token; then the queues alternate.
    assert order[:7] == ["digest", "digest", "bob", "digest", "bob", "digest", "bob"]
    assert order[7:] == ["digest"] * 46


async def test_the_process_never_exceeds_the_limit_in_any_minute() -> None:
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=20, clock=time.clock, sleep=time.sleep)
    keys: list[Hashable] = [f"user-{index % 3}" for index in range(1500)]
    times = [at for _, at in await grants_in_order(pacer, keys, time)]
    assert len(times) == 1500
    # Any 601 consecutive grants span at least a minute, i.e. no 60 s window holds more than 600.
    assert min(times[index + 600] - times[index] for index in range(len(times) - 600)) >= 60 - 1e-9
    # ...while still sending as fast as allowed: the first 20 at once, then (600 - 20) per minute.
    assert times[19] == 0.0
    assert times[-1] == pytest.approx((1500 - 20) * 60 / 580)


async def test_requests_go_at_once_while_tokens_last() -> None:
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=5, clock=time.clock, sleep=time.sleep)
    for _ in range(5):
        await pacer.acquire("alice")
    assert time.now == 0.0
    await pacer.acquire("alice")
    assert time.now == pytest.approx(60 / 595)


async def test_a_pause_holds_only_the_user_whose_request_got_the_429() -> None:
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=5, clock=time.clock, sleep=time.sleep)
    assert pacer.pause("alice", 5.0) == 5.0
    await pacer.acquire("bob")
    assert time.now == 0.0  # Bob is not held back
    granted = await grants_in_order(pacer, ["alice", "bob", "bob"], time)
    assert [key for key, _ in granted] == ["bob", "bob", "alice"]  # Alice asked first, and waits out her pause
    assert granted[-1] == ("alice", 5.0)


async def test_a_user_who_is_not_paused_does_not_wait_behind_one_who_is() -> None:
    pacer = Pacer(requests_per_minute=600, burst=5)  # real time: the pause below is never waited out
    pacer.pause("alice", 30.0)
    alice = asyncio.create_task(pacer.acquire("alice"))
    await asyncio.sleep(0.01)  # Alice waits, and the pacer sleeps until her pause ends
    async with asyncio.timeout(5):
        await pacer.acquire("bob")
    assert not alice.done()
    alice.cancel()


async def test_a_pause_is_capped_whatever_retry_after_asked() -> None:
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=5, clock=time.clock, sleep=time.sleep)
    assert pacer.pause("alice", 3600.0) == MAX_PAUSE_SECONDS
    await pacer.acquire("alice")
    assert time.now == MAX_PAUSE_SECONDS


async def test_a_cancelled_wait_gives_its_turn_away() -> None:
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=1, clock=time.clock, sleep=time.sleep)
    await pacer.acquire("alice")  # the only burst token
    gave_up = asyncio.create_task(pacer.acquire("alice"))
    await asyncio.sleep(0)
    assert pacer.waiting == 1
    gave_up.cancel()
    await pacer.acquire("bob")
    assert time.now == pytest.approx(60 / 599)  # bob got the next token, not one after the abandoned request
    assert pacer.waiting == 0


async def test_the_expected_wait_is_when_a_new_request_would_get_its_turn() -> None:
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=1, clock=time.clock, sleep=time.sleep)
    await pacer.acquire("warm-up")  # the only burst token: from now on every request waits its turn
    waiting = [asyncio.create_task(pacer.acquire(key)) for key in ["alice"] * 30 + ["bob"] * 5]
    await asyncio.sleep(0)
    turn = 60 / 599
    # The next token is a turn away. Carol has nothing queued: hers is the turn after one of Alice's and one of
    # Bob's (round-robin).
    assert pacer.expected_wait("carol") == pytest.approx(3 * turn)
    # Alice's own 30 first, and Bob's 5 interleaved with them.
    expected = pacer.expected_wait("alice")
    assert expected == pytest.approx(36 * turn)
    started = time.now
    await pacer.acquire("alice")
    assert time.now - started == pytest.approx(expected, abs=turn)
    await asyncio.gather(*waiting)


def test_burst_must_fit_under_the_limit() -> None:
    with pytest.raises(ValueError, match="burst"):
        Pacer(requests_per_minute=600, burst=600)


async def two_replicas_alternating(db: Database, *, burst: int, turns: int, background: bool = False) -> list[float]:
    """Two processes pacing against one budget in the database ask one after another, in turn; when each was let
    through."""
    time = SimulatedTime()
    budgets = RateBudgets(db, clock=time.clock)
    replicas = [
        Pacer(requests_per_minute=600, burst=burst, clock=time.clock, sleep=time.sleep, shared=budgets)
        for _ in range(2)
    ]
    granted: list[float] = []
    for turn in range(turns):
        await replicas[turn % 2].acquire("someone", background=background)
        granted.append(time.now)
    return granted


async def test_processes_sharing_a_budget_in_the_database_stay_under_the_limit_together(db: Database) -> None:
    # Each replica alone would let 5 go at once.
    granted = await two_replicas_alternating(db, burst=5, turns=12)
    # One burst between them, not one each; then the shared rate, (600 - 5) per minute.
    assert granted[:5] == [0.0] * 5
    assert granted[5:] == pytest.approx([step * 60 / 595 for step in range(1, 8)])


async def test_a_shared_budget_that_cannot_be_read_paces_the_process_alone(db: Database) -> None:
    class Broken(RateBudgets):
        async def take(self, name: str, *, per_second: float, burst: float) -> float:
            raise OSError("the database went away")

    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=2, clock=time.clock, sleep=time.sleep, shared=Broken(db))
    granted = await grants_in_order(pacer, ["a", "b", "c"], time)
    assert [at for _, at in granted][:2] == [0.0, 0.0]


# -- the background share: the reconciler's reads ---------------------------------------------------------------------
async def background_grants(pacer: Pacer, keys: Sequence[Hashable], time: SimulatedTime,
                            after_each: Callable[[], None] = lambda: None) -> list[float]:
    """Every key asks once for a background request, all at once; returns when each was let through, calling
    `after_each` as each is."""
    granted: list[float] = []

    async def ask(key: Hashable) -> None:
        await pacer.acquire(key, background=True)
        granted.append(time.now)
        after_each()

    await asyncio.gather(*(ask(key) for key in keys))
    return granted


async def test_a_backlog_of_background_reads_takes_at_most_half_the_budget() -> None:
    """1,500 card reads fall due at once (after an outage): they go at half of PlanetScale's 600 a minute, never
    more in any minute, and no slower than that."""
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=20, clock=time.clock, sleep=time.sleep)
    times = await background_grants(pacer, [f"card-reader-{index % 7}" for index in range(1500)], time)
    share = int(600 * BACKGROUND_SHARE)
    # Any share + 1 consecutive grants span at least a minute: no 60 s window holds more than the share.
    assert min(times[index + share] - times[index] for index in range(len(times) - share)) >= 60 - 1e-9
    background_burst = int(20 * BACKGROUND_SHARE)
    assert times[background_burst - 1] == 0.0
    assert times[-1] == pytest.approx((1500 - background_burst) * 60 / (share - background_burst))


async def test_a_command_never_waits_behind_a_backlog_of_background_reads() -> None:
    """While the backlog is read, the pacer tells the ack path at every moment that a command would go at once
    (`expected_wait`, what the dispatcher asks before it takes a command on), with a burst of requests to spare."""
    time = SimulatedTime()
    pacer = Pacer(requests_per_minute=600, burst=20, clock=time.clock, sleep=time.sleep)
    waits: list[float] = []
    await background_grants(pacer, ["card-reader"] * 600, time, after_each=lambda: waits.append(
        pacer.expected_wait("bob")))
    assert time.now > 60  # a backlog of minutes, not a burst
    assert max(waits) == 0.0
    for _ in range(int(20 * BACKGROUND_SHARE)):  # Bob's command reads several pages: all of them go now
        await pacer.acquire("bob")
    assert pacer.expected_wait("bob") == 0.0


async def test_replicas_share_one_background_share(db: Database) -> None:
    """Two replicas catching up together still take half the budget between them, not half each."""
    # Each replica's background share alone would let 10 go at once.
    granted = await two_replicas_alternating(db, burst=20, turns=14, background=True)
    assert granted[:10] == [0.0] * 10
    assert granted[10:] == pytest.approx([step * 60 / 290 for step in range(1, 5)])
