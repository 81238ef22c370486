"""Importing members from a spreadsheet (CSV): idempotent, row by row, with a report.

Columns (English or Spanish headers): email, name, country, institution,
sector, language. UTF-8 or Latin-1; comma or semicolon. New people get an
account without a password and an email to choose one, in their language;
people already registered are added to the community; a second run of the
same file changes nothing. Each bad row is reported with its line number
while the good rows go in; a row with more or fewer fields than the header
is refused, since its cells cannot be matched to their columns.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from forum.extensions import db
from forum.i18n import SECTOR_LABELS, _country_names
from forum.mail import outbox_row
from forum.markup import strip_invisible
from forum.models import Community, Membership, OutboxMessage, User, utcnow
from forum.services import DomainError
from forum.services.accounts import welcome_url
from forum.services.membership import add_member
from forum.shared_email import SharedEmail, email_request_context
from forum.spreadsheets import decode, fold

HEADERS = {
    "email": {"email", "e-mail", "correo", "correo electronico", "mail"},
    "name": {"name", "nombre", "full name", "nombre completo"},
    "country": {"country", "pais"},
    "institution": {"institution", "institucion", "organization", "organizacion"},
    "sector": {"sector"},
    "language": {"language", "idioma", "lang", "lengua"},
}
# Names a spreadsheet may give a language; only those the site offers (LANGUAGES) are accepted.
LANGUAGES = {"es": "es", "spanish": "es", "espanol": "es", "castellano": "es",
             "en": "en", "english": "en", "ingles": "en",
             "pt": "pt", "portuguese": "pt", "portugues": "pt", "fr": "fr", "french": "fr", "frances": "fr",
             "francais": "fr"}
COMMIT_EVERY = 200
MAX_ROWS = 20_000  # larger lists: split the file


def _country_lookup() -> dict[str, str]:
    """Country names as spreadsheets write them: Spanish or English (CLDR and ISO), or codes."""
    lookup = {}
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "official_name", None), getattr(country, "common_name", None),
                     country.alpha_3):
            if name:
                lookup[fold(name)] = country.alpha_2
    for locale in ("en", "es"):
        for code, name in _country_names(locale).items():
            lookup[fold(name)] = code
            lookup[fold(name.replace("&", "y" if locale == "es" else "and"))] = code
            lookup[fold(code)] = code
            lookup[fold(name.replace(".", ""))] = code  # "St Kitts", "St. Kitts"
    return lookup


def _sector_lookup() -> dict[str, str]:
    from flask_babel import force_locale

    lookup = {fold(code): code for code in SECTOR_LABELS}
    for locale in ("en", "es"):
        with force_locale(locale):
            for code, label in SECTOR_LABELS.items():
                lookup[fold(str(label))] = code
    return lookup


@dataclass
class ImportReport:
    created: int = 0
    added: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def total(self) -> int:
        return self.created + self.added + self.unchanged + len(self.refused)


def read_rows(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]], int]:
    """(column -> index, [(line number, cells)], number of header fields) from CSV text, comma or semicolon."""
    if text.lower().startswith("sep="):  # Excel's "sep=;" first line
        first_line, _, text = text.partition("\n")
        delimiter = first_line[4:5] or ","
    else:
        first = text.split("\n", 1)[0]
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=counts.get)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DomainError(_l("The file is empty.")) from None
    columns = {}
    for index, name in enumerate(header):
        key = fold(name)
        for column, names in HEADERS.items():
            if key in names and column not in columns:
                columns[column] = index
    if "email" not in columns:
        raise DomainError(_l("The first line must name the columns, with at least “email”."))
    rows = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
            if len(rows) > MAX_ROWS:
                raise DomainError(_l("The file has more than %(n)s rows: split it into smaller files.",
                                     n=f"{MAX_ROWS:,}"))
    except csv.Error:
        raise DomainError(_l("Line %(line)d cannot be read as CSV (a cell is too long or a quote is not closed).",
                             line=reader.line_num)) from None
    return columns, rows, len(header)


def import_members(community: Community, data: bytes, *, organizer: User | None = None,
                   progress=None) -> ImportReport:
    """Import the file into the community; `progress(done, total)` is called as rows go in."""
    text = decode(data)
    columns, rows, width = read_rows(text)
    countries, sectors = _country_lookup(), _sector_lookup()
    report = ImportReport()

    def cell(cells, column):
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    # One query each for what already exists, instead of one per row.
    emails = []
    for _, cells in rows:
        try:
            emails.append(validate_email(cell(cells, "email"), check_deliverability=False).normalized.lower())
        except EmailNotValidError:
            pass
    existing = {u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()} if emails else {}
    members = set(db.session.execute(select(Membership.user_id).where(
        Membership.community_id == community.id, Membership.state == "active")).scalars())
    handles = set(db.session.execute(select(User.handle)).scalars())
    seen: dict[str, int] = {}
    created: list[User] = []  # new people of the current chunk, written together at its end

    for done, (line, cells) in enumerate(rows, start=1):
        try:
            if len(cells) != width:  # a missing or extra separator shifts every later column
                raise DomainError(_l("%(found)d fields where the first line has %(expected)d: a separator is "
                                     "missing or extra, so the columns cannot be trusted",
                                     found=len(cells), expected=width))
            outcome = _import_row(community, cells, cell, countries, sectors, existing, members, handles, seen, line,
                                  created)
        except DomainError as error:
            report.refused.append((line, str(error.message)))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
        if done % COMMIT_EVERY == 0:
            _create(created, community, members)
            db.session.commit()
        if progress:
            progress(done, len(rows))
    _create(created, community, members)
    db.session.commit()
    return report


def _create(users: list[User], community: Community, members: set[int]) -> None:
    """Write a chunk's new people at once: their accounts (one flush), their memberships (one
    INSERT, as nobody can be a member before having an account) and their welcome emails."""
    if not users:
        return
    db.session.add_all(users)
    db.session.flush()
    now = utcnow()
    db.session.execute(insert(Membership), [dict(user_id=u.id, community_id=community.id, role="member",
                                                 state="active", created_at=now) for u in users])
    db.session.execute(update(Community).where(Community.id == community.id)
                       .values(member_count=Community.member_count + len(users))
                       .execution_options(synchronize_session=False))
    members.update(u.id for u in users)
    _send_welcomes(users, community)
    users.clear()


def _send_welcomes(users: list[User], community: Community) -> None:
    """accounts.send_welcome for each new person, the email rendered once per language."""
    keys = {u.id: f"welcome:{u.id}" for u in users}
    taken = set(db.session.execute(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_(keys.values()))).scalars())
    email = SharedEmail("welcome_invitation", text_fields=("name",), link_fields=("url",))
    rows = []
    with email_request_context():
        for user in users:
            if keys[user.id] in taken:
                continue
            locale = user.locale if user.locale in current_app.config["LANGUAGES"] else "es"
            rendered = email.render((community.id,), locale, user=SimpleNamespace(display_name=email.mark("name")),
                                    community=community, welcome_url=email.mark("url"))
            subject, text, html = email.fill(rendered, name=user.display_name, url=welcome_url(user))
            rows.append(outbox_row(to=user, template="welcome_invitation", dedupe_key=keys[user.id], locale=locale,
                                   subject=subject, text=text, html=html))
    rows = [row for row in rows if row is not None]
    if rows:
        db.session.execute(insert(OutboxMessage), rows)


def _import_row(community, cells, cell, countries, sectors, existing, members, handles, seen, line, created) -> str:
    raw_email = cell(cells, "email")
    try:
        email = validate_email(raw_email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError(_l("invalid email address “%(value)s”", value=raw_email[:80])) from None
    if email in seen:
        raise DomainError(_l("duplicate of line %(line)d (%(email)s)", line=seen[email], email=email))
    seen[email] = line
    country_raw = cell(cells, "country")
    country = countries.get(fold(country_raw)) if country_raw else None
    if country_raw and country is None:
        raise DomainError(_l("unknown country “%(value)s”", value=country_raw[:80]))
    sector_raw = cell(cells, "sector")
    sector = sectors.get(fold(sector_raw)) if sector_raw else None
    if sector_raw and sector is None:
        raise DomainError(_l("unknown sector “%(value)s”", value=sector_raw[:80]))
    language_raw = cell(cells, "language")
    offered = current_app.config["LANGUAGES"]
    language = LANGUAGES.get(fold(language_raw)) if language_raw else "es"
    if language not in offered:
        raise DomainError(_l("unknown language “%(value)s” (use %(codes)s)", value=language_raw[:40],
                             codes=", ".join(offered)))
    name = " ".join(strip_invisible(cell(cells, "name")).split())[:120] or email.split("@")[0]

    user = existing.get(email)
    if user is None:
        user = User(email=email, display_name=name, handle=_free_handle(name, handles), country=country,
                    institution=" ".join(strip_invisible(cell(cells, "institution")).split())[:200] or None,
                    sector=sector, locale=language)
        existing[email] = user
        created.append(user)
        return "created"
    if user.deleted_at is not None:
        raise DomainError(_l("this person deleted their account"))
    if user.id in members:
        return "unchanged"
    add_member(user, community)
    members.add(user.id)
    return "added"


def _free_handle(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")[:24] or "member"
    if len(base) < 3:
        base = f"{base}_member"[:24]
    handle, n = base, 2
    while handle in taken:
        handle, n = f"{base}{n}", n + 1
    taken.add(handle)
    return handle
