"""Calendar dates for tests that need a real date on the calendar (a 1 December, a clock change):
always computed ahead of today, so that no test depends on the day it runs."""
from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta, timezone

from forum.models import utcnow


def year_ahead(month: int, day: int, *, at_least: timedelta = timedelta(days=30)) -> int:
    """The first year whose `month`/`day` is at least `at_least` from today."""
    soonest = (utcnow() + at_least).date()
    year = soonest.year
    return year if date(year, month, day) >= soonest else year + 1


def this_year() -> int:
    return utcnow().year


def clock_change(zone: str, *, from_offset: int, to_offset: int,
                 at_least: timedelta = timedelta(days=14)) -> datetime:
    """The UTC instant of the next change of `zone`'s clocks from UTC`from_offset` to UTC`to_offset`
    (hours), at least `at_least` from now, as the time zone database has it."""
    tz = zoneinfo.ZoneInfo(zone)

    def offset(moment: datetime) -> float:
        return moment.astimezone(tz).utcoffset().total_seconds() / 3600

    low = (utcnow() + at_least).replace(minute=0, second=0, microsecond=0)
    for _day in range(3 * 366):
        high = low + timedelta(days=1)
        if offset(low) == from_offset and offset(high) == to_offset:
            while high - low > timedelta(minutes=1):  # the minute of the change
                middle = low + (high - low) / 2
                low, high = (middle, high) if offset(middle) == from_offset else (low, middle)
            return high.replace(second=0, microsecond=0)
        low = high
    raise LookupError(f"{zone} has no change from UTC{from_offset} to UTC{to_offset} in the next three years")


def wall_clock(moment: datetime, offset_hours: int) -> datetime:
    """What a clock at UTC`offset_hours` reads at `moment` (naive)."""
    return moment.astimezone(timezone(timedelta(hours=offset_hours))).replace(tzinfo=None)
