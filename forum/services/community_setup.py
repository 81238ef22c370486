"""Organizers set up communities: names and descriptions per language, visibility, join policy,
time zone, logo, and their first organizers."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forum.errors import DomainError, ValidationErrors
from forum.extensions import db
from forum.i18n import is_timezone
from forum.models import (
    JOIN_POLICIES,
    VISIBILITIES,
    Community,
    User,
)
from forum.policy import can, ensure
from forum.services.atomic import atomic
from forum.services.membership import add_member
from forum.uploads import store_image

# --- communities -------------------------------------------------------------

COMMUNITY_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class CommunityInput:
    slug: str = ""
    name_es: str = ""
    name_en: str = ""
    description_es: str = ""
    description_en: str = ""
    visibility: str = "public"
    join_policy: str = "open"
    timezone: str = ""
    organizers: str = ""


def _validate_community(data: CommunityInput, community: Community | None) -> None:
    errors: dict[str, object] = {}
    if community is None:
        if not COMMUNITY_SLUG_RE.match(data.slug or "") or len(data.slug) > 80:
            errors["slug"] = _l("Use lowercase letters, digits and hyphens, like “resilient-cities”.")
        elif db.session.execute(select(Community.id).filter_by(slug=data.slug)).first():
            errors["slug"] = _l("This address is taken.")
    for lang in ("es", "en"):  # the community form's two names
        if not " ".join((getattr(data, f"name_{lang}") or "").split()):
            errors[f"name_{lang}"] = _l("Write the name in this language.")
    if data.visibility not in VISIBILITIES:
        errors["visibility"] = _l("Choose an option from the list.")
    if data.join_policy not in JOIN_POLICIES:
        errors["join_policy"] = _l("Choose an option from the list.")
    if data.timezone and not is_timezone(data.timezone):
        errors["timezone"] = _l("Choose a time zone from the list.")
    if errors:
        raise ValidationErrors(errors)


def _organizer_users(text: str) -> list[User]:
    users, missing = [], []
    for item in re.split(r"[\s,;]+", text or ""):
        if not item:
            continue
        column = User.handle if item.startswith("@") or "@" not in item else User.email
        value = item.lstrip("@").lower()
        user = db.session.execute(select(User).where(column == value, User.deleted_at.is_(None))).scalar_one_or_none()
        (users if user else missing).append(user or item)
    if missing:
        raise ValidationErrors({"organizers": _l("Not registered: %(who)s. Invite them first, or name registered "
                                                 "people.", who=", ".join(missing))})
    if not users:
        raise ValidationErrors({"organizers": _l("Name at least one organizer.")})
    return users


def _store_logo(community: Community, upload) -> None:
    community.logo_key, community.logo_type = store_image(upload, "logo")


@atomic
def save_community(user: User, data: CommunityInput, community: Community | None = None, logo=None) -> Community:
    """Admins create a community with its first organizers; organizers edit its profile."""
    if community is None and not can(user, "community.create"):
        raise DomainError(_l("Only site administrators can create communities."))
    if community is not None:
        ensure(user, "community.organize", community)
    _validate_community(data, community)
    organizers = _organizer_users(data.organizers) if community is None else []
    if community is None:
        community = Community(slug=data.slug)
        db.session.add(community)
    for attr in ("name_es", "name_en"):
        setattr(community, attr, " ".join(getattr(data, attr).split())[:200])
    community.description_es = (data.description_es or "").strip()[:5000]
    community.description_en = (data.description_en or "").strip()[:5000]
    community.visibility, community.join_policy = data.visibility, data.join_policy
    community.timezone = data.timezone or None
    if logo is not None and getattr(logo, "filename", ""):
        _store_logo(community, logo)
    db.session.flush()
    for organizer in organizers:
        membership, _ = add_member(organizer, community, role="organizer")
        membership.role = "organizer"
    return community
