"""The schedule with an injected clock: due and not due, zones, weekdays, DST, late and very late slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.digests.schedule import Timing, due_slot, next_moment, slot_moment

BERLIN_9 = Timing(at=time(9, 0), tz="Europe/Berlin", daily=False)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_due_at_nine_local_not_before() -> None:
    # Tuesday 2026-11-24: Berlin is UTC+1, so 09:00 local is 08:00 UTC.
    assert due_slot(BERLIN_9, utc(2026, 11, 24, 7, 59)) is None
    assert due_slot(BERLIN_9, utc(2026, 11, 24, 8, 0)) == date(2026, 11, 24)
    tokyo = Timing(at=time(9, 0), tz="Asia/Tokyo", daily=False)
    assert due_slot(tokyo, utc(2026, 11, 24, 0, 0)) == date(2026, 11, 24)  # 09:00 JST


def test_weekends_only_with_daily() -> None:
    saturday = utc(2026, 11, 28, 8, 30)
    assert due_slot(BERLIN_9, saturday) is None
    assert due_slot(Timing(at=time(9), tz="Europe/Berlin", daily=True), saturday) == date(2026, 11, 28)


def test_late_is_posted_within_six_hours_and_skipped_after() -> None:
    assert due_slot(BERLIN_9, utc(2026, 11, 24, 13, 59)) == date(2026, 11, 24)
    assert due_slot(BERLIN_9, utc(2026, 11, 24, 14, 0)) is None


def test_spring_forward_gap_and_fall_back_repeat() -> None:
    gap = Timing(at=time(2, 30), tz="Europe/Berlin", daily=True)
    # 2026-03-29: clocks jump 02:00 → 03:00 CET→CEST; 02:30 does not exist and is read as 03:30 CEST (01:30 UTC).
    assert slot_moment(gap, date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)
    assert due_slot(gap, utc(2026, 3, 29, 1, 29)) != date(2026, 3, 29)
    assert due_slot(gap, utc(2026, 3, 29, 1, 30)) == date(2026, 3, 29)
    # 2026-10-25: 02:30 happens twice; the slot is the first one (00:30 UTC) and the date keys it once.
    assert slot_moment(gap, date(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    assert due_slot(gap, utc(2026, 10, 25, 1, 30)) == date(2026, 10, 25)  # the second 02:30: same slot


def test_next_moment_skips_the_weekend() -> None:
    friday_after = utc(2026, 11, 27, 9, 0)
    assert next_moment(BERLIN_9, friday_after) == utc(2026, 11, 30, 8, 0)
    assert next_moment(BERLIN_9, friday_after) - friday_after < timedelta(days=4)
