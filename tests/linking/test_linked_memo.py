"""The ack's memory of who was linked a moment ago (bot/linking/memo.py): pure, on a simulated clock."""

from __future__ import annotations

from bot.linking.memo import LinkedMemo

ALICE = ("T1", "UALICE")
BOB = ("T1", "UBOB")
OTHER_TEAM_ALICE = ("T2", "UALICE")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_person_is_known_until_the_memo_lapses() -> None:
    clock = Clock()
    memo = LinkedMemo(seconds=60, clock=clock)
    assert ALICE not in memo
    memo.remember(ALICE)
    clock.now += 59.9
    assert ALICE in memo
    clock.now += 0.1
    assert ALICE not in memo


def test_remembering_again_extends_the_memo() -> None:
    clock = Clock()
    memo = LinkedMemo(seconds=60, clock=clock)
    memo.remember(ALICE)
    clock.now += 50
    memo.remember(ALICE)
    clock.now += 50
    assert ALICE in memo


def test_the_oldest_entries_go_first_when_full() -> None:
    memo = LinkedMemo(entries=2, clock=Clock())
    memo.remember(ALICE)
    memo.remember(BOB)
    memo.remember(ALICE)  # now the most recent
    memo.remember(OTHER_TEAM_ALICE)
    assert ALICE in memo
    assert OTHER_TEAM_ALICE in memo
    assert BOB not in memo


def test_forgetting_names_a_team_and_its_users_or_all_of_them() -> None:
    memo = LinkedMemo(clock=Clock())
    for person in (ALICE, BOB, OTHER_TEAM_ALICE):
        memo.remember(person)
    memo.forget("T1", ["UALICE"])
    assert ALICE not in memo
    assert BOB in memo
    assert OTHER_TEAM_ALICE in memo
    memo.forget("T1", "all")
    assert BOB not in memo
    assert OTHER_TEAM_ALICE in memo
