"""Threads and posts: the one place their counters are kept up to date."""
from __future__ import annotations

from flask import current_app
from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from forum.extensions import db
from forum.markup import render
from forum.models import Forum, Post, Thread, User, utcnow
from forum.policy import can, reply_block_reason
from forum.services import DomainError


def clean_body(body: str | None) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise DomainError(_l("Write something before posting."), field="body")
    limit = current_app.config["POST_MAX_LENGTH"]
    if len(body) > limit:
        raise DomainError(
            _l("A post can be at most %(limit)s characters; this one has %(n)s.",
               limit=format_number(limit), n=format_number(len(body))),
            field="body",
        )
    return body


def add_post(thread: Thread, author: User | None, body: str) -> Post:
    """Append a post and move the thread's and forum's counters with it."""
    now = utcnow()
    # Update first: it takes the row's write lock (PostgreSQL) or the database's
    # (SQLite) before we read the number, so two repliers never get the same one.
    db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(
            next_post_number=Thread.next_post_number + 1,
            post_count=Thread.post_count + 1,
            last_post_at=now,
        ).execution_options(synchronize_session=False)
    )
    number = db.session.execute(
        db.select(Thread.next_post_number).where(Thread.id == thread.id)
    ).scalar_one() - 1
    db.session.execute(
        update(Forum).where(Forum.id == thread.forum_id).values(
            post_count=Forum.post_count + 1, last_post_at=now,
        ).execution_options(synchronize_session=False)
    )
    post = Post(thread_id=thread.id, author_id=author.id if author else None, number=number,
                body_md=body, body_html=render(body), created_at=now)
    db.session.add(post)
    db.session.flush()
    db.session.refresh(thread)
    return post


def create_thread(forum: Forum, author: User | None, *, title: str, body: str,
                  kind: str = "discussion", position: int | None = None) -> Thread:
    """Open a thread with its first post (for a guiding question, the question's text)."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Give the thread a title."), field="title")
    if len(title) > 300:
        raise DomainError(_l("A title can be at most 300 characters."), field="title")
    body = clean_body(body)
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


def reply(user: User, thread: Thread, body: str) -> Post:
    if not can(user, "thread.view", thread):
        raise DomainError(_l("This thread does not exist."))
    reason = reply_block_reason(user, thread)
    if reason is not None:
        raise DomainError(reason)
    body = clean_body(body)
    post = add_post(thread, user, body)
    db.session.commit()
    return post


def page_of(post_number: int) -> int:
    return (post_number - 1) // current_app.config["POSTS_PER_PAGE"] + 1
