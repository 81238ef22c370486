"""A signed-in member's home page: my forums with what is new to me, the latest replies in my
communities, replies and mentions of me, the webinars I registered for, and the rounds waiting
for my answer. Each part is one or two queries, bounded in size."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from forum.extensions import db
from forum.models import (
    Community,
    Forum,
    ForumPair,
    Membership,
    Notification,
    Post,
    Registration,
    Round,
    Thread,
    User,
    Webinar,
    utcnow,
)
from forum.policy import can, published_pairs_clause, readable_communities_clause
from forum.services import reading

LATEST = 8


@dataclass
class MyForum:
    forum: Forum
    new: int                              # posts new to me in its threads


@dataclass
class MemberHome:
    forums: list[MyForum] = field(default_factory=list)
    latest: list[Post] = field(default_factory=list)
    about_me: list[Notification] = field(default_factory=list)
    webinars: list[Webinar] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)


def _my_communities(user: User):
    return select(Membership.community_id).where(Membership.user_id == user.id, Membership.state == "active")


def home(user: User) -> MemberHome:
    now = utcnow()
    mine = _my_communities(user)
    new_posts = reading.unread_in_forum_clause(user, Forum.id)
    rows = db.session.execute(
        select(Forum, new_posts).join(ForumPair, Forum.pair_id == ForumPair.id)
        .join(Community, Forum.community_id == Community.id)
        .where(Forum.community_id.in_(mine), published_pairs_clause(user), ForumPair.opens_at <= now,
               ForumPair.closes_at > now)
        .order_by(ForumPair.closes_at, Forum.id).limit(20)
        .options(contains_eager(Forum.pair), contains_eager(Forum.community))).all()
    latest = db.session.execute(
        select(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .join(ForumPair, ForumPair.id == Forum.pair_id).join(Community, Community.id == Forum.community_id)
        .where(Forum.community_id.in_(mine), readable_communities_clause(user), published_pairs_clause(user),
               Post.is_live, Post.number > 1, Thread.hidden_at.is_(None), Post.author_id != user.id)
        .order_by(Post.created_at.desc(), Post.id.desc()).limit(LATEST)
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.forum))).scalars().all()
    about_me = db.session.execute(
        select(Notification).where(Notification.user_id == user.id, Notification.kind.in_(("reply", "mention")))
        .order_by(Notification.created_at.desc()).limit(LATEST)
        .options(joinedload(Notification.post).joinedload(Post.thread).joinedload(Thread.forum),
                 joinedload(Notification.actor))).scalars().all()
    webinars = db.session.execute(
        select(Webinar).join(Registration, Registration.webinar_id == Webinar.id)
        .where(Registration.user_id == user.id, Registration.status.in_(("registered", "waitlisted")),
               Webinar.starts_at >= now, Webinar.status == "scheduled")
        .order_by(Webinar.starts_at).limit(LATEST).options(joinedload(Webinar.community))).scalars().all()
    return MemberHome(forums=[MyForum(f, new or 0) for f, new in rows], latest=list(latest),
                      about_me=[n for n in about_me if n.post is not None and n.post.is_live],
                      webinars=list(webinars), rounds=_rounds_waiting(user, mine, now))


def _rounds_waiting(user: User, mine, now) -> list[Round]:
    """Open questionnaires and votes in my communities that I have not answered yet."""
    from forum.services import ballots

    rounds = db.session.execute(
        select(Round).where(Round.community_id.in_(mine), Round.kind != "open", Round.opens_at <= now,
                            Round.closes_at > now).order_by(Round.closes_at).limit(LATEST)).scalars().all()
    return [r for r in rounds if can(user, "round.answer", r) and not ballots.has_answered(user, r)]
