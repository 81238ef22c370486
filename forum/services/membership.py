"""Belonging to communities: joining, requests and decisions, invitations, roles, leaving.

The member counter of a community is kept here and only here.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, update

from forum import tokens
from forum.extensions import db
from forum.mail import absolute_url, queue_email
from forum.models import ROLES, Community, Invitation, Membership, User, Watch, utcnow
from forum.people import normalise_email
from forum.policy import can, membership
from forum.services import DomainError, counters
from forum.services.atomic import atomic, get_or_create
from forum.services.webinar_registrations import withdraw_from_community

INVITATION_PURPOSE = "community-invitation"


def _row(user: User, community: Community) -> Membership | None:
    return db.session.execute(
        select(Membership).filter_by(user_id=user.id, community_id=community.id)
    ).scalar_one_or_none()


def add_member(user: User, community: Community, role: str = "member") -> tuple[Membership, bool]:
    """Make `user` an active member (idempotent; no commit). Returns (membership, changed)."""
    m, created = get_or_create(Membership, {"user_id": user.id, "community_id": community.id},
                               {"role": role, "state": "active"})
    if not created:
        if m.is_active:  # already in, perhaps by a request a moment ago (a double click)
            return m, False
        m.state = "active"
        m.role = role
    counters.members(community.id, 1)
    return m, True


@atomic
def join(user: User, community: Community) -> Membership:
    if membership(user, community) is not None and membership(user, community).is_active:
        raise DomainError(_l("You are already a member of this community."))
    if not can(user, "community.join", community):
        raise DomainError(_l("This community cannot be joined directly."))
    m, _ = add_member(user, community)  # a double click: get_or_create finds the first one's row
    return m


@atomic
def request_to_join(user: User, community: Community, message: str | None = None) -> Membership:
    if not can(user, "community.request_join", community):
        raise DomainError(_l("You cannot ask to join this community."))
    text = (message or "").strip()[:2000] or None
    m, created = get_or_create(Membership, {"user_id": user.id, "community_id": community.id},
                               {"role": "member", "state": "pending", "request_message": text})
    if not created and m.state != "pending":  # asking again after a decline (a double submit: as it was)
        m.state, m.request_message = "pending", text
        m.decided_at = m.decided_by_id = m.decision_reason = None
        m.created_at = utcnow()
    return m


def pending_requests(community: Community, page: int = 1, per_page: int = 50) -> list[Membership]:
    from sqlalchemy.orm import joinedload

    return list(db.session.execute(
        select(Membership).where(Membership.community_id == community.id, Membership.state == "pending")
        .order_by(Membership.created_at).limit(per_page).offset((page - 1) * per_page)
        .options(joinedload(Membership.user))
    ).scalars())


def reader_state(user, community: Community, moderator: bool) -> tuple[int, bool]:
    """For the community page, in one statement: the requests waiting (moderators only) and
    whether the reader watches the community."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0, False
    pending = select(func.count(Membership.id)).where(
        Membership.community_id == community.id, Membership.state == "pending").scalar_subquery()
    watched = select(Watch.id).where(Watch.user_id == user.id, Watch.community_id == community.id,
                                     Watch.level == "watching").exists()
    count, watching = db.session.execute(select(pending if moderator else literal(0), watched)).one()
    return count, bool(watching)


def pending_count(community: Community) -> int:
    return db.session.execute(select(func.count(Membership.id)).where(
        Membership.community_id == community.id, Membership.state == "pending")).scalar_one()


def _pending(community: Community, membership_id: int) -> Membership:
    m = db.session.get(Membership, membership_id)
    if m is None or m.community_id != community.id or m.state != "pending":
        raise DomainError(_l("This request was already decided or does not exist."))
    return m


@atomic
def approve(moderator: User, community: Community, membership_id: int) -> Membership:
    if not can(moderator, "community.moderate", community):
        raise DomainError(_l("Only moderators can decide on requests."))
    m = _pending(community, membership_id)
    m.state, m.decided_by_id, m.decided_at = "active", moderator.id, utcnow()
    counters.members(community.id, 1)
    queue_email(to=m.user, template="join_approved", dedupe_key=f"join-decision:{m.id}:{m.decided_at.isoformat()}",
                community=community,
                community_url=absolute_url("communities.show", slug=community.slug))
    return m


@atomic
def decline(moderator: User, community: Community, membership_id: int, reason: str) -> Membership:
    if not can(moderator, "community.moderate", community):
        raise DomainError(_l("Only moderators can decide on requests."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why, so the person understands."), field="reason")
    m = _pending(community, membership_id)
    m.state, m.decided_by_id, m.decided_at, m.decision_reason = "declined", moderator.id, utcnow(), reason[:2000]
    queue_email(to=m.user, template="join_declined", dedupe_key=f"join-decision:{m.id}:{m.decided_at.isoformat()}",
                community=community, reason=m.decision_reason)
    return m


@atomic
def leave(user: User, community: Community) -> None:
    m = membership(user, community)
    if m is None or not m.is_active:
        raise DomainError(_l("You are not a member of this community."))
    if m.role == "organizer" and _organizer_count(community) <= 1:
        raise DomainError(_l("You are the last organizer: name another organizer before leaving."))
    db.session.delete(m)
    counters.members(community.id, -1)
    _withdraw(user, community)


def _withdraw(user: User, community: Community) -> None:
    """What was only for members goes with the membership: places at its webinars."""
    withdraw_from_community(user, community)


def _lock(community: Community) -> None:
    """Take the community's row lock (PostgreSQL) or the write lock (SQLite) before counting
    organizers, so two organizers demoting each other cannot leave none."""
    db.session.execute(update(Community).where(Community.id == community.id)
                       .values(member_count=Community.member_count).execution_options(synchronize_session=False))


def _organizer_count(community: Community) -> int:
    _lock(community)
    return db.session.execute(select(func.count(Membership.id)).where(
        Membership.community_id == community.id, Membership.state == "active",
        Membership.role == "organizer")).scalar_one()


@atomic
def set_role(organizer: User, community: Community, user_id: int, role: str) -> Membership:
    if not can(organizer, "community.organize", community):
        raise DomainError(_l("Only organizers can change roles."))
    if role not in ROLES:
        raise DomainError(_l("Choose a role from the list."))
    m = db.session.execute(select(Membership).filter_by(
        community_id=community.id, user_id=user_id, state="active")).scalar_one_or_none()
    if m is None:
        raise DomainError(_l("This person is not a member of the community."))
    if m.role == "organizer" and role != "organizer" and _organizer_count(community) <= 1:
        raise DomainError(_l("A community needs at least one organizer."))
    m.role = role
    return m


@atomic
def remove_member(organizer: User, community: Community, user_id: int) -> None:
    if not can(organizer, "community.organize", community):
        raise DomainError(_l("Only organizers can remove members."))
    m = db.session.execute(select(Membership).filter_by(
        community_id=community.id, user_id=user_id, state="active")).scalar_one_or_none()
    if m is None:
        raise DomainError(_l("This person is not a member of the community."))
    if m.role == "organizer" and _organizer_count(community) <= 1:
        raise DomainError(_l("A community needs at least one organizer."))
    person = m.user
    db.session.delete(m)
    counters.members(community.id, -1)
    _withdraw(person, community)


# --- invitations ---------------------------------------------------------------

@atomic
def invite(organizer: User, community: Community, email: str, role: str = "member",
           locale: str = "es") -> str:
    """Invite an address: "sent", "pending" (a live invitation exists) or "member" (already in)."""
    if not can(organizer, "community.organize", community):
        raise DomainError(_l("Only organizers can invite."))
    email = normalise_email(email)
    user = db.session.execute(select(User).filter_by(email=email)).scalar_one_or_none()
    if user is not None and _row(user, community) is not None and _row(user, community).is_active:
        return "member"
    invitation = db.session.execute(select(Invitation).filter_by(community_id=community.id, email=email)).scalar_one_or_none()
    fresh = utcnow().timestamp() - current_app.config["INVITATION_MAX_AGE"]
    if invitation is not None and invitation.accepted_at is None and invitation.created_at.timestamp() > fresh:
        return "pending"
    if invitation is None:
        invitation, _ = get_or_create(Invitation, {"community_id": community.id, "email": email},
                                      {"role": "member", "created_at": utcnow()})
    # A used or expired invitation is renewed: a new link, a new email.
    invitation.role = role if role in ROLES else "member"
    invitation.invited_by_id, invitation.created_at = organizer.id, utcnow()
    invitation.accepted_at = invitation.accepted_by_id = None
    db.session.flush()
    token = tokens.make(INVITATION_PURPOSE, {"i": invitation.id, "e": email, "t": invitation.created_at.isoformat()})
    queue_email(to=user or email, locale=(user.locale if user else None) or locale,
                template="community_invitation",
                dedupe_key=f"invitation:{invitation.id}:{invitation.created_at.isoformat()}",
                community=community, inviter=organizer,
                accept_url=absolute_url("communities.accept_invitation", token=token))
    return "sent"


@atomic
def invite_all(organizer: User, community: Community, emails: list[str], role: str = "member",
               locale: str = "es") -> dict[str, list]:
    """Invite each address in one transaction: {"sent"|"pending"|"member": [address],
    "refused": [(address, reason)]}. A refused address is refused before anything is written."""
    results: dict[str, list] = {"sent": [], "pending": [], "member": [], "refused": []}
    for email in emails:
        try:
            results[invite(organizer, community, email, role, locale=locale)].append(email)
        except DomainError as error:
            results["refused"].append((email, str(error.message)))
    return results


def invitation_from_token(token: str) -> Invitation:
    data = tokens.load(INVITATION_PURPOSE, token,
                       max_age=current_app.config["INVITATION_MAX_AGE"],
                       expired=_l("This invitation has expired. Ask the organizers for a new one."),
                       invalid=_l("This invitation link is not valid."))
    invitation = db.session.get(Invitation, data.get("i"))
    # The link names the invitation's issue time: renewing an invitation retires its old links.
    if invitation is None or invitation.email != data.get("e") or data.get("t") != invitation.created_at.isoformat():
        raise DomainError(_l("This invitation link is not valid."))
    return invitation


@atomic
def accept_invitation(user: User, token: str) -> Membership:
    invitation = invitation_from_token(token)
    if invitation.accepted_at is not None:
        raise DomainError(_l("This invitation was already used. Ask the organizers for a new one."))
    if user.email != invitation.email:
        raise DomainError(_l("This invitation was sent to another address. Sign in with that address to accept it."))
    m, _ = add_member(user, invitation.community, role=invitation.role)
    if invitation.accepted_at is None:
        invitation.accepted_at, invitation.accepted_by_id = utcnow(), user.id
    if not user.is_confirmed:  # the link proved they own the address
        user.email_confirmed_at = utcnow()
    return m
