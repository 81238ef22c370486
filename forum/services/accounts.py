"""Accounts: registration, email confirmation, password reset, profile."""
from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from forum.extensions import db
from forum.i18n import is_country, is_timezone
from forum.mail import queue_email
from forum.markup import strip_invisible, visible_text
from forum.models import GENDERS, SECTORS, User, utcnow
from forum.models.user import EMAIL_NOTIFICATION_CHOICES
from forum.services import DomainError, tokens

MIN_PASSWORD_LENGTH = 10
HANDLE_RE = re.compile(r"^[a-z0-9_]{3,30}$")


def normalise_email(address: str) -> str:
    try:
        return validate_email((address or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError(_l("Enter a valid email address."), field="email") from None


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


def clean_display_name(name: str | None) -> str:
    """A name people can see: no invisible or direction-changing characters, at most 120."""
    name = " ".join(strip_invisible(name or "").split())
    if not visible_text(name):
        raise DomainError(_l("Enter your name."), field="display_name")
    return name[:120]


def get_by_email(address: str) -> User | None:
    try:
        email = normalise_email(address)
    except DomainError:
        return None
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()


def register(*, email: str, password: str, display_name: str, locale: str) -> User:
    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    check_password_strength(password)
    if db.session.execute(db.select(User.id).filter_by(email=email)).first():
        raise DomainError(
            _l("An account with this email already exists. Sign in or reset your password."),
            field="email",
        )
    user = User(email=email, display_name=display_name, handle=suggest_handle(display_name),
                locale=locale if locale in current_app.config["LANGUAGES"] else "es")
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    send_confirmation(user)
    db.session.commit()
    return user


def send_confirmation(user: User) -> None:
    token = tokens.make("confirm-email", {"id": user.id, "email": user.email})
    queue_email(to=user, template="confirm_email", token=token,
                dedupe_key=f"confirm:{user.id}:{token[-16:]}")


def resend_confirmation(user: User) -> None:
    if user.is_confirmed:
        return
    send_confirmation(user)
    db.session.commit()


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
        db.session.commit()
    return user


def authenticate(email: str, password: str) -> User:
    user = get_by_email(email)
    if user is None or not user.is_active or not user.check_password(password):
        raise DomainError(_l("Wrong email or password."))
    return user


def _reset_fingerprint(user: User) -> str:
    # Changes when the password does, so a reset link works once.
    return (user.password_hash or "")[-12:]


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way (no account probing)."""
    user = get_by_email(email)
    if user is None or not user.is_active:
        return
    token = tokens.make("reset-password", {"id": user.id, "fp": _reset_fingerprint(user)})
    queue_email(to=user, template="reset_password", token=token,
                dedupe_key=f"reset:{user.id}:{token[-16:]}")
    db.session.commit()


def check_reset_token(token: str) -> User:
    """The account a reset link is for, or DomainError if the link is bad, old or used."""
    data = tokens.load(
        "reset-password", token, max_age=current_app.config["RESET_TOKEN_MAX_AGE"],
        expired=_l("This reset link has expired. Ask for a new one."),
        invalid=_l("This reset link is not valid."),
    )
    user = db.session.get(User, data.get("id"))
    if user is None or not user.is_active or data.get("fp") != _reset_fingerprint(user):
        raise DomainError(_l("This reset link is not valid or was already used."))
    return user


def reset_password(token: str, password: str) -> User:
    user = check_reset_token(token)
    check_password_strength(password)
    user.set_password(password)
    if not user.is_confirmed:  # the link proved they own the address
        user.email_confirmed_at = utcnow()
    db.session.commit()
    return user


def update_profile(user: User, *, display_name: str, handle: str, country: str | None,
                   institution: str | None, sector: str | None, gender: str | None,
                   locale: str | None, timezone: str | None,
                   email_notifications: str | None = None) -> User:
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
    user.display_name = display_name
    user.handle = handle
    user.country = country or None
    user.institution = " ".join(strip_invisible(institution or "").split())[:200] or None
    user.sector = sector or None
    user.gender = gender or None
    user.locale = locale or user.locale
    user.timezone = timezone or None
    user.email_notifications = email_notifications or user.email_notifications
    db.session.commit()
    return user


def set_locale(user: User, locale: str) -> None:
    if locale in current_app.config["LANGUAGES"] and user.locale != locale:
        user.locale = locale
        db.session.commit()
