"""Every permission rule, and nowhere else: `can(user, action, obj)` to ask,
`ensure(user, action, obj)` to refuse with a translated message.

Views, services, listings and templates all ask here. Roles are per
community (member < moderator < organizer), one rule name per role
("community.moderate", "community.organize"); site admins are above all.
Automatic actions are done by `SYSTEM`, never by a missing user.
"""
from __future__ import annotations

from flask import g, has_request_context
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from forum.errors import DomainError
from forum.extensions import db
from forum.models import Community, Forum, Membership, Post, Thread, User, utcnow

ROLE_RANK = {"member": 1, "moderator": 2, "organizer": 3}


class NotAllowed(DomainError):
    """A permission rule refused; views answer 403 with the message."""


class SystemActor:
    """The platform itself, acting on its own (a post hidden by flags): recorded without a person,
    allowed nothing a rule grants to people."""

    id = None
    is_authenticated = False
    is_active = False
    is_admin = False
    is_confirmed = False
    display_name = "system"

    def __bool__(self) -> bool:
        return True


SYSTEM = SystemActor()


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def membership(user, community: Community) -> Membership | None:
    """The user's membership in a community, memoised for the request."""
    if not _is_user(user):
        return None
    if not has_request_context():
        return db.session.execute(
            db.select(Membership).filter_by(user_id=user.id, community_id=community.id)
        ).scalar_one_or_none()
    cache = g.setdefault("_memberships", {})
    if user.id not in cache:  # all of them at once: a page asks about several communities
        cache[user.id] = {m.community_id: m for m in db.session.execute(
            db.select(Membership).filter_by(user_id=user.id)).scalars()}
    return cache[user.id].get(community.id)


def suspended_in(user, community: Community):
    """The membership if its holder is suspended from this community, else None."""
    m = membership(user, community)
    return m if m is not None and m.is_active and m.is_suspended else None


def can_act(user, community: Community) -> bool:
    """A member who may take part: not suspended here."""
    return has_role(user, community, "member") and suspended_in(user, community) is None


def role_in(user, community: Community) -> str | None:
    """member / moderator / organizer for an active member, else None."""
    m = membership(user, community)
    return m.role if m and m.is_active else None


def has_role(user, community: Community, role: str) -> bool:
    if _is_user(user) and user.is_admin:
        return True
    current = role_in(user, community)
    return current is not None and ROLE_RANK[current] >= ROLE_RANK[role]


def _community_of(obj) -> Community:
    if isinstance(obj, Community):
        return obj
    if isinstance(obj, Thread):
        return obj.forum.community
    if isinstance(obj, Post):
        return obj.thread.forum.community
    community = getattr(obj, "community", None)  # forums, pairs, webinars, rounds, resources, memberships
    if isinstance(community, Community):
        return community
    raise TypeError(f"no community for {obj!r}")


def can(user, action: str, obj=None) -> bool:
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}")
    return rule(user, obj)


def ensure(user, action: str, obj=None) -> None:
    """Raise NotAllowed, with the rule's message, when `can` says no."""
    if not can(user, action, obj):
        raise NotAllowed(REFUSALS.get(action, _l("You are not allowed to do this.")))


def _view_community(user, community: Community) -> bool:
    """See that it exists: its name, description and how to join."""
    if community.visibility in ("public", "members"):
        return True
    return has_role(user, community, "member")


def _read_community(user, community: Community) -> bool:
    """Read its content: forums, threads, posts, resources."""
    if community.visibility == "public":
        return True
    return has_role(user, community, "member")


def _join_community(user, community: Community) -> bool:
    if not _is_user(user) or not _view_community(user, community):
        return False
    if membership(user, community) is not None:
        return False
    return community.join_policy == "open" or user.is_admin


def _request_join(user, community: Community) -> bool:
    if not _is_user(user) or not _view_community(user, community) or community.join_policy != "approval":
        return False
    if user.is_admin:  # admins join directly
        return False
    m = membership(user, community)
    return m is None or m.state == "declined"


def _view_directory(user, community: Community) -> bool:
    return _is_user(user) and has_role(user, community, "member")


def _add_resource(user, community: Community) -> bool:
    return _is_user(user) and user.is_confirmed and can_act(user, community)


def _delete_resource(user, resource) -> bool:
    if not _is_user(user):
        return False
    return resource.added_by_id == user.id or has_role(user, resource.community, "moderator")


def _admin(user, _obj=None) -> bool:
    return _is_user(user) and user.is_admin


def _view_forum(user, forum: Forum) -> bool:
    if forum.pair.is_draft:  # a draft is for its organizers until published
        return _is_user(user) and has_role(user, forum.community, "organizer")
    return _read_community(user, forum.community)


def _view_thread(user, thread: Thread) -> bool:
    if thread.is_hidden and not (_is_user(user) and has_role(user, thread.forum.community, "moderator")):
        return False
    return _view_forum(user, thread.forum)


def reply_block_reason(user, thread: Thread):
    """Why this user may not reply here (a translatable message), or None if they may."""
    forum = thread.forum
    community = forum.community
    if not _is_user(user):
        return _l("Sign in to reply.")
    if not user.is_confirmed:
        return _l("Confirm your email address to take part.")
    if not has_role(user, community, "member"):
        return _l("Join the community to take part in this forum.")
    suspended = suspended_in(user, community)
    if suspended is not None:
        return _l("You are suspended from this community until %(date)s.",
                  date=format_date(suspended.suspended_until, "long"))
    moderator = has_role(user, community, "moderator")
    state = forum.state(utcnow())
    if state == "draft":
        return _l("This forum is a draft: it cannot be answered until it is published.")
    if state == "scheduled" and not moderator:
        return _l("This forum has not opened yet.")
    if state == "closed" and not moderator:
        return _l("This forum is closed; it can be read but not answered.")
    if thread.is_locked and not moderator:
        return _l("This thread is locked.")
    return None


def _reply(user, thread: Thread) -> bool:
    return _view_thread(user, thread) and reply_block_reason(user, thread) is None


def _create_thread(user, forum: Forum) -> bool:
    if not _view_forum(user, forum) or not _is_user(user) or not user.is_confirmed:
        return False
    community = forum.community
    if has_role(user, community, "moderator"):
        return True
    return (can_act(user, community) and forum.pair.allow_member_threads
            and forum.state(utcnow()) == "open")


def _own_post_while_open(user, post: Post) -> bool:
    if not _is_user(user) or post.author_id != user.id or post.is_deleted or post.is_hidden:
        return False
    thread = post.thread
    return (can_act(user, thread.forum.community)
            and thread.forum.state(utcnow()) == "open" and not thread.is_locked)


def _mark_useful(user, post: Post) -> bool:
    if not _is_user(user) or not user.is_confirmed or post.is_deleted or post.author_id == user.id:
        return False
    return _view_thread(user, post.thread) and can_act(user, post.thread.forum.community)


def _flag(user, post: Post) -> bool:
    if not _is_user(user) or not user.is_confirmed or not post.is_live or post.author_id == user.id:
        return False
    if post.number == 1 and post.thread.is_guiding_question:  # the organizers' question itself
        return False
    return _view_thread(user, post.thread) and can_act(user, post.thread.forum.community)


def _view_revisions(user, post: Post) -> bool:
    if not _is_user(user):
        return False
    return post.author_id == user.id or has_role(user, post.thread.forum.community, "moderator")


def _moderate(user, obj) -> bool:
    community = _community_of(obj)
    return _is_user(user) and has_role(user, community, "moderator") and suspended_in(user, community) is None


def _organize(user, obj) -> bool:
    return _is_user(user) and has_role(user, _community_of(obj), "organizer")


def _compose_newsletter(user, community: Community | None) -> bool:
    """A network edition is the site admins'; a community's, its organizers'."""
    return _admin(user) if community is None else _organize(user, community)


def _skip_approval(user, forum: Forum) -> bool:
    """Moderators' posts never wait in the pre-moderation queue."""
    return _is_user(user) and has_role(user, forum.community, "moderator")


def _suspend(user, target: Membership) -> bool:
    """Moderators suspend members; only organizers suspend a moderator; nobody themselves."""
    community = target.community
    if not _moderate(user, community) or target.user_id == user.id:
        return False
    return ROLE_RANK.get(target.role, 0) < ROLE_RANK["moderator"] or has_role(user, community, "organizer")


def _answer_round(user, round_) -> bool:
    """Members only (a site admin who is not one does not count in the quorum, so cannot vote);
    a poll also needs its thread to accept replies (open forum, not locked)."""
    if round_.kind == "open" or round_.state(utcnow()) != "open":
        return False
    if not (_is_user(user) and user.is_confirmed):
        return False
    if role_in(user, round_.community) is None or suspended_in(user, round_.community) is not None:
        return False
    if round_.thread_id is not None:
        return _reply(user, db.session.get(Thread, round_.thread_id))
    return True


RULES = {
    "community.view": _view_community,
    "community.read": _read_community,
    "community.join": _join_community,
    "community.request_join": _request_join,
    "community.view_directory": _view_directory,
    "resource.add": _add_resource,
    "resource.delete": _delete_resource,
    "site.admin": _admin,
    "community.create": _admin,
    "forum.view": _view_forum,
    "thread.view": _view_thread,
    "thread.reply": _reply,
    "forum.create_thread": _create_thread,
    "post.edit": _own_post_while_open,
    "post.delete": _own_post_while_open,
    "post.mark_useful": _mark_useful,
    "post.flag": _flag,
    "post.view_revisions": _view_revisions,
    "community.moderate": _moderate,
    "community.organize": _organize,
    "pair.export": lambda user, pair: _is_user(user) and has_role(user, pair.community, "moderator"),
    "webinar.view": lambda user, webinar: _read_community(user, webinar.community),
    "webinar.register": lambda user, webinar: _is_user(user) and _read_community(user, webinar.community),
    "newsletter.compose": _compose_newsletter,
    "post.skip_approval": _skip_approval,
    "member.suspend": _suspend,
    "round.answer": _answer_round,
}

REFUSALS = {
    "community.moderate": _l("Only the community's moderators can do this."),
    "community.organize": _l("Only the community's organizers can do this."),
    "newsletter.compose": _l("Only the community's organizers can do this."),
    "site.admin": _l("Only site administrators can do this."),
    "round.answer": _l("Only members of the community can answer."),
}


def listed_communities_clause(user):
    """A WHERE clause for listings: the communities this user may see listed."""
    listed = Community.visibility.in_(("public", "members"))
    return _or_mine(user, listed)


def published_pairs_clause(user):
    """A WHERE clause on ForumPair: published ones, and drafts of communities the user organizes."""
    from forum.models import ForumPair

    published = ForumPair.status == "published"
    if not _is_user(user):
        return published
    if user.is_admin:
        return ForumPair.id.is_not(None)
    organized = select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.state == "active", Membership.role == "organizer")
    return or_(published, ForumPair.community_id.in_(organized))


def readable_communities_clause(user):
    """A WHERE clause for content listings (forums, threads, search): what this user may read."""
    return _or_mine(user, Community.visibility == "public")


def audience_clause(community: Community | None):
    """A WHERE clause on Community for what may go to a whole audience at once: a newsletter's
    suggested sections, its emails and its archive. A network edition reaches everyone and its
    archive is public, so it gets what a signed-out visitor may read; a community's edition
    reaches its members and its archive is for its readers, so it gets that community alone."""
    if community is None:
        return readable_communities_clause(None)
    return Community.id == community.id


def readers_among(user_ids, community: Community) -> set[int]:
    """Which of these users may read this community's content (one query)."""
    ids = set(user_ids)
    if not ids:
        return set()
    active = User.deleted_at.is_(None)
    if community.visibility == "public":
        return set(db.session.execute(
            select(User.id).where(User.id.in_(ids), active)).scalars())
    members = select(Membership.user_id).where(
        Membership.community_id == community.id, Membership.state == "active")
    return set(db.session.execute(
        select(User.id).where(User.id.in_(ids), active, or_(User.is_admin, User.id.in_(members)))
    ).scalars())


def _or_mine(user, listed):
    if _is_user(user) and user.is_admin:
        return Community.id.is_not(None)
    if _is_user(user):
        mine = select(Membership.community_id).where(
            Membership.user_id == user.id, Membership.state == "active"
        )
        return or_(listed, Community.id.in_(mine))
    return listed


__all__ = ["audience_clause", "can", "has_role", "listed_communities_clause", "membership", "published_pairs_clause",
           "readable_communities_clause", "reply_block_reason", "role_in", "User"]
