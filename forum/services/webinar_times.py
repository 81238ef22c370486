"""A webinar's time as its readers need it: in the main capitals of the region and as a countdown."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from forum import timezones
from forum.i18n import is_timezone
from forum.models import (
    Webinar,
    utcnow,
)

# The region's main capitals, shown beside the reader's own time.
CAPITALS = (
    ("America/Mexico_City", _l("Mexico City")),
    ("America/Bogota", _l("Bogotá")),
    ("America/Lima", _l("Lima")),
    ("America/Santiago", _l("Santiago")),
    ("America/Argentina/Buenos_Aires", _l("Buenos Aires")),
    ("America/Sao_Paulo", _l("São Paulo")),
    ("America/Port_of_Spain", _l("Port of Spain")),
)


# --- times ----------------------------------------------------------------------------------

def times_in_capitals(webinar: Webinar, locale: str, zone: str | None = None) -> list[tuple[str, str]]:
    """(place, local time) for the reader's zone (if given) and the region's capitals."""
    from babel.dates import format_datetime

    def local(name: str) -> str:
        return format_datetime(webinar.starts_at, "EEE d MMM · HH:mm",
                               tzinfo=timezones.zone(name), locale=locale)

    with force_locale(locale):
        rows = [(str(label), local(name)) for name, label in CAPITALS]
        if zone and is_timezone(zone) and zone not in dict(CAPITALS):
            rows.insert(0, (gettext("Your time zone (%(zone)s)", zone=zone.replace("_", " ")), local(zone)))
    return rows


def countdown(webinar: Webinar, locale: str, now: datetime | None = None) -> str | None:
    """“in 3 days” until it starts; None once it has started."""
    from babel.dates import format_timedelta

    delta = webinar.starts_at - (now or utcnow())
    if delta.total_seconds() <= 0:
        return None
    return format_timedelta(delta, add_direction=True, locale=locale, threshold=1.1)
