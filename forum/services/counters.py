"""Counters and the search index: what follows a post becoming visible or not, a thread moving or
going, a post marked useful, a member joining or leaving. Their only home: posting, moderation,
organizing, membership and accounts call these and never write a count themselves. No commit.
"""
from __future__ import annotations

from sqlalchemy import exists, func, select, update

from forum.database import greatest
from forum.extensions import db
from forum.models import Community, Forum, Post, Thread
from forum.services import search
from forum.services.atomic import side_effect


def count_in(post: Post, thread: Thread) -> None:
    """A post becomes visible (new, approved, restored): counters, activity, search (no commit)."""
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(
        post_count=Thread.post_count + 1, last_post_at=func.coalesce(
            greatest(Thread.last_post_at, post.created_at), post.created_at),
    ).execution_options(synchronize_session=False))
    db.session.execute(update(Forum).where(Forum.id == thread.forum_id).values(
        post_count=Forum.post_count + 1, last_post_at=func.coalesce(
            greatest(Forum.last_post_at, post.created_at), post.created_at),
    ).execution_options(synchronize_session=False))
    if post.author_id is not None and not _has_other_visible_post(thread.id, post.author_id, post.id):
        _bump_participants(thread, 1)
    with side_effect("index_post"):
        search.index_post(post, thread)


def count_out(post: Post, thread: Thread) -> None:
    """A visible post stops being seen (deleted, hidden): the reverse of count_in (no commit)."""
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(post_count=Thread.post_count - 1)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Forum).where(Forum.id == thread.forum_id).values(post_count=Forum.post_count - 1)
                       .execution_options(synchronize_session=False))
    if post.author_id and not _has_other_visible_post(thread.id, post.author_id, post.id):
        _bump_participants(thread, -1)
    _recompute_last_activity(thread)
    search.unindex_post(post)


def reindex(post: Post) -> None:
    """A post's text changed (its author, a moderator or an organizer edited it): the search
    index follows while the post is live; a held, hidden or deleted post stays out (no commit)."""
    if post.is_live:
        search.index_post(post, post.thread)


def reindex_thread(thread: Thread) -> None:
    """The thread moved to another forum (perhaps of another language): its live posts are
    indexed again, under the new forum and language (no commit)."""
    for post in db.session.execute(select(Post).where(Post.thread_id == thread.id, Post.is_live)).scalars():
        search.index_post(post, thread)


def unindex_thread(thread: Thread) -> None:
    """A thread removed before it had replies leaves the index (no commit)."""
    for post in db.session.execute(select(Post).where(Post.thread_id == thread.id)).scalars():
        search.unindex_post(post)


def _bump_participants(thread: Thread, delta: int) -> None:
    db.session.execute(
        update(Thread).where(Thread.id == thread.id)
        .values(participant_count=Thread.participant_count + delta)
        .execution_options(synchronize_session=False)
    )


def _has_other_visible_post(thread_id: int, author_id: int, post_id: int) -> bool:
    return db.session.execute(db.select(exists().where(
        Post.thread_id == thread_id, Post.author_id == author_id, Post.id != post_id,
        Post.is_live,
    ))).scalar()


def _recompute_last_activity(thread: Thread) -> None:
    """After a deletion, "last activity" is the newest visible post again."""
    last = db.session.execute(select(func.max(Post.created_at)).where(
        Post.thread_id == thread.id, Post.is_live)).scalar()
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(last_post_at=last)
                       .execution_options(synchronize_session=False))
    forum_last = db.session.execute(select(func.max(Thread.last_post_at)).where(
        Thread.forum_id == thread.forum_id)).scalar()
    db.session.execute(update(Forum).where(Forum.id == thread.forum_id).values(last_post_at=forum_last)
                       .execution_options(synchronize_session=False))


def thread_added(forum: Forum) -> None:
    """A thread opened; its first post counts through count_in."""
    _bump_forum(forum.id, threads=1)


def thread_moved(thread: Thread, source: Forum, target: Forum) -> None:
    """The thread and its visible posts count in `target` now, and its live posts are indexed
    there (under the target's language)."""
    _bump_forum(source.id, threads=-1, posts=-thread.post_count)
    _bump_forum(target.id, threads=1, posts=thread.post_count)
    thread.forum = target
    reindex_thread(thread)


def thread_removed(thread: Thread) -> None:
    """A thread about to be deleted (a guiding question before replies) stops counting and leaves
    the index."""
    unindex_thread(thread)
    _bump_forum(thread.forum_id, threads=-1, posts=-thread.post_count)


def _bump_forum(forum_id: int, *, threads: int = 0, posts: int = 0) -> None:
    db.session.execute(update(Forum).where(Forum.id == forum_id).values(
        thread_count=Forum.thread_count + threads, post_count=Forum.post_count + posts)
        .execution_options(synchronize_session=False))


def useful(post_ids, delta: int) -> None:
    """Marked useful (+1) or unmarked (-1): one post's id, or a select of ids (a person leaving)."""
    where = Post.id.in_(post_ids) if not isinstance(post_ids, int) else Post.id == post_ids
    db.session.execute(update(Post).where(where).values(useful_count=Post.useful_count + delta)
                       .execution_options(synchronize_session=False))


def members(community_ids, delta: int) -> None:
    """A member joined (+1) or left (-1) one community, or several (an account deleted)."""
    where = (Community.id == community_ids if isinstance(community_ids, int)
             else Community.id.in_(community_ids))
    db.session.execute(update(Community).where(where).values(member_count=Community.member_count + delta)
                       .execution_options(synchronize_session=False))
