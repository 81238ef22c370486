"""Reading a video platform's attendance report (Zoom, Microsoft Teams, or a hand-made sheet).

The report lists each join and each leave, one row per connection: people drop out and
rejoin. What an organizer wants per person is the time they were there — the union of
their intervals, so overlapping rows (a phone and a laptop) are not counted twice — and how
many times they joined. Platforms write dates their own way: Zoom "12/01/2027 10:01:05 AM"
(month first in the US, day first elsewhere), Teams "1/12/27, 10:01:05 AM" or ISO; day and
month are told apart by the webinar's own date when the numbers alone cannot.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from forum.services import DomainError
from forum.spreadsheets import decode, fold

MAX_ATTENDANCE_ROWS = 20_000
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[Tt ](\d{1,2}):(\d{2})(?::(\d{2}))?")
_SLASHED = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?")
_MERIDIEM = re.compile(r"\b([ap])\.?\s?m\b\.?")  # "p. m.", "p.m.", "pm"
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?")
_EMAIL_WORDS = ("email", "e-mail", "correo")
_JOIN_WORDS = ("join", "entrada", "ingreso", "union", "conexion")
_LEAVE_WORDS = ("leave", "left", "salida", "desconexion")


@dataclass
class ReportRow:
    line: int
    name: str
    email_cell: str
    join: str = ""
    leave: str = ""
    duration: str = ""


@dataclass
class Presence:
    """One person's connections: (start, end) pairs, possibly overlapping."""
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    rows: int = 0

    @property
    def joins(self) -> int:
        return self.rows

    @property
    def minutes(self) -> int | None:
        """Minutes in the union of the intervals; None when no row had readable times."""
        if not self.intervals:
            return None
        total, current = timedelta(0), None
        for start, stop in sorted(self.intervals):
            if current is None or start > current[1]:
                if current is not None:
                    total += current[1] - current[0]
                current = (start, stop)
            else:
                current = (current[0], max(current[1], stop))
        total += current[1] - current[0]
        return round(total.total_seconds() / 60)


def _cells(line: str) -> list[str]:
    return [fold(c) for c in re.split(r"[,;\t]", line)]


def _is_header(line: str) -> bool:
    """A line naming an email column (an address such as juan@correo.cl is not a header)."""
    return any(word in cell for cell in _cells(line) if "@" not in cell for word in _EMAIL_WORDS)


def _find(header: list[str], words, exclude=()) -> int | None:
    return next((i for i, h in enumerate(header)
                 if any(w in h for w in words) and not any(x in h for x in exclude)), None)


def _columns(line: str) -> tuple[str, dict[str, int | None]]:
    """(delimiter, column of each field) of a header line."""
    delimiter = max((",", ";", "\t"), key=line.count)
    header = [fold(cell) for cell in next(csv.reader([line], delimiter=delimiter))]
    email = _find(header, _EMAIL_WORDS)
    return delimiter, {
        "email": email, "name": _find(header, ("name", "nombre")),
        "join": _find(header, _JOIN_WORDS, ("duration", "duracion")),
        "leave": _find(header, _LEAVE_WORDS, ("duration", "duracion")),
        "duration": _find(header, ("duration", "duracion"))}


def read_rows(data: bytes) -> list[ReportRow]:
    """Rows of the participants' list, however messy the file: a meeting summary before it (with its
    own email column), blank lines, comma, semicolon or tab, UTF-8, UTF-16 or Latin-1. Of the
    sections with an email column, the one with the most addresses is the list of connections
    (Teams writes one row per person, then one per join: the second wins)."""
    lines = decode(data).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > MAX_ATTENDANCE_ROWS + 100:
        raise DomainError(_l("The file has more than %(n)s rows: split it into smaller files.",
                             n=f"{MAX_ATTENDANCE_ROWS:,}"))
    starts = [i for i, line in enumerate(lines) if _is_header(line)]
    if not starts:
        raise DomainError(_l("No column of email addresses was found: the file needs a header such as "
                             "“Email” or “Correo”."))
    best: list[ReportRow] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        try:
            rows = _section(lines, start, end)
        except csv.Error:
            raise DomainError(_l("Line %(line)d cannot be read as CSV (a cell is too long or a quote is not "
                                 "closed).", line=start + 2)) from None
        if sum("@" in r.email_cell for r in rows) > sum("@" in r.email_cell for r in best):
            best = rows
    return best


def _section(lines: list[str], start: int, end: int) -> list[ReportRow]:
    delimiter, cols = _columns(lines[start])
    rows = []
    for offset, cells in enumerate(csv.reader(lines[start + 1:end], delimiter=delimiter)):
        if not any(c.strip() for c in cells):
            continue
        get = {name: cells[i].strip() if i is not None and i < len(cells) else "" for name, i in cols.items()}
        rows.append(ReportRow(start + offset + 2, " ".join(get["name"].split())[:120], get["email"],
                              get["join"], get["leave"], get["duration"]))
    return rows


# --- times -------------------------------------------------------------------------------

def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _hour(hour: str, meridiem: str | None) -> int:
    value = int(hour)
    if meridiem == "p" and value < 12:
        return value + 12
    if meridiem == "a" and value == 12:
        return 0
    return value


def _slashed(values: list[str], event_day: date | None) -> bool:
    """True if slashed dates put the day first: some first number above 12 says so, some
    second number above 12 says not; otherwise the order that gives the event's date."""
    pairs = [(int(m.group(1)), int(m.group(2)), _year(m.group(3)))
             for m in (_SLASHED.search(fold(v)) for v in values) if m]
    if any(a > 12 for a, _b, _y in pairs):
        return True
    if any(b > 12 for _a, b, _y in pairs) or not pairs or event_day is None:
        return False

    def near(year: int, month: int, day: int) -> bool:
        try:
            return abs((date(year, month, day) - event_day).days) <= 1
        except ValueError:
            return False
    return sum(near(y, b, a) for a, b, y in pairs) > sum(near(y, a, b) for a, b, y in pairs)


def parse_moment(text: str, day_first: bool, base: date) -> datetime | None:
    """A report's timestamp; a bare time ("10:05") is on `base`. None if unreadable."""
    value = _MERIDIEM.sub(r"\1m", fold(text))
    try:
        if m := _ISO.search(value):
            y, mo, d, h, mi, s = m.groups()
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        if m := _SLASHED.search(value):
            a, b, y, h, mi, s, mer = m.groups()
            d, mo = (a, b) if day_first else (b, a)
            return datetime(_year(y), int(mo), int(d), _hour(h, mer), int(mi), int(s or 0))
        if m := _TIME.match(value):
            h, mi, s, mer = m.groups()
            return datetime.combine(base, datetime.min.time()).replace(
                hour=_hour(h, mer), minute=int(mi), second=int(s or 0))
    except ValueError:
        return None
    return None


def interval(row: ReportRow, day_first: bool, base: date) -> tuple[datetime, datetime] | None:
    """(join, leave) of a row; the leave from the duration in minutes when there is no leave time."""
    start = parse_moment(row.join, day_first, base) if row.join else None
    if start is None:
        return None
    stop = parse_moment(row.leave, day_first, base) if row.leave else None
    if stop is None:
        try:
            stop = start + timedelta(minutes=float(row.duration.replace(",", ".")))
        except ValueError:
            return None
    if stop < start and stop.date() == start.date() and ":" in row.leave and "/" not in row.leave:
        stop += timedelta(days=1)  # bare times across midnight
    return (start, stop) if stop >= start else None


def day_order(rows: list[ReportRow], event_day: date | None) -> bool:
    return _slashed([v for r in rows for v in (r.join, r.leave) if v], event_day)
