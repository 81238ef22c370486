"""Joining and leaving communities; the member counter is kept here and only here."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from forum.extensions import db
from forum.models import Community, Membership, User
from forum.policy import can, membership
from forum.services import DomainError


def _bump_member_count(community: Community, delta: int) -> None:
    db.session.execute(
        update(Community).where(Community.id == community.id)
        .values(member_count=Community.member_count + delta)
        .execution_options(synchronize_session=False)
    )


def add_member(user: User, community: Community, role: str = "member") -> Membership:
    """Make `user` an active member (idempotent); used by joins, seeds and imports."""
    existing = db.session.execute(
        db.select(Membership).filter_by(user_id=user.id, community_id=community.id)
    ).scalar_one_or_none()
    if existing is not None:
        if not existing.is_active:
            existing.state = "active"
            _bump_member_count(community, 1)
        return existing
    m = Membership(user_id=user.id, community_id=community.id, role=role, state="active")
    db.session.add(m)
    _bump_member_count(community, 1)
    return m


def join(user: User, community: Community) -> Membership:
    if membership(user, community) is not None:
        raise DomainError(_l("You are already a member of this community."))
    if not can(user, "community.join", community):
        raise DomainError(_l("This community cannot be joined directly."))
    m = add_member(user, community)
    db.session.commit()
    return m


def leave(user: User, community: Community) -> None:
    m = membership(user, community)
    if m is None or not m.is_active:
        raise DomainError(_l("You are not a member of this community."))
    db.session.delete(m)
    _bump_member_count(community, -1)
    db.session.commit()
