"""Webinars: scheduling, registration with a waiting list, calendar invitations, reminders,
attendance and the participation table.

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
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager

from forum.extensions import db
from forum.i18n import is_country, is_timezone
from forum.mail import absolute_url, queue_email, retired_address
from forum.markup import clean_source, plain_text
from forum.models import (
    GENDERS,
    SECTORS,
    SPEAKER_ROLES,
    Community,
    ForumPair,
    Registration,
    User,
    Webinar,
    WebinarSpeaker,
    utcnow,
)
from forum.policy import can, readable_communities_clause, readers_among
from forum.services import DomainError, rendering, tokens
from forum.services.accounts import clean_display_name, normalise_email
from forum.services.atomic import get_or_create
from forum.services.organizing import ValidationErrors

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
URL_RE = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
MAX_SPEAKERS = 12
PER_PAGE = 20
REMINDERS = (("24h", timedelta(hours=24)), ("1h", timedelta(hours=1)))
REMINDER_AFTER_CONFIRMATION = timedelta(minutes=30)  # no reminder due sooner than this after the confirmation


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


def to_utc(local: datetime, zone: str) -> datetime:
    """A wall-clock time in a zone as UTC; in a DST gap or overlap, Python's fold=0 rule decides."""
    return local.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(zoneinfo.ZoneInfo("UTC"))


def to_zone(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def _check_url(value: str, name: str, errors: dict, required: bool = False) -> None:
    if not value:
        if required:
            errors[name] = _l("Enter the link.")
        return
    if len(value) > 1000 or not URL_RE.match(value):
        errors[name] = _l("Enter a full link starting with https://")


def _exists(local: datetime, zone: str) -> bool:
    """False for a wall-clock time skipped by a clock change (e.g. 00:30 when clocks jump to 01:00)."""
    return to_zone(to_utc(local, zone), zone).replace(second=0, microsecond=0) == local.replace(second=0, microsecond=0)


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
    if not can(user, "community.edit", community):
        raise DomainError(_l("Only the community's organizers can do this."))


# --- organizers: schedule, change, cancel -------------------------------------------

def blank_input(community: Community) -> WebinarInput:
    zone = community.timezone or current_app.config["DEFAULT_TIMEZONE"]
    start = to_zone(utcnow() + timedelta(days=14), zone).replace(hour=10, minute=0, second=0, microsecond=0)
    return WebinarInput(timezone=zone, starts_at=start,
                        speakers=[SpeakerInput(role="moderator"), SpeakerInput(), SpeakerInput()])


def input_from_webinar(webinar: Webinar) -> WebinarInput:
    zone = webinar.timezone
    return WebinarInput(
        title_es=webinar.title_es, title_en=webinar.title_en,
        description_es=webinar.description_es_md, description_en=webinar.description_en_md,
        starts_at=to_zone(webinar.starts_at, zone), timezone=zone, duration_minutes=webinar.duration_minutes,
        languages=tuple(webinar.language_list), interpretation=webinar.interpretation, capacity=webinar.capacity,
        registration_deadline=to_zone(webinar.registration_deadline, zone) if webinar.registration_deadline else None,
        join_url=webinar.join_url, pair_id=webinar.pair_id,
        speakers=[SpeakerInput(name=s.name, affiliation=s.affiliation, bio=s.bio, role=s.role, speaker_id=s.id)
                  for s in webinar.speakers] + [SpeakerInput()])


def save_webinar(user: User, community: Community, data: WebinarInput, webinar: Webinar | None = None) -> Webinar:
    """Create or change a webinar; registrants get an updated invitation when the time or link moves."""
    _check(user, community)
    if webinar is not None and webinar.is_cancelled:
        raise DomainError(_l("This webinar was cancelled; it cannot be changed."))
    validate(data, community, webinar)
    from forum.services.resources import store_image

    photos = {index: store_image(s.photo, "speakers") for index, s in enumerate(data.speakers)
              if s.photo is not None and getattr(s.photo, "filename", "")}
    if webinar is None:
        webinar = Webinar(community_id=community.id, created_by_id=user.id,
                          uid=f"webinar-{secrets.token_hex(12)}@{_calendar_domain()}")
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
        for registration in _holders(webinar):
            queue_email(to=registration.email, locale=registration.locale, template="webinar_updated",
                        dedupe_key=f"webinar-updated:{registration.id}:{webinar.sequence}",
                        attachment=invitation(webinar, registration), **_email_context(webinar, registration))
        if webinar.capacity is not None:
            _fill_from_waitlist(webinar)
    elif webinar.capacity is not None:
        _fill_from_waitlist(webinar)  # a larger capacity makes room for the waiting list
    db.session.commit()
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
                    **_email_context(webinar, registration))
        told += 1
    db.session.commit()
    return told


def save_follow_up(user: User, webinar: Webinar, *, recording_url: str, slides_url: str) -> None:
    _check(user, webinar.community)
    errors: dict[str, object] = {}
    recording_url, slides_url = (recording_url or "").strip(), (slides_url or "").strip()
    _check_url(recording_url, "recording_url", errors)
    _check_url(slides_url, "slides_url", errors)
    if errors:
        raise ValidationErrors(errors)
    webinar.recording_url, webinar.slides_url = recording_url, slides_url
    db.session.commit()


# --- registration ---------------------------------------------------------------------

@dataclass
class GuestInput:
    name: str = ""
    email: str = ""
    country: str = ""
    institution: str = ""
    sector: str = ""
    gender: str = ""
    locale: str = "es"


def registration_of(user, webinar: Webinar) -> Registration | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id,
        or_(Registration.user_id == user.id, Registration.email == (user.email or "")))
        .order_by(Registration.user_id.is_(None))).scalars().first()


def _refuse_if_closed(webinar: Webinar) -> None:
    if webinar.is_cancelled:
        raise DomainError(_l("This webinar was cancelled."))
    if not webinar.registration_open():
        raise DomainError(_l("Registration for this webinar is closed."))


def register_member(user: User, webinar: Webinar) -> Registration:
    """One click: the profile fills the registration; a full event puts the person on the waiting list."""
    if not can(user, "webinar.register", webinar):
        raise DomainError(_l("Sign in to register."))
    if not user.is_confirmed:
        raise DomainError(_l("Confirm your email address to take part."))
    _refuse_if_closed(webinar)
    registration = registration_of(user, webinar)
    if registration is None:
        registration, created = get_or_create(Registration, {"webinar_id": webinar.id, "email": user.email},
                                              {"name": user.display_name, "status": "pending"})
        if not created and not _claim(registration):
            return registration
    elif not _claim(registration):
        return registration
    registration.user_id = user.id
    registration.name = user.display_name
    registration.country, registration.institution = user.country, user.institution
    registration.sector, registration.gender = user.sector, user.gender
    registration.locale = user.locale or "es"
    registration.status = "pending"
    db.session.flush()
    _take_seat_or_wait(webinar, registration)
    db.session.commit()
    return registration


def _claim(registration: Registration) -> bool:
    """Whether this request takes the registration (cancelled, or a guest's still pending) to
    register it: of two clicks at once, the second finds it taken and changes nothing."""
    seen = registration.status
    if seen in ("registered", "waitlisted"):
        return False
    claimed = db.session.execute(
        update(Registration).where(Registration.id == registration.id, Registration.status == seen)
        .values(status="pending").execution_options(synchronize_session=False)).rowcount == 1
    if not claimed:
        db.session.refresh(registration)
    return claimed


def register_guest(webinar: Webinar, data: GuestInput) -> Registration | None:
    """A person without an account: a short profile, then a link to confirm the address.

    The answer is the same whether or not the address is already registered,
    so the form tells nobody who is coming.
    """
    if not can(None, "webinar.view", webinar):
        raise DomainError(_l("Sign in to register."))
    _refuse_if_closed(webinar)
    errors = _validate_guest(data)
    if errors:
        raise ValidationErrors(errors)
    email = normalise_email(data.email)
    registration = db.session.execute(select(Registration).filter_by(webinar_id=webinar.id, email=email)).scalar_one_or_none()
    if registration is not None and registration.status in ("registered", "waitlisted"):
        hour = utcnow().strftime("%Y%m%d%H")
        _send_place(webinar, registration, dedupe=f"again:{hour}")
        db.session.commit()
        return registration
    if registration is None:
        registration, _ = get_or_create(Registration, {"webinar_id": webinar.id, "email": email},
                                        {"name": clean_display_name(data.name), "status": "pending"})
    registration.name = clean_display_name(data.name)
    registration.country = data.country or None
    registration.institution = " ".join((data.institution or "").split())[:200] or None
    registration.sector = data.sector or None
    registration.gender = data.gender or None
    registration.locale = data.locale if data.locale in current_app.config["LANGUAGES"] else "es"
    registration.status = "pending"
    db.session.flush()
    token = tokens.make("webinar-confirm", {"r": registration.id, "e": email})
    queue_email(to=email, locale=registration.locale, template="webinar_confirm",
                dedupe_key=f"webinar-confirm:{registration.id}:{token[-16:]}",
                confirm_url=absolute_url("webinars.confirm", token=token),
                **_email_context(webinar, registration))
    db.session.commit()
    return registration


def _validate_guest(data: GuestInput) -> dict[str, object]:
    errors: dict[str, object] = {}
    try:
        clean_display_name(data.name)
    except DomainError as error:
        errors["name"] = error.message
    if "name" not in errors and len(data.name) > 120:
        errors["name"] = _l("A name can be at most %(n)d characters.", n=120)
    try:
        from email_validator import EmailNotValidError, validate_email

        validate_email((data.email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = _l("Enter a valid email address.")
    if not data.country or not is_country(data.country):
        errors["country"] = _l("Choose your country.")
    if not " ".join((data.institution or "").split()):
        errors["institution"] = _l("Enter your institution.")
    elif len(data.institution) > 200:
        errors["institution"] = _l("An institution can be at most %(n)d characters.", n=200)
    if data.sector not in SECTORS:
        errors["sector"] = _l("Choose your sector.")
    if data.gender and data.gender not in GENDERS:
        errors["gender"] = _l("Choose an option from the list.")
    return errors


def confirm_guest(token: str) -> Registration:
    data = tokens.load("webinar-confirm", token, max_age=14 * 24 * 3600,
                       expired=_l("This confirmation link has expired. Register again to get a new one."),
                       invalid=_l("This confirmation link is not valid."))
    registration = db.session.get(Registration, data.get("r"))
    if registration is None or registration.email != data.get("e"):
        raise DomainError(_l("This confirmation link is not valid."))
    if registration.status != "pending":
        return registration  # a second click changes nothing
    webinar = registration.webinar
    _refuse_if_closed(webinar)
    account = db.session.execute(select(User).filter_by(email=registration.email)).scalar_one_or_none()
    if account is not None and account.deleted_at is None:
        registration.user_id = account.id  # the address is proven: it is this member's place
    _take_seat_or_wait(webinar, registration)
    db.session.commit()
    return registration


def claim_registrations(user: User) -> int:
    """Registrations made as a guest with this (confirmed) address become the member's."""
    if not user.is_confirmed or not user.email:
        return 0
    return db.session.execute(
        update(Registration).where(Registration.email == user.email, Registration.user_id.is_(None))
        .values(user_id=user.id).execution_options(synchronize_session=False)).rowcount


def _take_seat_or_wait(webinar: Webinar, registration: Registration) -> None:
    """Registered if a seat is free (taken atomically), else on the waiting list; tells the person."""
    registration.confirmed_at = utcnow()
    registration.cancelled_at = None
    if _take_seat(webinar):
        registration.status = "registered"
    else:
        registration.status = "waitlisted"
        db.session.execute(update(Webinar).where(Webinar.id == webinar.id)
                           .values(waitlist_count=Webinar.waitlist_count + 1)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.refresh(webinar, ["registered_count", "waitlist_count"])
    _send_place(webinar, registration)


def _take_seat(webinar: Webinar) -> bool:
    seat = update(Webinar).where(Webinar.id == webinar.id).values(registered_count=Webinar.registered_count + 1)
    if webinar.capacity is not None:
        seat = seat.where(Webinar.registered_count < Webinar.capacity)
    return db.session.execute(seat.execution_options(synchronize_session=False)).rowcount == 1


def _send_place(webinar: Webinar, registration: Registration, promoted: bool = False, dedupe: str = "") -> None:
    stamp = int(registration.confirmed_at.timestamp()) if registration.confirmed_at else 0
    context = _email_context(webinar, registration)
    if registration.status == "registered":
        queue_email(to=registration.email, locale=registration.locale, template="webinar_registered",
                    dedupe_key=f"webinar-registered:{registration.id}:{stamp}:{webinar.sequence}:{dedupe}",
                    attachment=invitation(webinar, registration), promoted=promoted, **context)
    else:
        queue_email(to=registration.email, locale=registration.locale, template="webinar_waitlisted",
                    dedupe_key=f"webinar-waitlisted:{registration.id}:{stamp}:{dedupe}", **context)


def cancel_registration(registration: Registration) -> None:
    """The person gives up their place; the first on the waiting list takes it."""
    if registration.status not in ("registered", "waitlisted", "pending"):
        return
    if registration.webinar.is_past():
        raise DomainError(_l("This webinar has already taken place."))
    if _release(registration, template="webinar_unregistered") is None:
        db.session.rollback()
        return
    db.session.commit()


def _release(registration: Registration, *, template: str | None, tell_waiting: bool = False,
             **context) -> str | None:
    """Cancel a place (no commit) and hand the seat to the waiting list; returns the status it had,
    None if someone else changed it first. `template` tells a person who held a seat (and one on
    the waiting list if `tell_waiting`; None: nobody to tell); a held seat is taken off their
    calendar with a METHOD:CANCEL of the same UID."""
    webinar = registration.webinar
    held = registration.status
    changed = db.session.execute(update(Registration).where(
        Registration.id == registration.id, Registration.status == held)
        .values(status="cancelled", cancelled_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if not changed:
        return None
    column = {"registered": "registered_count", "waitlisted": "waitlist_count"}.get(held)
    if column:
        db.session.execute(update(Webinar).where(Webinar.id == webinar.id)
                           .values({column: getattr(Webinar, column) - 1})
                           .execution_options(synchronize_session=False))
    db.session.refresh(registration)
    db.session.refresh(webinar, ["registered_count", "waitlist_count"])
    if held == "registered" and not webinar.is_cancelled:
        # The person's calendar must see this CANCEL, and a later REQUEST, as newer than what it has.
        db.session.execute(update(Webinar).where(Webinar.id == webinar.id).values(sequence=Webinar.sequence + 1)
                           .execution_options(synchronize_session=False))
        db.session.refresh(webinar, ["sequence"])
    if template is not None and (held == "registered" or (tell_waiting and held == "waitlisted")):
        queue_email(to=registration.email, locale=registration.locale, template=template,
                    dedupe_key=f"{template.replace('_', '-')}:{registration.id}:"
                               f"{int(registration.cancelled_at.timestamp())}",
                    attachment=invitation(webinar, registration, method="CANCEL") if held == "registered" else None,
                    with_calendar=held == "registered", **_email_context(webinar, registration), **context)
    if held == "registered" and not webinar.is_cancelled:
        _fill_from_waitlist(webinar)
    return held


def _coming_places(*conditions):
    """Places (held, waiting or unconfirmed) at webinars that have not ended and were not cancelled."""
    return db.session.execute(select(Registration).join(Webinar, Webinar.id == Registration.webinar_id).where(
        *conditions, Webinar.status == "scheduled", Webinar.ends_at > utcnow(),
        Registration.status.in_(("registered", "waitlisted", "pending")))).scalars().all()


def withdraw_from_community(user: User, community: Community) -> int:
    """Someone who left or was removed keeps no place at the community's members-only or private
    webinars (the join link is for readers): each place goes, with a calendar cancellation.
    No commit; returns how many places went."""
    db.session.flush()  # the membership's end must be visible to the policy's query
    if community.visibility == "public" or readers_among([user.id], community):
        return 0
    places = _coming_places(Webinar.community_id == community.id, Registration.user_id == user.id)
    community_name = community.name(user.locale or "es")
    return sum(_release(registration, template="webinar_withdrawn", tell_waiting=True,
                        community_name=community_name) is not None
               for registration in places)


def forget_person(user: User) -> int:
    """An account is deleted: its coming places are freed (nobody to tell) and every registration
    loses the person's data, keeping what the attendance figures count. No commit."""
    mine = or_(Registration.user_id == user.id, Registration.email == (user.email or ""))
    for registration in _coming_places(mine):
        _release(registration, template=None)
    rows = db.session.execute(select(Registration).where(mine)).scalars().all()
    for registration in rows:
        registration.user_id = None
        registration.email = retired_address(f"registration-{registration.id}")
        registration.name = ""
        registration.country = registration.institution = registration.sector = registration.gender = None
        registration.certificate_code = None  # its public page would confirm a person who is gone
    return len(rows)


def _fill_from_waitlist(webinar: Webinar) -> int:
    """Promote the longest-waiting people while seats are free; each promotion is claimed once."""
    promoted = 0
    while not webinar.is_cancelled and webinar.starts_at > utcnow():
        first = db.session.execute(select(Registration).where(
            Registration.webinar_id == webinar.id, Registration.status == "waitlisted")
            .order_by(Registration.confirmed_at, Registration.id).limit(1)).scalar_one_or_none()
        if first is None or not _take_seat(webinar):
            break
        claimed = db.session.execute(update(Registration).where(
            Registration.id == first.id, Registration.status == "waitlisted").values(status="registered")
            .execution_options(synchronize_session=False)).rowcount
        if not claimed:  # someone else promoted or cancelled it: give the seat back
            db.session.execute(update(Webinar).where(Webinar.id == webinar.id)
                               .values(registered_count=Webinar.registered_count - 1)
                               .execution_options(synchronize_session=False))
            continue
        db.session.execute(update(Webinar).where(Webinar.id == webinar.id)
                           .values(waitlist_count=Webinar.waitlist_count - 1)
                           .execution_options(synchronize_session=False))
        db.session.refresh(first)
        db.session.refresh(webinar, ["registered_count", "waitlist_count"])
        _send_place(webinar, first, promoted=True, dedupe="promoted")
        promoted += 1
    return promoted


def _holders(webinar: Webinar):
    return db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id, Registration.status == "registered")).scalars().all()


def registration_token(registration: Registration) -> str:
    return tokens.make("webinar-registration", {"r": registration.id, "e": registration.email})


def registration_from_token(token: str) -> Registration:
    data = tokens.load("webinar-registration", token, max_age=None,
                       expired=_l("This link is not valid."), invalid=_l("This link is not valid."))
    registration = db.session.get(Registration, data.get("r"))
    if registration is None or registration.email != data.get("e"):
        raise DomainError(_l("This link is not valid."))
    return registration


# --- calendar and emails -----------------------------------------------------------------

def _calendar_domain() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "localhost"


def event_url(webinar: Webinar) -> str:
    return absolute_url("webinars.show", slug=webinar.community.slug, webinar_id=webinar.id)


def invitation(webinar: Webinar, registration: Registration, method: str = "REQUEST") -> tuple[str, str, str]:
    """(file name, content type, text) of the iCalendar invitation for one registrant."""
    return "invite.ics", f"text/calendar; method={method}", calendar_text(webinar, registration, method)


def calendar_text(webinar: Webinar, registration: Registration, method: str = "REQUEST") -> str:
    lang = registration.locale if registration.locale in current_app.config["LANGUAGES"] else "es"
    page = event_url(webinar)
    with force_locale(lang):
        lines = [plain_text(webinar.description_html(lang))[:2000]]
        if method == "REQUEST" and webinar.join_url:
            lines.append(gettext("Join the webinar: %(url)s", url=webinar.join_url))
        lines.append(gettext("Event page: %(url)s", url=page))
        description = "\n\n".join(line for line in lines if line)
    calendar = Calendar()
    calendar.add("prodid", "-//forum//webinars//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", webinar.uid)
    event.add("sequence", webinar.sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", webinar.starts_at)
    event.add("dtend", webinar.ends_at)
    event.add("summary", webinar.title(lang))
    event.add("description", description)
    event.add("url", page)
    if method == "REQUEST" and webinar.join_url:
        event.add("location", webinar.join_url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or f"webinars@{_calendar_domain()}"
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(current_app.config["SITE_NAME"])
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(registration.name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("DECLINED" if method == "CANCEL" else "ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _email_context(webinar: Webinar, registration: Registration) -> dict:
    return {"webinar": webinar, "registration": registration, "event_url": event_url(webinar),
            "manage_url": absolute_url("webinars.manage_registration", token=registration_token(registration)),
            "times": times_in_capitals(webinar, registration.locale, zone=_zone_of(registration))}


def _zone_of(registration: Registration) -> str | None:
    return registration.user.timezone if registration.user is not None else None


def send_reminders(now: datetime | None = None) -> int:
    """24 hours and 1 hour before, once each (the outbox's dedupe key decides), to those with a seat."""
    now = now or utcnow()
    webinars = db.session.execute(select(Webinar).where(
        Webinar.status == "scheduled", Webinar.starts_at > now,
        Webinar.starts_at <= now + REMINDERS[0][1])).scalars().all()
    queued = 0
    for webinar in webinars:
        kind, ahead = REMINDERS[1] if webinar.starts_at - now <= REMINDERS[1][1] else REMINDERS[0]
        # Whoever confirmed after the reminder's moment, or minutes before it, has just had the
        # confirmation with the link: a reminder a minute later would only repeat it.
        query = select(Registration).where(
            Registration.webinar_id == webinar.id, Registration.status == "registered",
            Registration.confirmed_at <= webinar.starts_at - ahead - REMINDER_AFTER_CONFIRMATION)
        for registration in db.session.execute(query).scalars():
            message = queue_email(
                to=registration.email, locale=registration.locale, template="webinar_reminder",
                dedupe_key=f"webinar-reminder-{kind}:{registration.id}:{int(webinar.starts_at.timestamp())}",
                kind=kind, **_email_context(webinar, registration))
            queued += message is not None
        db.session.commit()
    return queued


# --- times ----------------------------------------------------------------------------------

def times_in_capitals(webinar: Webinar, locale: str, zone: str | None = None) -> list[tuple[str, str]]:
    """(place, local time) for the reader's zone (if given) and the region's capitals."""
    from babel.dates import format_datetime

    def local(name: str) -> str:
        return format_datetime(webinar.starts_at, "EEE d MMM · HH:mm",
                               tzinfo=zoneinfo.ZoneInfo(name), locale=locale)

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
    from flask_babel import gettext

    title = webinar.title(lang)
    label = gettext("Closing webinar")
    if title.casefold().startswith(label.casefold()):
        return title
    return gettext("%(label)s: %(title)s", label=label, title=title)


def closing_webinar(pair: ForumPair) -> Webinar | None:
    return db.session.execute(select(Webinar).where(Webinar.pair_id == pair.id, Webinar.status == "scheduled")
                              .order_by(Webinar.starts_at.desc()).limit(1)).scalar_one_or_none()


# --- attendance and the participation table: forum.services.attendance --------------------

from forum.services.attendance import (  # noqa: E402  (kept importable from here; attendance imports this module)
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

__all__ = [
    "CAPITALS", "GENDER_BUCKETS", "AttendanceReport", "GuestInput", "Participation", "ParticipationRow",
    "SpeakerInput", "WebinarInput", "attendance_page", "cancel_registration", "cancel_webinar",
    "claim_registrations", "confirm_guest", "import_attendance", "listing", "participation", "participation_csv",
    "register_guest", "register_member", "save_webinar", "send_reminders", "set_attendance",
]
