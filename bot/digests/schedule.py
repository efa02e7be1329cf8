"""When a subscription's digest is due. Pure: the clock is an argument.

A slot is a local calendar date in the subscription's time zone. Its moment is HH:MM local time that day: on a
spring-forward day a time inside the gap is read as the moment just after it (zoneinfo's fold=0), and on a
fall-back day a repeated time is read once, at its first occurrence. Keying slots by local date is what makes
the repeated hour post once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LATE_LIMIT = timedelta(hours=6)
WEEKDAYS = range(5)  # Monday..Friday


@dataclass(frozen=True)
class Timing:
    at: time
    tz: str
    daily: bool  # False: weekdays only


def slot_moment(timing: Timing, day: date) -> datetime:
    local = datetime.combine(day, timing.at, tzinfo=ZoneInfo(timing.tz))
    return local.astimezone(UTC)


def _is_slot_day(timing: Timing, day: date) -> bool:
    return timing.daily or day.weekday() in WEEKDAYS


def due_slot(timing: Timing, now: datetime) -> date | None:
    """The slot to post now, if any: the latest slot day whose moment has passed, unless it is 6 h late or more
    (a slot missed while the bot was down is posted late only within that limit)."""
    today = now.astimezone(ZoneInfo(timing.tz)).date()
    for day in (today, today - timedelta(days=1)):
        if not _is_slot_day(timing, day):
            continue
        moment = slot_moment(timing, day)
        if moment <= now:
            return day if now - moment < LATE_LIMIT else None
    return None


def next_moment(timing: Timing, now: datetime) -> datetime:
    """When the next slot after `now` falls (for the subscription notice)."""
    day = now.astimezone(ZoneInfo(timing.tz)).date()
    for offset in range(8):
        candidate = day + timedelta(days=offset)
        if _is_slot_day(timing, candidate) and slot_moment(timing, candidate) > now:
            return slot_moment(timing, candidate)
    raise AssertionError("a weekly schedule always has a next slot")
