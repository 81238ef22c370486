"""Read state: how far each member has read each thread, by post number."""
from __future__ import annotations

from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import Forum, Post, Thread, ThreadRead, User, utcnow
from forum.services.atomic import atomic, get_or_create


def _is_member(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def last_read(user, thread: Thread) -> int | None:
    """The last post number this member read here; None if never opened."""
    if not _is_member(user):
        return None
    return db.session.execute(
        select(ThreadRead.last_read_number).filter_by(user_id=user.id, thread_id=thread.id)
    ).scalar_one_or_none()


@atomic
def mark_page_read(user: User, thread: Thread, first_number: int, last_number: int) -> None:
    """Reading a page of a thread: the thread is read up to its last post shown, and the
    notifications about the posts shown are read too."""
    from forum.services import notifications

    mark_read(user, thread, last_number)
    notifications.mark_read_in_thread(user, thread, first_number, last_number)


def mark_read(user: User, thread: Thread, up_to: int) -> None:
    """Move the marker forward only (reading page 1 again never un-reads page 3). No commit."""
    if not _is_member(user) or up_to <= 0:
        return
    forward = (
        update(ThreadRead).where(ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id)
        .values(last_read_number=func.max(ThreadRead.last_read_number, up_to)
                if db.engine.dialect.name == "sqlite"
                else func.greatest(ThreadRead.last_read_number, up_to),
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(forward).rowcount:
        return
    # First visit; two tabs at once: one inserts, the other moves the marker the insert made.
    _, created = get_or_create(ThreadRead, {"user_id": user.id, "thread_id": thread.id}, {"last_read_number": up_to})
    if not created:
        db.session.execute(forward)


def first_unread_number(user, thread: Thread) -> int | None:
    """The first visible post after the marker, or None when all is read."""
    marker = last_read(user, thread) or 0
    return db.session.execute(
        select(func.min(Post.number)).where(Post.thread_id == thread.id, Post.number > marker,
                                            Post.is_live)
    ).scalar_one_or_none()


def unread_counts(user, thread_ids: list[int]) -> dict[int, int]:
    """New visible posts per thread for this member, in one query.

    Threads never opened count all their posts as new.
    """
    if not _is_member(user) or not thread_ids:
        return {}
    marker = func.coalesce(ThreadRead.last_read_number, 0)
    rows = db.session.execute(
        select(Post.thread_id, func.count(Post.id))
        .outerjoin(ThreadRead, (ThreadRead.thread_id == Post.thread_id) & (ThreadRead.user_id == user.id))
        .where(Post.thread_id.in_(thread_ids), Post.is_live, Post.number > marker)
        .group_by(Post.thread_id)
    ).all()
    return dict(rows)


def has_visited(user, forum: Forum) -> bool:
    """Whether a member has read any thread of this forum: then the concept note starts folded,
    and the guiding questions come first."""
    if not _is_member(user):
        return False
    return db.session.execute(
        select(ThreadRead.thread_id).join(Thread, Thread.id == ThreadRead.thread_id)
        .where(ThreadRead.user_id == user.id, Thread.forum_id == forum.id).limit(1)).first() is not None


def counterparts(thread: Thread) -> list[Thread]:
    """The same guiding question in the pair's other forums (matched by position)."""
    if not thread.is_guiding_question or thread.forum.pair_id is None:
        return []
    return list(db.session.execute(
        select(Thread).join(Forum, Forum.id == Thread.forum_id)
        .where(Forum.pair_id == thread.forum.pair_id, Forum.id != thread.forum_id,
               Thread.kind == "guiding_question", Thread.position == thread.position,
               Thread.hidden_at.is_(None)).order_by(Forum.language)).scalars())
