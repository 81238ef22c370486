"""Webinar attendance: the platform's report imported (minutes and joins per person), ticks by
hand, the organizer's rule for what counts as attending, and the participation table by sex,
country and sector that follows that rule.

`Registration.attended` means "was there at all"; whether someone *attended* in the table's
and the certificates' sense is the rule's call (`meets_rule`), so organizers can change the
rule after the import without importing again.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from forum.extensions import db
from forum.i18n import locale_code
from forum.models import SECTORS, Registration, User, Webinar, utcnow
from forum.people import normalise_email
from forum.policy import can
from forum.services import DomainError, safe_cell
from forum.services.atomic import atomic
from forum.services.attendance_files import Presence, day_order, interval, read_rows
from forum.timezones import to_local

GENDER_BUCKETS = ("women", "men", "other", "not_stated")
_GENDER_BUCKET = {"woman": "women", "man": "men", "other": "other"}
EMAIL_IN_CELL = re.compile(r"[^@\s<>\"',;()]+@[^@\s<>\"',;()]+\.[^@\s<>\"',;()]+")


def _check(user: User, webinar: Webinar) -> None:
    if not can(user, "community.organize", webinar.community):
        raise DomainError(_l("Only the community's organizers can do this."))


def _check_started(webinar: Webinar) -> None:
    if webinar.starts_at > utcnow():
        raise DomainError(_l("Attendance can be recorded once the webinar has started."))


# --- the rule -----------------------------------------------------------------------------

def minutes_needed(webinar: Webinar) -> int | None:
    if not webinar.attendance_threshold:
        return None
    return -(-webinar.duration_minutes * webinar.attendance_threshold // 100)


def meets_rule(webinar: Webinar, registration: Registration) -> bool:
    """Present, and (under a threshold) connected long enough. A tick by hand, with no minutes
    from a report, is the organizer's word and counts."""
    if not registration.attended:
        return False
    needed = minutes_needed(webinar)
    return needed is None or registration.attended_minutes is None or registration.attended_minutes >= needed


def share(webinar: Webinar, registration: Registration) -> int | None:
    """Minutes attended as a whole percentage of the event's duration (at most 100)."""
    if registration.attended_minutes is None or not webinar.duration_minutes:
        return None
    return min(100, round(100 * registration.attended_minutes / webinar.duration_minutes))


def rule_text(webinar: Webinar) -> str:
    needed = minutes_needed(webinar)
    if needed is None:
        return gettext("Attended: everyone marked as present.")
    return gettext("Attended: present for at least %(pct)d%% of the event (%(n)d of %(total)d minutes).",
                   pct=webinar.attendance_threshold, n=needed, total=webinar.duration_minutes)


@atomic
def set_threshold(user: User, webinar: Webinar, percent: int | None) -> None:
    _check(user, webinar)
    if percent is not None and not 0 <= percent <= 100:
        raise DomainError(_l("Use a percentage from 0 to 100, or leave it empty."), field="threshold")
    webinar.attendance_threshold = percent or None


# --- import and ticks ---------------------------------------------------------------------

@dataclass
class AttendanceReport:
    marked: int = 0
    already: int = 0
    repeated: int = 0
    timed: int = 0  # people whose minutes were read
    unmatched: list[tuple[int, str, str]] = field(default_factory=list)  # (line, name, email or reason)

    @property
    def rows(self) -> int:
        return self.marked + self.already + self.repeated + len(self.unmatched)


@atomic
def import_attendance(user: User, webinar: Webinar, data: bytes) -> AttendanceReport:
    """Mark as present everyone whose email is in the report, with their minutes (the union of
    their connections) and number of joins; the rest is listed, nothing guessed. The minutes of
    the people listed replace those of an earlier import."""
    _check(user, webinar)
    _check_started(webinar)
    if not data:
        raise DomainError(_l("The file is empty."))
    rows = read_rows(data)
    event_day = to_local(webinar.starts_at, webinar.timezone).date()
    day_first = day_order(rows, event_day)
    by_email = {r.email: r for r in db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id, Registration.status != "pending")).scalars()}
    report, presence = AttendanceReport(), {}
    for row in rows:
        found = EMAIL_IN_CELL.search(row.email_cell or "")
        if not found:
            report.unmatched.append((row.line, row.name, str(_l("no email address"))))
            continue
        email = normalise_email(found.group(0).strip(".;,"))
        registration = by_email.get(email)
        if registration is None:
            report.unmatched.append((row.line, row.name, email))
            continue
        if email in presence:
            report.repeated += 1  # a person who joined again counts once
        elif registration.attended:
            report.already += 1
        else:
            registration.attended = True
            report.marked += 1
        person = presence.setdefault(email, Presence())
        person.rows += 1
        if (span := interval(row, day_first, event_day)) is not None:
            person.intervals.append(span)
    for email, person in presence.items():
        registration = by_email[email]
        registration.joins = person.joins
        registration.attended_minutes = person.minutes
        report.timed += person.minutes is not None
    _recount(webinar)
    return report


@atomic
def set_attendance(user: User, webinar: Webinar, shown_ids: list[int], attended_ids: set[int]) -> int:
    """Ticks by hand, for the registrations shown on one page of the list."""
    _check(user, webinar)
    _check_started(webinar)
    shown = db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id, Registration.id.in_(shown_ids or [0]))).scalars().all()
    for registration in shown:
        registration.attended = registration.id in attended_ids
        if not registration.attended:
            registration.attended_minutes = registration.joins = None
    _recount(webinar)
    return webinar.attended_count


def _recount(webinar: Webinar) -> None:
    db.session.flush()
    webinar.attended_count = db.session.execute(select(func.count(Registration.id)).where(
        Registration.webinar_id == webinar.id, Registration.attended.is_(True))).scalar_one()


def _listed(webinar: Webinar):
    return select(Registration).where(Registration.webinar_id == webinar.id,
                                      Registration.status.in_(("registered", "waitlisted", "cancelled")))


def attendance_page(webinar: Webinar, page: int, per_page: int = 100) -> tuple[list[Registration], int]:
    base = _listed(webinar)
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = db.session.execute(base.order_by(func.lower(Registration.name), Registration.id)
                              .offset((page - 1) * per_page).limit(per_page)).scalars().all()
    return rows, max(1, -(-total // per_page))


def met_rule_count(webinar: Webinar) -> int:
    present = db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id, Registration.attended.is_(True))).scalars()
    return sum(meets_rule(webinar, r) for r in present)


def attendance_csv(webinar: Webinar, country_name) -> str:
    """Everyone on the list with their minutes, joins, share of the event and the rule's verdict."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext("Name"), gettext("Email"), gettext("Country"), gettext("Registration"),
                     gettext("Present"), gettext("Minutes attended"), gettext("Joins"),
                     gettext("Share of the event (%)"), gettext("Attended (rule)")])
    yes, no = gettext("yes"), gettext("no")
    statuses = {"registered": gettext("registered"), "waitlisted": gettext("waiting list"),
                "cancelled": gettext("cancelled")}
    rows = db.session.execute(_listed(webinar).order_by(func.lower(Registration.name), Registration.id)).scalars()
    for r in rows:
        pct = share(webinar, r)
        writer.writerow([safe_cell(r.name), safe_cell(r.email), country_name(r.country) if r.country else "",
                         statuses[r.status], yes if r.attended else no,
                         "" if r.attended_minutes is None else r.attended_minutes,
                         "" if r.joins is None else r.joins, "" if pct is None else pct,
                         yes if meets_rule(webinar, r) else no])
    writer.writerow([])
    writer.writerow([rule_text(webinar)])
    return out.getvalue()


# --- participation table -------------------------------------------------------------------

@dataclass
class ParticipationRow:
    key: str | None
    registered: Counter
    attended: Counter

    def cell(self, which: str, bucket: str) -> int:
        return getattr(self, which)[bucket]

    def total(self, which: str) -> int:
        return sum(getattr(self, which).values())


@dataclass
class Participation:
    total: ParticipationRow
    by_country: list[ParticipationRow]
    by_sector: list[ParticipationRow]
    rule: str = ""


def participation(webinar: Webinar) -> Participation:
    """Registered and attended, by women / men / other / not stated, by country and by sector,
    as the institute's annex tables count them; "attended" as the organizer's rule says.
    Registered: those holding a seat, plus anyone present (they registered, even if from the
    waiting list)."""
    rows = db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id,
        or_(Registration.status == "registered", Registration.attended.is_(True)))).scalars().all()
    total = ParticipationRow(None, Counter(), Counter())
    countries: dict[str | None, ParticipationRow] = {}
    sectors: dict[str | None, ParticipationRow] = {}
    for r in rows:
        bucket = _GENDER_BUCKET.get(r.gender or "", "not_stated")
        sector = r.sector if r.sector in SECTORS else None
        attended = meets_rule(webinar, r)
        for group in (total, countries.setdefault(r.country, ParticipationRow(r.country, Counter(), Counter())),
                      sectors.setdefault(sector, ParticipationRow(sector, Counter(), Counter()))):
            group.registered[bucket] += 1
            if attended:
                group.attended[bucket] += 1

    def ordered(groups: dict) -> list[ParticipationRow]:
        return sorted(groups.values(), key=lambda r: (r.key is None, -r.total("registered"), r.key or ""))

    return Participation(total, ordered(countries), ordered(sectors), rule_text(webinar))


def participation_csv(webinar: Webinar, table: Participation, country_name, sector_label) -> str:
    """The table as CSV, one row per group, with codes beside the names for re-use; the rule
    for "attended" on the line after the table."""
    out = io.StringIO()
    writer = csv.writer(out)
    buckets = [(b, label) for b, label in zip(GENDER_BUCKETS, (
        gettext("Women"), gettext("Men"), gettext("Other"), gettext("Not stated")))]
    header = [gettext("Group"), gettext("Code"), gettext("Name")]
    for label in (gettext("Registered"), gettext("Attended")):
        header += [f"{label}: {name}" for _b, name in buckets] + [f"{label}: {gettext('Total')}"]
    writer.writerow(header)

    def write(group: str, row: ParticipationRow, name: str) -> None:
        cells = [group, row.key or "", name]
        for which in ("registered", "attended"):
            cells += [row.cell(which, b) for b, _n in buckets] + [row.total(which)]
        writer.writerow(cells)

    write(gettext("Total"), table.total, safe_cell(webinar.title(locale_code())))
    for row in table.by_country:
        write(gettext("Country"), row, country_name(row.key) if row.key else gettext("Not stated"))
    for row in table.by_sector:
        write(gettext("Sector"), row, sector_label(row.key) if row.key else gettext("Not stated"))
    writer.writerow([])
    writer.writerow([table.rule])
    return out.getvalue()
