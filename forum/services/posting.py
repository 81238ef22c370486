"""Threads and posts: writing, editing, deleting, and the counters that go with them.

The thread's and forum's counters (posts, participants, last activity) and
the search index are kept here, and only here.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select, update

from forum.extensions import db
from forum.markup import (
    Rendered,
    clean_source,
    parse,
    rendered_mentions,
    strip_invisible,
    visible_text,
)
from forum.models import Forum, Post, PostUseful, Revision, Thread, User, utcnow
from forum.policy import can, reply_block_reason
from forum.services import DomainError, search
from forum.services.atomic import atomic, get_or_create, saved_or_refused, side_effect

MAX_TITLE = 300


@dataclass(frozen=True)
class Body:
    """A post's Markdown as it is stored, rendered once: what a save needs from the renderer."""

    md: str
    rendered: Rendered


def prepare_body(body: str | None) -> Body:
    """Clean, check and render a post's text, once (the length first: nothing long is parsed)."""
    body = clean_source(body).strip()
    limit = current_app.config["POST_MAX_LENGTH"]
    if len(body) > limit:
        raise DomainError(
            _l("A post can be at most %(limit)s characters; this one has %(n)s.",
               limit=format_number(limit), n=format_number(len(body))),
            field="body",
        )
    rendered = render_post(body) if body else None
    if rendered is None or not rendered.has_visible_text:
        raise DomainError(_l("Write something before posting."), field="body")
    return Body(body, rendered)


def set_body(post: Post, body: Body) -> None:
    """Store a prepared body and the version of the renderer that made its HTML (no commit)."""
    post.body_md, post.body_html, post.render_version = body.md, body.rendered.html, body.rendered.version


def clean_title(title: str | None) -> str:
    title = " ".join(strip_invisible(title or "").split())
    if not visible_text(title):
        raise DomainError(_l("Give the thread a title."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_l("A title can be at most %(n)d characters.", n=MAX_TITLE), field="title")
    return title


def _profile_url(handle: str) -> str:
    try:
        return url_for("profiles.show", handle=handle)
    except RuntimeError:  # outside a request (seeding, imports, the rerender command)
        return f"/u/{handle}"


def render_post(body: str) -> Rendered:
    """One parse: the sanitised HTML, with links for the @handles that exist (one query) and
    the handles it really mentions (not in code, links or quotes of others)."""
    document = parse(body)
    candidates = document.mention_candidates
    handles = set(db.session.execute(
        db.select(User.handle).where(User.handle.in_(candidates), User.deleted_at.is_(None))
    ).scalars()) if candidates else set()
    return document.render(handles, _profile_url)


def _has_other_visible_post(thread_id: int, author_id: int, post_id: int) -> bool:
    return db.session.execute(db.select(exists().where(
        Post.thread_id == thread_id, Post.author_id == author_id, Post.id != post_id,
        Post.is_live,
    ))).scalar()


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
        count_in(post, thread)
    db.session.refresh(thread)
    return post


def count_in(post: Post, thread: Thread) -> None:
    """A post becomes visible (new, approved, restored): counters, activity, search (no commit)."""
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(
        post_count=Thread.post_count + 1, last_post_at=func.coalesce(
            func.max(Thread.last_post_at, post.created_at) if db.engine.dialect.name == "sqlite"
            else func.greatest(Thread.last_post_at, post.created_at), post.created_at),
    ).execution_options(synchronize_session=False))
    db.session.execute(update(Forum).where(Forum.id == thread.forum_id).values(
        post_count=Forum.post_count + 1, last_post_at=func.coalesce(
            func.max(Forum.last_post_at, post.created_at) if db.engine.dialect.name == "sqlite"
            else func.greatest(Forum.last_post_at, post.created_at), post.created_at),
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


def create_thread(forum: Forum, author: User | None, *, title: str, body: str | Body,
                  kind: str = "discussion", position: int | None = None) -> Thread:
    """Open a thread with its first post (for a guiding question, the question's text). No commit."""
    title = clean_title(title)
    body = prepare_body(body) if isinstance(body, str) else body
    thread = Thread(forum_id=forum.id, author_id=author.id if author else None, title=title,
                    kind=kind, position=position, created_at=utcnow())
    db.session.add(thread)
    db.session.execute(
        update(Forum).where(Forum.id == forum.id).values(thread_count=Forum.thread_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    add_post(thread, author, body)
    return thread


@atomic
def start_thread(user: User, forum: Forum, *, title: str, body: str) -> Thread:
    """A member opens a new thread, where the forum allows it."""
    from forum.services import moderation, notifications, watching

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
    from forum.services import moderation, notifications, reading, watching

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
    from forum.services import notifications

    with saved_or_refused("edit_post"):
        db.session.add(Revision(post_id=post.id, editor_id=user.id, body_md=post.body_md,
                                created_at=utcnow()))
        before = rendered_mentions(post.body_html)
        set_body(post, body)
        after = body.rendered.mentions
        post.edited_at = utcnow()
        with side_effect("reindex"):
            reindex(post)
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
    from forum.services import notifications

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
        count_out(post, post.thread)
    notifications.withdraw_for_post(post)
    return post


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
    db.session.execute(update(Post).where(Post.id == post.id)
                       .values(useful_count=Post.useful_count + delta)
                       .execution_options(synchronize_session=False))
    return marked


def page_of(post_number: int) -> int:
    return (post_number - 1) // current_app.config["POSTS_PER_PAGE"] + 1
