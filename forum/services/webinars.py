"""Webinars: scheduling, changing and cancelling them, and listing them. Registration is in
`webinar_registrations`, invitations and reminders in `webinar_messages`, times in the
region's capitals in `webinar_times`, attendance and participation in `attendance`.

Times are stored in UTC; the organizer enters them in a chosen zone and
every reader sees them in their own. A registration holds a seat only once
confirmed: a seat is taken with a conditional UPDATE on the kept counter,
so two people can never take the last one. Every email goes through the
outbox with a dedupe key, which is what makes reminders go out once each
however often the scheduler runs.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from forum.errors import DomainError, ValidationErrors
from forum.extensions import db
from forum.i18n import is_timezone
from forum.mail import queue_email
from forum.markup import clean_source
from forum.models import (
    SPEAKER_ROLES,
    Community,
    ForumPair,
    Registration,
    User,
    Webinar,
    WebinarSpeaker,
    utcnow,
)
from forum.policy import can, readable_communities_clause
from forum.services import rendering
from forum.services.atomic import atomic
from forum.services.attendance import (  # kept importable from here
    GENDER_BUCKETS,
    AttendanceReport,
    Participation,
    ParticipationRow,
    attendance_page,
    import_attendance,
    participation,
    participation_csv,
    set_attendance,
)
from forum.services.webinar_messages import calendar_domain, email_context, invitation
from forum.services.webinar_registrations import fill_from_waitlist, holders
from forum.timezones import to_local, to_utc
from forum.uploads import store_image

URL_RE = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
MAX_SPEAKERS = 12
PER_PAGE = 20


# --- input and validation ----------------------------------------------------------

@dataclass
class SpeakerInput:
    name: str = ""
    affiliation: str = ""
    bio: str = ""
    role: str = "speaker"
    speaker_id: int | None = None
    photo: object | None = None  # an uploaded file (werkzeug FileStorage) or None
    remove_photo: bool = False


@dataclass
class WebinarInput:
    title_es: str = ""
    title_en: str = ""
    description_es: str = ""
    description_en: str = ""
    starts_at: datetime | None = None  # naive, in `timezone`
    timezone: str = ""
    duration_minutes: int | None = 90
    languages: tuple[str, ...] = ("es", "en")
    interpretation: bool = False
    capacity: int | None = None
    registration_deadline: datetime | None = None  # naive, in `timezone`
    join_url: str = ""
    pair_id: int | None = None
    speakers: list[SpeakerInput] = field(default_factory=list)


def _check_url(value: str, name: str, errors: dict, required: bool = False) -> None:
    if not value:
        if required:
            errors[name] = _l("Enter the link.")
        return
    if len(value) > 1000 or not URL_RE.match(value):
        errors[name] = _l("Enter a full link starting with https://")


def _exists(local: datetime, zone: str) -> bool:
    """False for a wall-clock time skipped by a clock change (e.g. 00:30 when clocks jump to 01:00)."""
    return to_local(to_utc(local, zone), zone) == local.replace(second=0, microsecond=0)


def validate(data: WebinarInput, community: Community, webinar: Webinar | None = None) -> None:
    errors: dict[str, object] = {}
    languages = [lang for lang in ("es", "en") if lang in data.languages]
    if not languages:
        errors["languages"] = _l("Choose at least one language.")
    for lang in languages:
        title = " ".join((getattr(data, f"title_{lang}") or "").split())
        if not title:
            errors[f"title_{lang}"] = _l("Give the webinar a title in this language.")
        elif len(title) > 300:
            errors[f"title_{lang}"] = _l("A title can be at most %(n)d characters.", n=300)
    if not is_timezone(data.timezone):
        errors["timezone"] = _l("Choose a time zone from the list.")
    if data.starts_at is None:
        errors["starts_at"] = _l("Enter the date and time it starts.")
    elif not 2000 <= data.starts_at.year <= 2100:
        errors["starts_at"] = _l("Use a date between the years 2000 and 2100.")
    elif "timezone" not in errors and not _exists(data.starts_at, data.timezone):
        errors["starts_at"] = _l("This time does not exist in this time zone: the clocks change then.")
    if data.duration_minutes is None or not 15 <= data.duration_minutes <= 600:
        errors["duration_minutes"] = _l("Use a duration from 15 to 600 minutes.")
    if data.capacity is not None and not 1 <= data.capacity <= 100_000:
        errors["capacity"] = _l("Use a number from 1 to 100,000, or leave it empty for no limit.")
    elif data.capacity is not None and webinar is not None and data.capacity < webinar.registered_count:
        errors["capacity"] = _l("%(n)d people already hold a place: the capacity cannot be lower.",
                                n=webinar.registered_count)
    if data.registration_deadline is not None and "starts_at" not in errors and data.starts_at is not None:
        if data.registration_deadline > data.starts_at:
            errors["registration_deadline"] = _l("Registration must close before the webinar starts.")
        elif not 2000 <= data.registration_deadline.year <= 2100:
            errors["registration_deadline"] = _l("Use a date between the years 2000 and 2100.")
    _check_url((data.join_url or "").strip(), "join_url", errors)
    if data.pair_id is not None:
        pair = db.session.get(ForumPair, data.pair_id)
        if pair is None or pair.community_id != community.id:
            errors["pair_id"] = _l("Choose a forum of this community.")
    speakers = [s for s in data.speakers if (s.name or "").strip()]
    if len(speakers) > MAX_SPEAKERS:
        errors["speakers"] = _l("A webinar can have at most %(n)d speakers.", n=MAX_SPEAKERS)
    for index, speaker in enumerate(data.speakers):
        if not (speaker.name or "").strip() and ((speaker.affiliation or "").strip() or (speaker.bio or "").strip()):
            errors["speakers"] = _l("Speaker %(n)d needs a name.", n=index + 1)
            break
        if speaker.role not in SPEAKER_ROLES:
            errors["speakers"] = _l("Choose an option from the list.")
            break
    if errors:
        raise ValidationErrors(errors)


def _check(user: User, community: Community) -> None:
    if not can(user, "community.organize", community):
        raise DomainError(_l("Only the community's organizers can do this."))


# --- organizers: schedule, change, cancel -------------------------------------------

def blank_input(community: Community) -> WebinarInput:
    zone = community.timezone or current_app.config["DEFAULT_TIMEZONE"]
    start = to_local(utcnow() + timedelta(days=14), zone).replace(hour=10, minute=0)
    return WebinarInput(timezone=zone, starts_at=start,
                        speakers=[SpeakerInput(role="moderator"), SpeakerInput(), SpeakerInput()])


def input_from_webinar(webinar: Webinar) -> WebinarInput:
    zone = webinar.timezone
    return WebinarInput(
        title_es=webinar.title_es, title_en=webinar.title_en,
        description_es=webinar.description_es_md, description_en=webinar.description_en_md,
        starts_at=to_local(webinar.starts_at, zone), timezone=zone, duration_minutes=webinar.duration_minutes,
        languages=tuple(webinar.language_list), interpretation=webinar.interpretation, capacity=webinar.capacity,
        registration_deadline=to_local(webinar.registration_deadline, zone) if webinar.registration_deadline else None,
        join_url=webinar.join_url, pair_id=webinar.pair_id,
        speakers=[SpeakerInput(name=s.name, affiliation=s.affiliation, bio=s.bio, role=s.role, speaker_id=s.id)
                  for s in webinar.speakers] + [SpeakerInput()])


@atomic
def save_webinar(user: User, community: Community, data: WebinarInput, webinar: Webinar | None = None) -> Webinar:
    """Create or change a webinar; registrants get an updated invitation when the time or link moves."""
    _check(user, community)
    if webinar is not None and webinar.is_cancelled:
        raise DomainError(_l("This webinar was cancelled; it cannot be changed."))
    validate(data, community, webinar)
    photos = {index: store_image(s.photo, "speakers") for index, s in enumerate(data.speakers)
              if s.photo is not None and getattr(s.photo, "filename", "")}
    if webinar is None:
        webinar = Webinar(community_id=community.id, created_by_id=user.id,
                          uid=f"webinar-{secrets.token_hex(12)}@{calendar_domain()}")
        db.session.add(webinar)
        before = None
    else:
        before = (webinar.starts_at, webinar.duration_minutes, webinar.join_url)
    languages = [lang for lang in ("es", "en") if lang in data.languages]
    for lang in ("es", "en"):
        title = " ".join((getattr(data, f"title_{lang}") or "").split()) if lang in languages else ""
        description = clean_source(getattr(data, f"description_{lang}")).strip() if lang in languages else ""
        setattr(webinar, f"title_{lang}", title)
        setattr(webinar, f"description_{lang}_md", description)
    rendering.cook(webinar)
    webinar.languages = ",".join(languages)
    webinar.timezone = data.timezone
    webinar.starts_at = to_utc(data.starts_at, data.timezone)
    webinar.duration_minutes = data.duration_minutes
    webinar.ends_at = webinar.starts_at + timedelta(minutes=data.duration_minutes)
    webinar.interpretation = bool(data.interpretation)
    webinar.capacity = data.capacity
    webinar.registration_deadline = (to_utc(data.registration_deadline, data.timezone)
                                     if data.registration_deadline else None)
    webinar.join_url = (data.join_url or "").strip()
    webinar.pair_id = data.pair_id
    _save_speakers(webinar, data.speakers, photos)
    db.session.flush()
    if before is not None and before != (webinar.starts_at, webinar.duration_minutes, webinar.join_url):
        webinar.sequence += 1
        for registration in holders(webinar):
            queue_email(to=registration.email, locale=registration.locale, template="webinar_updated",
                        dedupe_key=f"webinar-updated:{registration.id}:{webinar.sequence}",
                        attachment=invitation(webinar, registration), **email_context(webinar, registration))
        if webinar.capacity is not None:
            fill_from_waitlist(webinar)
    elif webinar.capacity is not None:
        fill_from_waitlist(webinar)  # a larger capacity makes room for the waiting list
    return webinar


def _save_speakers(webinar: Webinar, speakers: list[SpeakerInput], photos: dict) -> None:
    existing = {s.id: s for s in webinar.speakers}
    kept = []
    for index, data in enumerate(speakers):
        name = " ".join((data.name or "").split())[:200]
        if not name:
            continue
        speaker = existing.pop(data.speaker_id, None) if data.speaker_id else None
        if speaker is None:
            speaker = WebinarSpeaker(name=name)
        speaker.name = name
        speaker.role = data.role
        speaker.affiliation = " ".join((data.affiliation or "").split())[:300]
        speaker.bio = (data.bio or "").strip()[:2000]
        speaker.position = len(kept)
        if data.remove_photo:
            speaker.photo_key = speaker.photo_type = None
        if index in photos:
            speaker.photo_key, speaker.photo_type = photos[index]
        kept.append(speaker)
    webinar.speakers = kept


@atomic
def cancel_webinar(user: User, webinar: Webinar) -> int:
    """Cancel the event: registrants get a METHOD:CANCEL invitation; returns how many were told."""
    _check(user, webinar.community)
    if webinar.is_cancelled:
        raise DomainError(_l("This webinar is already cancelled."))
    if webinar.is_past():
        raise DomainError(_l("This webinar has already taken place."))
    webinar.status = "cancelled"
    webinar.cancelled_at = utcnow()
    webinar.sequence += 1
    told = 0
    people = db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id, Registration.status.in_(("registered", "waitlisted")))).scalars()
    for registration in people:
        attachment = invitation(webinar, registration, method="CANCEL") if registration.holds_seat else None
        queue_email(to=registration.email, locale=registration.locale, template="webinar_cancelled",
                    dedupe_key=f"webinar-cancelled:{registration.id}", attachment=attachment,
                    **email_context(webinar, registration))
        told += 1
    return told


@atomic
def save_follow_up(user: User, webinar: Webinar, *, recording_url: str, slides_url: str) -> None:
    _check(user, webinar.community)
    errors: dict[str, object] = {}
    recording_url, slides_url = (recording_url or "").strip(), (slides_url or "").strip()
    _check_url(recording_url, "recording_url", errors)
    _check_url(slides_url, "slides_url", errors)
    if errors:
        raise ValidationErrors(errors)
    webinar.recording_url, webinar.slides_url = recording_url, slides_url


# --- listings ---------------------------------------------------------------------------------

def listing(user, *, community: Community | None = None, past: bool = False, page: int = 1,
            per_page: int = PER_PAGE) -> tuple[list[Webinar], bool]:
    """Upcoming (soonest first) or past (latest first) webinars the user may see; (items, has_next)."""
    now = utcnow()
    query = select(Webinar).join(Community, Community.id == Webinar.community_id)
    if community is not None:
        query = query.where(Webinar.community_id == community.id)
    else:
        query = query.where(readable_communities_clause(user))
    if past:
        query = query.where(Webinar.ends_at <= now).order_by(Webinar.starts_at.desc())
    else:
        query = query.where(Webinar.ends_at > now).order_by(Webinar.starts_at)
    query = query.options(contains_eager(Webinar.community))  # each item links to its community: no N+1
    rows = db.session.execute(query.offset((page - 1) * per_page).limit(per_page + 1)).scalars().all()
    return rows[:per_page], len(rows) > per_page


def upcoming(community: Community, limit: int = 3) -> list[Webinar]:
    now = utcnow()
    return db.session.execute(select(Webinar).where(
        Webinar.community_id == community.id, Webinar.status == "scheduled", Webinar.ends_at > now)
        .order_by(Webinar.starts_at).limit(limit)).scalars().all()


def closing_title(webinar: Webinar, lang: str) -> str:
    """“Closing webinar: <title>”, unless the title already says so (organizers often write it)."""

    title = webinar.title(lang)
    label = gettext("Closing webinar")
    if title.casefold().startswith(label.casefold()):
        return title
    return gettext("%(label)s: %(title)s", label=label, title=title)


def closing_webinar(pair: ForumPair) -> Webinar | None:
    return db.session.execute(select(Webinar).where(Webinar.pair_id == pair.id, Webinar.status == "scheduled")
                              .order_by(Webinar.starts_at.desc()).limit(1)).scalar_one_or_none()


__all__ = [
    "GENDER_BUCKETS", "AttendanceReport", "Participation", "ParticipationRow",
    "SpeakerInput", "WebinarInput", "attendance_page", "cancel_webinar",
    "import_attendance", "listing", "participation", "participation_csv",
    "save_webinar", "set_attendance",
]
