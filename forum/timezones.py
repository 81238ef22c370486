"""Time zones: a wall-clock time typed in a zone becomes UTC, a stored moment becomes a zone's wall
clock. Every conversion goes through here (a community's zone, a webinar's, the site's default),
so a DST gap or overlap is decided one way everywhere: Python's fold=0 rule. Showing a moment in
the viewer's zone and language is forum/i18n.py's (it calls these)."""
from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from flask import current_app


def zone(where: str | tzinfo | None = None) -> tzinfo:
    """The named zone (an IANA name or a zone object as it is); no name means the site's default."""
    if isinstance(where, tzinfo):
        return where
    return zoneinfo.ZoneInfo(where or current_app.config["DEFAULT_TIMEZONE"])


def community_zone(community) -> tzinfo:
    """Where a community's typed dates and times are meant: its own zone, or the site's."""
    return zone(community.timezone)


def to_utc(local: datetime, where: str | tzinfo | None) -> datetime:
    """A naive wall-clock time in a zone as an aware UTC moment."""
    return local.replace(tzinfo=zone(where)).astimezone(UTC)


def to_local(moment: datetime, where: str | tzinfo | None) -> datetime:
    """A moment as the zone's naive wall-clock time, to the minute (as a datetime-local input
    shows and takes it)."""
    return moment.astimezone(zone(where)).replace(tzinfo=None, second=0, microsecond=0)


def day_range(first: date | None, last: date | None, where: str | tzinfo | None
              ) -> tuple[datetime | None, datetime | None]:
    """From the start of `first` to the start of the day after `last`, in a zone: the moments a
    "from ... to ..." filter of whole days means there (either end may be open)."""
    local = zone(where)
    start = datetime.combine(first, time.min, local) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, local) if last else None
    return start, end
