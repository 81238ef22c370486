"""What people type to name themselves, an email address and a display name, cleaned the same
way by accounts, memberships, webinar registrations and attendance reports (below them all)."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from forum.errors import DomainError
from forum.markup import strip_invisible, visible_text


def normalise_email(address: str) -> str:
    try:
        return validate_email((address or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError(_l("Enter a valid email address."), field="email") from None


def clean_display_name(name: str | None) -> str:
    """A name people can see: no invisible or direction-changing characters, at most 120."""
    name = " ".join(strip_invisible(name or "").split())
    if not visible_text(name):
        raise DomainError(_l("Enter your name."), field="display_name")
    return name[:120]
