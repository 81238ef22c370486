"""Registering for a webinar: members and guests, confirmation by email, a seat taken with a
conditional UPDATE on the kept counter (two people can never take the last one), the waiting
list, cancelling, and what leaving a community or deleting an account does to registrations."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from forum import tokens
from forum.errors import DomainError, ValidationErrors
from forum.extensions import db
from forum.i18n import is_country
from forum.languages import supported_locale
from forum.mail import absolute_url, queue_email, retired_address
from forum.models import (
    GENDERS,
    SECTORS,
    Community,
    Registration,
    User,
    Webinar,
    utcnow,
)
from forum.people import clean_display_name, normalise_email
from forum.policy import can, readers_among
from forum.services.atomic import atomic, get_or_create
from forum.services.webinar_messages import email_context, invitation

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


@atomic
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


@atomic
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
        return registration
    if registration is None:
        registration, _ = get_or_create(Registration, {"webinar_id": webinar.id, "email": email},
                                        {"name": clean_display_name(data.name), "status": "pending"})
    registration.name = clean_display_name(data.name)
    registration.country = data.country or None
    registration.institution = " ".join((data.institution or "").split())[:200] or None
    registration.sector = data.sector or None
    registration.gender = data.gender or None
    registration.locale = supported_locale(data.locale)
    registration.status = "pending"
    db.session.flush()
    token = tokens.make("webinar-confirm", {"r": registration.id, "e": email})
    queue_email(to=email, locale=registration.locale, template="webinar_confirm",
                dedupe_key=f"webinar-confirm:{registration.id}:{token[-16:]}",
                confirm_url=absolute_url("webinars.confirm", token=token),
                **email_context(webinar, registration))
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


@atomic
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
    context = email_context(webinar, registration)
    if registration.status == "registered":
        queue_email(to=registration.email, locale=registration.locale, template="webinar_registered",
                    dedupe_key=f"webinar-registered:{registration.id}:{stamp}:{webinar.sequence}:{dedupe}",
                    attachment=invitation(webinar, registration), promoted=promoted, **context)
    else:
        queue_email(to=registration.email, locale=registration.locale, template="webinar_waitlisted",
                    dedupe_key=f"webinar-waitlisted:{registration.id}:{stamp}:{dedupe}", **context)


@atomic
def cancel_registration(registration: Registration) -> None:
    """The person gives up their place; the first on the waiting list takes it."""
    if registration.status not in ("registered", "waitlisted", "pending"):
        return
    if registration.webinar.is_past():
        raise DomainError(_l("This webinar has already taken place."))
    if _release(registration, template="webinar_unregistered") is None:
        return


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
                    with_calendar=held == "registered", **email_context(webinar, registration), **context)
    if held == "registered" and not webinar.is_cancelled:
        fill_from_waitlist(webinar)
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


def fill_from_waitlist(webinar: Webinar) -> int:
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


def holders(webinar: Webinar):
    return db.session.execute(select(Registration).where(
        Registration.webinar_id == webinar.id, Registration.status == "registered")).scalars().all()
