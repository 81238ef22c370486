"""Threads and posts: writing, editing, deleting, marking useful.

Bodies are prepared (cleaned, checked, rendered once) by services/bodies.py; the counters and the
search index that follow each change are services/counters.py's.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select, update

from forum.extensions import db
from forum.markup import rendered_mentions, strip_invisible, visible_text
from forum.models import Forum, Post, PostUseful, Revision, Thread, User, utcnow
from forum.policy import can, reply_block_reason
from forum.services import DomainError, counters, moderation, notifications, reading, watching
from forum.services.atomic import atomic, get_or_create, saved_or_refused, side_effect
from forum.services.bodies import Body, prepare_body, render_post, set_body

MAX_TITLE = 300


def clean_title(title: str | None) -> str:
    title = " ".join(strip_invisible(title or "").split())
    if not visible_text(title):
        raise DomainError(_l("Give the thread a title."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_l("A title can be at most %(n)d characters.", n=MAX_TITLE), field="title")
    return title


def add_post(thread: Thread, author: User | None, body: str | Body, reply_to: Post | None = None,
             status: str = "published") -> Post:
    """Append a post (no commit). A published one counts at once; a pending one when approved.

    `body` comes from prepare_body (checked and rendered); plain text is rendered as it is."""
    if isinstance(body, str):
        body = Body(body, render_post(body))
    now = utcnow()
    # Update first: it takes the row's write lock (PostgreSQL) or the database's
    # (SQLite) before we read the number, so two repliers never get the same one.
    db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(next_post_number=Thread.next_post_number + 1)
        .execution_options(synchronize_session=False)
    )
    number = db.session.execute(
        db.select(Thread.next_post_number).where(Thread.id == thread.id)
    ).scalar_one() - 1
    post = Post(thread_id=thread.id, author_id=author.id if author else None, number=number,
                reply_to_id=reply_to.id if reply_to else None, created_at=now, status=status)
    set_body(post, body)
    db.session.add(post)
    db.session.flush()
    if status == "published":
        counters.count_in(post, thread)
    db.session.refresh(thread)
    return post


def create_thread(forum: Forum, author: User | None, *, title: str, body: str | Body,
                  kind: str = "discussion", position: int | None = None) -> Thread:
    """Open a thread with its first post (for a guiding question, the question's text). No commit."""
    title = clean_title(title)
    body = prepare_body(body) if isinstance(body, str) else body
    thread = Thread(forum_id=forum.id, author_id=author.id if author else None, title=title,
                    kind=kind, position=position, created_at=utcnow())
    db.session.add(thread)
    counters.thread_added(forum)
    db.session.flush()
    add_post(thread, author, body)
    return thread


@atomic
def start_thread(user: User, forum: Forum, *, title: str, body: str) -> Thread:
    """A member opens a new thread, where the forum allows it."""
    if not can(user, "forum.create_thread", forum):
        raise DomainError(_l("New threads cannot be opened in this forum."))
    if moderation.needs_approval(user, forum):
        raise DomainError(_l("While your posts are reviewed by the moderators, answer the existing threads."))
    prepared = prepare_body(body)
    check_links(user, forum, prepared)
    with saved_or_refused("start_thread"):
        thread = create_thread(forum, user, title=title, body=prepared)
        first = db.session.execute(db.select(Post).filter_by(thread_id=thread.id, number=1)).scalar_one()
        with side_effect("auto_watch"):
            watching.auto_watch(user, thread)
        with side_effect("notify_new_post"):
            notifications.notify_new_post(first)
    return thread


@atomic
def reply(user: User, thread: Thread, body: str, reply_to_id: int | None = None) -> Post:
    if not can(user, "thread.view", thread):
        raise DomainError(_l("This thread does not exist."))
    reason = reply_block_reason(user, thread)
    if reason is not None:
        raise DomainError(reason)
    body = prepare_body(body)
    reply_to = None
    if reply_to_id:
        reply_to = db.session.get(Post, reply_to_id)
        if reply_to is None or reply_to.thread_id != thread.id or not reply_to.is_live:
            raise DomainError(_l("The post you are replying to is no longer there. Your text is kept: "
                                 "post it as a reply to the thread."), field="reply_to")
    if _already_posted(thread, user, body.md):
        raise DomainError(_l("You already posted this text in this thread."), field="body")
    check_links(user, thread.forum, body)
    held = moderation.needs_approval(user, thread.forum)
    with saved_or_refused("reply"):
        post = add_post(thread, user, body, reply_to=reply_to, status="pending" if held else "published")
        # What follows a reply must never cost the member the reply: each runs in a savepoint.
        with side_effect("auto_watch"):
            watching.auto_watch(user, thread)
        with side_effect("mark_read"):
            reading.mark_read(user, thread, post.number)
        if not held:  # a held post tells its watchers when it is approved
            with side_effect("notify_new_post"):
                notifications.notify_new_post(post)
    return post


def check_links(user: User, forum: Forum, body: Body) -> None:
    """New members (few published posts) may include only a few links: a brake on spam."""
    limit = current_app.config["NEW_MEMBER_MAX_LINKS"]
    if body.rendered.links <= limit:
        return
    community_id = forum.community_id
    published = db.session.execute(
        select(func.count(Post.id)).join(Thread, Thread.id == Post.thread_id).join(Forum, Forum.id == Thread.forum_id)
        .where(Post.author_id == user.id, Forum.community_id == community_id, Post.status == "published")
    ).scalar_one()
    if published < 3:
        raise DomainError(_l("New members can include at most %(n)d links in a post. Remove some, or write "
                             "a few posts first.", n=limit), field="body")


def _already_posted(thread: Thread, user: User, body: str) -> bool:
    """An identical visible post by the same person in the same thread (double submits, spam)."""
    return db.session.execute(db.select(exists().where(
        Post.thread_id == thread.id, Post.author_id == user.id, Post.body_md == body,
        Post.deleted_at.is_(None), Post.hidden_at.is_(None),
    ))).scalar()


def edit_block_reason(user: User, post: Post):
    if post.is_deleted:
        return _l("A deleted post cannot be edited.")
    if not can(user, "post.edit", post):
        return _l("You can edit your own posts while the forum is open.")
    return None


@atomic
def edit_post(user: User, post: Post, body: str) -> Post:
    """Keep the earlier body as a revision, then re-render; the search index follows."""
    reason = edit_block_reason(user, post)
    if reason is not None:
        raise DomainError(reason)
    body = prepare_body(body)
    if body.md == post.body_md:
        return post
    with saved_or_refused("edit_post"):
        db.session.add(Revision(post_id=post.id, editor_id=user.id, body_md=post.body_md,
                                created_at=utcnow()))
        before = rendered_mentions(post.body_html)
        set_body(post, body)
        after = body.rendered.mentions
        post.edited_at = utcnow()
        with side_effect("reindex"):
            counters.reindex(post)
        if post.is_live:  # a held or rejected post stays out of search and tells no one
            with side_effect("notify_new_mentions"):
                notifications.notify_new_mentions(post, after - before)
    return post


@atomic
def delete_post(user: User, post: Post, reason: str | None = None) -> Post:
    """Soft delete: the post shows as deleted, its text is kept, counters move."""
    if post.is_deleted:
        return post
    if not can(user, "post.delete", post):
        raise DomainError(_l("You can delete your own posts while the forum is open."))
    if post.number == 1:
        raise DomainError(_l("The opening post of a thread cannot be deleted; ask a moderator."))
    now = utcnow()
    # Conditional: of two deletes at once, only the first moves the counters.
    claimed = db.session.execute(
        update(Post).where(Post.id == post.id, Post.deleted_at.is_(None))
        .values(deleted_at=now, deleted_by_id=user.id, delete_reason=(reason or "").strip()[:500] or None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return post
    db.session.expire(post)
    if post.hidden_at is None and post.status == "published":
        counters.count_out(post, post.thread)
    notifications.withdraw_for_post(post)
    return post


@atomic
def set_useful(user: User, post: Post, marked: bool) -> bool:
    """Mark (or unmark) a post as useful; returns whether it is now marked.

    Idempotent, not a toggle: the form says which it means, so a double click or a resubmitted
    form leaves the post as the member asked, never back where it was."""
    if not can(user, "post.mark_useful", post):
        raise DomainError(_l("You cannot mark this post as useful."))
    if marked:
        _, created = get_or_create(PostUseful, {"post_id": post.id, "user_id": user.id})
        if not created:  # already marked (or a second click raced the first): it counted once
            return True
        delta = 1
    else:
        if not db.session.execute(delete(PostUseful).where(PostUseful.post_id == post.id,
                                                           PostUseful.user_id == user.id)).rowcount:
            return False
        delta = -1
    counters.useful(post.id, delta)
    return marked


def page_of(post_number: int) -> int:
    return (post_number - 1) // current_app.config["POSTS_PER_PAGE"] + 1
