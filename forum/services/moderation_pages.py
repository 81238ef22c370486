"""What the moderation pages read: the queue (pending and flagged posts with their open flags),
a person's entries in the log, and the log itself, always within one community."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import Community, Flag, Forum, ModerationLog, Post, Thread, User

QUEUE_LIMIT = 100
PERSON_ENTRIES = 20


@dataclass
class QueuePage:
    pending: list[Post]
    flagged: list[Post]
    flags: dict[int, list[Flag]] = field(default_factory=dict)


def _posts_in(community: Community, *conditions, order):
    return db.session.execute(
        select(Post).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(Forum.community_id == community.id, *conditions).order_by(*order)
        .limit(QUEUE_LIMIT).options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.forum))
    ).scalars().all()


def queue_page(community: Community) -> QueuePage:
    """The oldest pending posts, the most flagged ones, and who flagged them (three statements)."""
    pending = _posts_in(community, Post.status == "pending", Post.deleted_at.is_(None), order=(Post.created_at,))
    flagged = _posts_in(community, Post.open_flag_count > 0, order=(Post.open_flag_count.desc(), Post.created_at))
    page = QueuePage(pending, flagged)
    if flagged:
        for item in db.session.execute(select(Flag).where(Flag.post_id.in_([p.id for p in flagged]),
                                                          Flag.resolved_at.is_(None))
                                       .options(joinedload(Flag.user))).scalars():
            page.flags.setdefault(item.post_id, []).append(item)
    return page


def person_entries(community: Community, person: User) -> list[ModerationLog]:
    """The latest actions this community's moderators took about the person."""
    return db.session.execute(select(ModerationLog).where(
        ModerationLog.community_id == community.id, ModerationLog.target_type == "user",
        ModerationLog.target_id == person.id).order_by(ModerationLog.created_at.desc())
        .limit(PERSON_ENTRIES)).scalars().all()


@dataclass
class LogPage:
    rows: list[ModerationLog]
    has_next: bool
    actions: list[str]


def log_page(community: Community, action: str | None, actor_handle: str | None, page: int,
             per_page: int) -> LogPage:
    """One page of the log, newest first, by action and by actor's handle; and the actions logged."""
    conditions = [ModerationLog.community_id == community.id]
    if action:
        conditions.append(ModerationLog.action == action[:40])
    if actor_handle:
        conditions.append(ModerationLog.actor_id == select(User.id).where(
            User.handle == actor_handle.lstrip("@").lower()[:40]).scalar_subquery())
    rows = db.session.execute(
        select(ModerationLog).where(*conditions).order_by(ModerationLog.created_at.desc(), ModerationLog.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page).options(joinedload(ModerationLog.actor))
    ).scalars().all()
    actions = db.session.execute(select(ModerationLog.action).where(ModerationLog.community_id == community.id)
                                 .distinct().order_by(ModerationLog.action)).scalars().all()
    return LogPage(rows[:per_page], len(rows) > per_page, actions)
