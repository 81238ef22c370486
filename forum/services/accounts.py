"""Accounts: registration, email confirmation, password reset, profile."""
from __future__ import annotations

import re
import unicodedata

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from forum import tokens
from forum.extensions import db
from forum.i18n import is_country, is_timezone
from forum.languages import supported_locale
from forum.mail import absolute_url, queue_email, retired_address
from forum.markup import HANDLE, strip_invisible
from forum.models import (
    GENDERS,
    SECTORS,
    Community,
    Invitation,
    Membership,
    Notification,
    OutboxMessage,
    PostUseful,
    ThreadRead,
    User,
    Watch,
    utcnow,
)
from forum.models.user import DIGEST_CHOICES, EMAIL_NOTIFICATION_CHOICES
from forum.people import clean_display_name, normalise_email
from forum.policy import can
from forum.services import DomainError, counters, sessions, signin_limits
from forum.services.atomic import atomic
from forum.services.webinar_registrations import claim_registrations, forget_person

MIN_PASSWORD_LENGTH = 10
HANDLE_RE = re.compile(rf"^{HANDLE}$")


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("Use at least %(n)d characters for your password.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )


def suggest_handle(name: str) -> str:
    """A unique @handle from a display name: ascii, lowercase, digits added if taken."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:24] or "member"
    if len(base) < 3:
        base = f"{base}_member"[:24]
    taken = set(db.session.execute(
        db.select(User.handle).where(User.handle.like(f"{base}%"))
    ).scalars())
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def get_by_email(address: str) -> User | None:
    try:
        email = normalise_email(address)
    except DomainError:
        return None
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()


@atomic
def register(*, email: str, password: str, display_name: str, locale: str, newsletter: bool = False) -> User:
    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    check_password_strength(password)
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise DomainError(
            _l("An account with this email already exists. Sign in or reset your password."),
            field="email",
        )
    user = User(email=email, display_name=display_name, handle=suggest_handle(display_name),
                locale=supported_locale(locale),
                newsletter_opt_in_at=utcnow() if newsletter else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    token = tokens.make("confirm-email", {"id": user.id, "email": user.email})
    queue_email(to=user, template="confirm_email", token=token,
                dedupe_key=f"confirm:{user.id}:{token[-16:]}")


@atomic
def resend_confirmation(user: User) -> None:
    if user.is_confirmed:
        return
    send_confirmation(user)


@atomic
def confirm_email(token: str) -> User:
    data = tokens.load(
        "confirm-email", token, max_age=current_app.config["CONFIRM_TOKEN_MAX_AGE"],
        expired=_l("This confirmation link has expired. Sign in to get a new one."),
        invalid=_l("This confirmation link is not valid."),
    )
    user = db.session.get(User, data.get("id"))
    if user is None or not user.is_active or user.email != data.get("email"):
        raise DomainError(_l("This confirmation link is not valid."))
    if not user.is_confirmed:
        user.email_confirmed_at = utcnow()
        claim_registrations(user)  # places taken as a guest with this address
    return user


def authenticate(email: str, password: str) -> User:
    user = get_by_email(email)
    if user is None or user.deleted_at is not None or not user.check_password(password):
        raise DomainError(_l("Wrong email or password."))
    if user.is_suspended:
        raise DomainError(_l("Your account is suspended until %(date)s. Reason: %(reason)s",
                             date=format_date(user.suspended_until, "long"),
                             reason=user.suspension_reason or "—"))
    return user


def sign_in(email: str, password: str) -> User:
    """authenticate, counting failures against the account and refusing a locked one, even with
    the right password (the link emailed when it locked is the way in)."""
    if signin_limits.is_locked(email):
        raise signin_limits.AccountLocked()
    try:
        return authenticate(email, password)
    except DomainError:
        window = signin_limits.record_failure(email)
        if window is not None:
            _tell_locked_owner(email, window)
            raise signin_limits.AccountLocked() from None
        raise


@atomic
def _tell_locked_owner(email: str, window: int) -> None:
    """One email per lock: its window's end names it, even if two failures trip it at once."""
    user = get_by_email(email)
    if user is None or not user.is_active:
        return
    queue_email(to=user, template="signin_locked", token=reset_token(user),
                dedupe_key=f"signin-locked:{user.id}:{window}")


def _reset_fingerprint(user: User) -> str:
    # Changes when the password does, so a reset link works once.
    return (user.password_hash or "")[-12:]


def reset_token(user: User) -> str:
    """The token of a link that lets `user` choose a new password (valid once)."""
    return tokens.make("reset-password", {"id": user.id, "fp": _reset_fingerprint(user)})


@atomic
def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way (no account probing)."""
    user = get_by_email(email)
    if user is None or not user.is_active:
        return
    token = reset_token(user)
    queue_email(to=user, template="reset_password", token=token,
                dedupe_key=f"reset:{user.id}:{token[-16:]}")


# Links that let someone choose a password: a reset, or the welcome of an imported member.
# Both carry a fingerprint of the current password hash, so each works once.
PASSWORD_LINKS = {
    "reset-password": ("RESET_TOKEN_MAX_AGE", _l("This reset link has expired. Ask for a new one.")),
    "welcome": ("INVITATION_MAX_AGE", _l("This link has expired. Use “Forgot your password?” to get a new one.")),
}


def password_link_user(purpose: str, token: str) -> User:
    """The account a password link is for, or DomainError if it is bad, expired or used."""
    max_age_key, expired = PASSWORD_LINKS[purpose]
    data = tokens.load(purpose, token, max_age=current_app.config[max_age_key], expired=expired,
                       invalid=_l("This link is not valid."))
    user = db.session.get(User, data.get("id"))
    if user is None or not user.is_active or data.get("fp") != _reset_fingerprint(user):
        raise DomainError(_l("This link is not valid or was already used."))
    return user


@atomic
def set_password_from_link(purpose: str, token: str, password: str) -> User:
    user = password_link_user(purpose, token)
    check_password_strength(password)
    user.set_password(password)
    sessions.end_all(user)  # whoever knew the old password is signed out everywhere
    signin_limits.clear(user.email)  # and the owner may sign in again at once
    user.email_confirmed_at = user.email_confirmed_at or utcnow()  # the link proved they own the address
    claim_registrations(user)
    return user


@atomic
def update_profile(user: User, *, display_name: str, handle: str, country: str | None,
                   institution: str | None, sector: str | None, gender: str | None,
                   locale: str | None, timezone: str | None,
                   email_notifications: str | None = None, visibility: dict | None = None,
                   digest_frequency: str | None = None, newsletter: bool | None = None) -> User:
    display_name = clean_display_name(display_name)
    handle = (handle or "").strip().lstrip("@").lower()
    if not HANDLE_RE.match(handle):
        raise DomainError(
            _l("Use 3 to 30 lowercase letters, digits or underscores."), field="handle"
        )
    if handle != user.handle and db.session.execute(
        db.select(User.id).filter_by(handle=handle)
    ).first():
        raise DomainError(_l("This handle is taken."), field="handle")
    if country and not is_country(country):
        raise DomainError(_l("Choose a country from the list."), field="country")
    if sector and sector not in SECTORS:
        raise DomainError(_l("Choose a sector from the list."), field="sector")
    if gender and gender not in GENDERS:
        raise DomainError(_l("Choose an option from the list."), field="gender")
    if locale and locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose a language from the list."), field="locale")
    if timezone and not is_timezone(timezone):
        raise DomainError(_l("Choose a time zone from the list."), field="timezone")
    if email_notifications and email_notifications not in EMAIL_NOTIFICATION_CHOICES:
        raise DomainError(_l("Choose an option from the list."), field="email_notifications")
    if digest_frequency and digest_frequency not in DIGEST_CHOICES:
        raise DomainError(_l("Choose an option from the list."), field="digest_frequency")
    user.display_name = display_name
    user.handle = handle
    user.country = country or None
    user.institution = " ".join(strip_invisible(institution or "").split())[:200] or None
    user.sector = sector or None
    user.gender = gender or None
    user.locale = locale or user.locale
    user.timezone = timezone or None
    user.email_notifications = email_notifications or user.email_notifications
    for key, value in (visibility or {}).items():
        if key in ("show_email", "show_country", "show_institution", "show_sector", "show_name_in_reports"):
            setattr(user, key, bool(value))
    user.digest_frequency = digest_frequency or user.digest_frequency
    if newsletter is not None:
        if newsletter and user.newsletter_opt_in_at is None:
            user.newsletter_opt_in_at = utcnow()  # the opt-in, with its date
        elif not newsletter:
            user.newsletter_opt_in_at = None
    return user


@atomic
def set_locale(user: User, locale: str) -> None:
    if locale in current_app.config["LANGUAGES"] and user.locale != locale:
        user.locale = locale


# --- accounts created by an import: "choose your password" ---------------------

def send_welcome(user: User, community, dedupe_key: str | None = None) -> None:
    """Invite someone added by an organizer to choose a password (no commit)."""
    queue_email(to=user, template="welcome_invitation", dedupe_key=dedupe_key or f"welcome:{user.id}",
                community=community, welcome_url=welcome_url(user))


def welcome_url(user: User) -> str:
    """The link of a welcome email: choose a password (valid once, like a reset link)."""
    return absolute_url("auth.welcome", token=tokens.make("welcome", {"id": user.id, "fp": _reset_fingerprint(user)}))


# --- the member's own data: forum.services.member_data ----------------------------

def _communities_where_sole_organizer(user: User) -> list[str]:
    mine = select(Membership.community_id).where(Membership.user_id == user.id, Membership.role == "organizer",
                                                 Membership.state == "active")
    counts = db.session.execute(
        select(Community.name_es, func.count(Membership.id)).join(Membership, Membership.community_id == Community.id)
        .where(Community.id.in_(mine), Membership.role == "organizer", Membership.state == "active")
        .group_by(Community.id, Community.name_es)).all()
    return [name for name, count in counts if count <= 1]


@atomic
def delete_account(user: User, password: str) -> None:
    """Anonymise: the conversation stays ("former member"), the person's data goes."""
    if not user.check_password(password or ""):
        raise DomainError(_l("The password is not right."), field="password")
    sole = _communities_where_sole_organizer(user)
    if sole:
        raise DomainError(_l("You are the only organizer of %(names)s: name another organizer first.",
                             names=", ".join(sole)), field="password")
    communities = list(db.session.execute(
        select(Membership.community_id).where(Membership.user_id == user.id, Membership.state == "active")).scalars())
    counters.members(communities, -1)
    for model in (Membership, Watch, ThreadRead, Notification):
        db.session.execute(delete(model).where(model.user_id == user.id))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.to_address == user.email,
                                                   OutboxMessage.status == "queued"))
    marked = select(PostUseful.post_id).where(PostUseful.user_id == user.id)
    counters.useful(marked, -1)
    db.session.execute(delete(PostUseful).where(PostUseful.user_id == user.id))
    db.session.execute(delete(Invitation).where(Invitation.email == user.email))
    forget_person(user)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.to_address == user.email)
                       .values(to_address=retired_address("outbox")).execution_options(synchronize_session=False))
    sessions.end_all(user)
    user.email = None
    user.password_hash = None
    user.display_name = ""
    user.handle = f"deleted-{user.id}"  # a hyphen: no one can choose it
    user.country = user.institution = user.sector = user.gender = user.timezone = user.bio = None
    user.show_email = False
    user.email_notifications = "off"
    user.deleted_at = utcnow()


# --- site-wide suspension (admins) -------------------------------------------

@atomic
def suspend(admin: User, user: User, until, reason: str) -> User:
    if not can(admin, "site.admin"):
        raise DomainError(_l("Only site administrators can suspend accounts."))
    if user.deleted_at is not None:
        raise DomainError(_l("This account was deleted."))
    if user.id == admin.id:
        raise DomainError(_l("You cannot suspend yourself."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why the account is suspended."), field="reason")
    if until is None or until <= utcnow():
        raise DomainError(_l("Choose a date in the future."), field="until")
    user.suspended_until, user.suspension_reason = until, reason[:500]
    sessions.end_all(user)  # lifting the suspension later does not bring old sign-ins back
    return user


@atomic
def lift_suspension(admin: User, user: User) -> User:
    if not can(admin, "site.admin"):
        raise DomainError(_l("Only site administrators can lift suspensions."))
    user.suspended_until = user.suspension_reason = None
    return user


# --- email preferences, also reachable from a signed link in every bulk email ----

UNSUBSCRIBE_CATEGORIES = ("digest", "newsletter", "notifications")


def user_from_email_token(purpose: str, token: str) -> tuple[User, dict]:
    data = tokens.load(purpose, token, max_age=None, expired=_l("This link is not valid."),
                       invalid=_l("This link is not valid."))
    user = db.session.get(User, data.get("u"))
    if user is None or user.deleted_at is not None:
        raise DomainError(_l("This link is not valid."))
    return user, data


@atomic
def unsubscribe(user: User, category: str) -> None:
    """Takes effect at once: the next digest or newsletter run already leaves them out."""
    if category not in UNSUBSCRIBE_CATEGORIES:
        raise DomainError(_l("This link is not valid."))
    if category == "digest":
        user.digest_frequency = "off"
    elif category == "newsletter":
        user.newsletter_opt_in_at = None
    else:
        user.email_notifications = "off"


@atomic
def set_email_preferences(user: User, *, digest: str, newsletter: bool, notifications: str) -> User:
    if digest not in DIGEST_CHOICES:
        raise DomainError(_l("Choose an option from the list."), field="digest_frequency")
    if notifications not in EMAIL_NOTIFICATION_CHOICES:
        raise DomainError(_l("Choose an option from the list."), field="email_notifications")
    user.digest_frequency = digest
    user.email_notifications = notifications
    if newsletter and user.newsletter_opt_in_at is None:
        user.newsletter_opt_in_at = utcnow()  # the opt-in, with its date
    elif not newsletter:
        user.newsletter_opt_in_at = None
    return user
