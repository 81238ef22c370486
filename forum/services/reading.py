"""Read state: how far each member has read each thread, by post number."""
from __future__ import annotations

from sqlalchemy import and_, func, literal, select, true

from forum.database import dialect, greatest, upsert
from forum.extensions import db
from forum.models import Forum, Post, Thread, ThreadRead, User, utcnow

# New posts are counted up to these caps (shown as "99+ new", "999+ new"): reading every unread
# post of a thread of 100,000 posts on each page view is what mature forums avoid.
THREAD_UNREAD_CAP = 100
FORUM_UNREAD_CAP = 1000


def unread_cap(per: str) -> int:
    """The cap a count of new posts per "thread" or per "forum" stops at (read when the page is
    drawn, so a count that reached it is shown as more than the cap less one)."""
    return THREAD_UNREAD_CAP if per == "thread" else FORUM_UNREAD_CAP


def _is_member(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def last_read(user, thread: Thread) -> int | None:
    """The last post number this member read here; None if never opened."""
    if not _is_member(user):
        return None
    return db.session.execute(
        select(ThreadRead.last_read_number).filter_by(user_id=user.id, thread_id=thread.id)
    ).scalar_one_or_none()


def mark_read(user: User, thread: Thread, up_to: int, known: int | None = -1) -> None:
    """Move the marker forward only (reading page 1 again never un-reads page 3). No commit.

    `known` is the marker the page already read (None: never opened): nothing is written when
    the marker would not move, and the first visit is one upsert that two tabs at once agree on."""
    if not _is_member(user) or up_to <= 0 or (known is not None and known >= up_to):
        return
    insert = upsert(ThreadRead).values(
        user_id=user.id, thread_id=thread.id, last_read_number=up_to, updated_at=utcnow())
    db.session.execute(insert.on_conflict_do_update(
        index_elements=[ThreadRead.user_id, ThreadRead.thread_id],
        set_={"last_read_number": greatest(ThreadRead.last_read_number, insert.excluded.last_read_number),
              "updated_at": insert.excluded.updated_at}).execution_options(synchronize_session=False))


def keep_marks() -> None:
    """Commit the reading marks a page moved, once it is rendered (a thread page writes them
    while it reads, then renders); nothing the page loaded is expired, so nothing is read twice."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def last_read_clause(user, thread_id: int):
    """The member's marker in a thread, as a column to read with the thread in one query."""
    return select(ThreadRead.last_read_number).where(
        ThreadRead.user_id == user.id, ThreadRead.thread_id == thread_id).scalar_subquery()


def first_unread_number(user, thread: Thread) -> int | None:
    """The first visible post after the marker, or None when all is read."""
    marker = last_read(user, thread) or 0
    return db.session.execute(
        select(func.min(Post.number)).where(Post.thread_id == thread.id, Post.number > marker,
                                            Post.is_live)
    ).scalar_one_or_none()


def unread_counts(user, thread_ids: list[int]) -> dict[int, int]:
    """New visible posts per thread for this member, in one query, counted up to
    THREAD_UNREAD_CAP: a thread never opened is never a scan of all its posts.

    Threads never opened count all their posts as new; threads with nothing new are left out.
    """
    if not _is_member(user) or not thread_ids:
        return {}
    marker = func.coalesce(ThreadRead.last_read_number, 0)
    new = (select(literal(1)).where(Post.thread_id == Thread.id, Post.number > marker, Post.is_live)
           .order_by(Post.number).limit(THREAD_UNREAD_CAP).correlate(Thread, ThreadRead).subquery())
    rows = db.session.execute(
        select(Thread.id, select(func.count()).select_from(new).scalar_subquery())
        .outerjoin(ThreadRead, (ThreadRead.thread_id == Thread.id) & (ThreadRead.user_id == user.id))
        .where(Thread.id.in_(thread_ids))
    ).all()
    return {thread_id: count for thread_id, count in rows if count}


def unread_in_forum_clause(user, forum_id):
    """New visible posts for this member in a forum's visible threads, as a column of a forum
    query, counted up to FORUM_UNREAD_CAP: the reading stops there.

    On PostgreSQL each thread's new posts are a LATERAL read of the posts index by (thread,
    number), so the planner cannot choose to scan the whole posts table to find the first
    thousand; SQLite, which has no LATERAL, joins thread by thread through that index anyway."""
    marker = func.coalesce(ThreadRead.last_read_number, 0)
    threads = (select(literal(1)).select_from(Thread)
               .outerjoin(ThreadRead, (ThreadRead.thread_id == Thread.id) & (ThreadRead.user_id == user.id))
               .where(Thread.forum_id == forum_id, Thread.hidden_at.is_(None)))
    new_here = (Post.thread_id == Thread.id, Post.number > marker, Post.is_live)
    if dialect() == "sqlite":
        new = threads.join(Post, and_(*new_here))
    else:
        posts = select(Post.id).where(*new_here).order_by(Post.number).limit(FORUM_UNREAD_CAP).lateral()
        new = threads.join(posts, true())
    new = new.limit(FORUM_UNREAD_CAP).correlate(Forum).subquery()
    return select(func.count()).select_from(new).correlate(Forum).scalar_subquery()


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
