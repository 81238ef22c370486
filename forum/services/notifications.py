"""Notifications: in the site (a bell and a list) and, per preference, by email.

A new post notifies, once each: the author of the post it answers, the
members it mentions, and the watchers of its thread and forum, but only
those who may read it. The unread counter on each user is kept here.
"""
from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum import tokens
from forum.extensions import db
from forum.mail import absolute_url, queue_email
from forum.markup import excerpt, rendered_mentions
from forum.models import Forum, Notification, OutboxMessage, Post, Thread, User, utcnow
from forum.policy import readers_among
from forum.services.atomic import atomic
from forum.services.watching import watchers

PER_PAGE = 30


def recipients_for(post: Post) -> dict[int, str]:
    """user id -> kind, the most specific kind winning (reply > mention > watched)."""
    thread = post.thread
    kinds: dict[int, str] = {}
    of_thread, of_forum = watchers(thread)
    watched_kind = "watched_thread" if post.number == 1 else "watched_post"
    for uid in of_forum | of_thread:
        kinds[uid] = watched_kind
    for uid in _users_by_handle(rendered_mentions(post.body_html)):
        kinds[uid] = "mention"
    if post.reply_to is not None and post.reply_to.author_id:
        kinds[post.reply_to.author_id] = "reply"
    kinds.pop(post.author_id, None)
    allowed = readers_among(kinds, thread.forum.community)
    return {uid: kind for uid, kind in kinds.items() if uid in allowed}


def _users_by_handle(handles) -> list[int]:
    if not handles:
        return []
    return list(db.session.execute(select(User.id).where(User.handle.in_(handles), User.deleted_at.is_(None))).scalars())


def notify_new_post(post: Post) -> list[Notification]:
    """Create the notifications of a new post and queue their emails (no commit)."""
    return _notify(post, recipients_for(post))


def notify_new_mentions(post: Post, handles: set[str]) -> list[Notification]:
    """An edit that adds @mentions tells the newly mentioned (no commit)."""
    ids = set(_users_by_handle(handles)) - {post.author_id}
    allowed = readers_among(ids, post.thread.forum.community)
    return _notify(post, {uid: "mention" for uid in ids if uid in allowed})


def withdraw_for_post(post: Post) -> None:
    """A deleted post no longer calls anyone: its notifications and unsent emails go (no commit)."""
    rows = list(db.session.execute(select(Notification).where(Notification.post_id == post.id)).scalars())
    unread = [n.user_id for n in rows if n.read_at is None]
    if unread:
        db.session.execute(update(User).where(User.id.in_(unread))
                           .values(unread_notification_count=User.unread_notification_count - 1)
                           .execution_options(synchronize_session=False))
    keys = [f"notification:{n.id}" for n in rows]
    if keys:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.dedupe_key.in_(keys),
                                                       OutboxMessage.status == "queued"))
    for n in rows:
        db.session.delete(n)


def _notify(post: Post, kinds: dict[int, str]) -> list[Notification]:
    if not kinds:
        return []
    already = set(db.session.execute(
        select(Notification.user_id).where(Notification.post_id == post.id)).scalars())
    created = [Notification(user_id=uid, kind=kind, post_id=post.id, actor_id=post.author_id,
                            created_at=utcnow())
               for uid, kind in kinds.items() if uid not in already]
    if not created:
        return []
    db.session.add_all(created)
    ids = [n.user_id for n in created]
    db.session.execute(update(User).where(User.id.in_(ids))
                       .values(unread_notification_count=User.unread_notification_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    _queue_emails(post, created)
    return created


def _queue_emails(post: Post, created: list[Notification]) -> None:
    users = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_([n.user_id for n in created]),
                           User.email_notifications == "immediately",
                           User.email_confirmed_at.is_not(None), User.deleted_at.is_(None))
    ).scalars()}
    thread = post.thread
    for n in created:
        user = users.get(n.user_id)
        if user is None or not user.email:
            continue
        queue_email(
            to=user, template="notification", dedupe_key=f"notification:{n.id}", unsubscribe="notifications",
            kind=n.kind, actor=post.author, post=post, thread=thread, forum=thread.forum,
            excerpt=excerpt(post.body_html, 400),
            post_url=absolute_url("posts.permalink", post_id=post.id),
            unwatch_url=absolute_url("notifications.unwatch_from_email",
                                     token=tokens.make("unwatch", {"u": user.id, "t": thread.id})),
        )  # the preferences link is queue_email's signed one: it opens without signing in


def unwatch_token_data(token: str) -> dict:
    from flask_babel import lazy_gettext as _l

    return tokens.load("unwatch", token, max_age=None,
                       expired=_l("This link is not valid."), invalid=_l("This link is not valid."))


def page_for(user: User, page: int) -> tuple[list[Notification], bool]:
    """One page of notifications, newest first, and whether there is a next page."""
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
             .options(joinedload(Notification.actor),
                      joinedload(Notification.post).joinedload(Post.thread)
                      .joinedload(Thread.forum).joinedload(Forum.community),
                      joinedload(Notification.forum).joinedload(Forum.community)))
    rows = list(db.session.execute(query).unique().scalars())
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def mark_read_in_thread(user: User, thread: Thread, first_number: int, last_number: int) -> int:
    """Seeing posts reads their notifications. No commit."""
    posts = select(Post.id).where(Post.thread_id == thread.id,
                                  Post.number.between(first_number, last_number))
    return mark_read(user, posts)


@atomic
def mark_read(user: User, post_ids=None) -> int:
    """Mark some (posts: ids or a subquery) or all notifications read; the counter follows. No commit."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if post_ids is not None:
        query = query.where(Notification.post_id.in_(post_ids))
    count = db.session.execute(query.values(read_at=utcnow())
                               .execution_options(synchronize_session=False)).rowcount
    if count:
        if post_ids is None:
            db.session.execute(update(User).where(User.id == user.id).values(unread_notification_count=0)
                               .execution_options(synchronize_session=False))
        else:
            db.session.execute(update(User).where(User.id == user.id).values(
                unread_notification_count=User.unread_notification_count - count)
                .execution_options(synchronize_session=False))
        # What the counter now is, without reading it again: the page shows it in its header.
        left = 0 if post_ids is None else max((user.unread_notification_count or 0) - count, 0)
        set_committed_value(user, "unread_notification_count", left)
    return count


__all__ = ["mark_read", "notify_new_post", "page_for", "recipients_for"]


def notify_forum_opened(pair) -> list[Notification]:
    """The community's watchers hear that its forum opened, in the forum of their language (no commit)."""
    from forum.models import Watch

    community = pair.community
    watchers = set(db.session.execute(select(Watch.user_id).where(
        Watch.community_id == community.id, Watch.level == "watching")).scalars())
    allowed = readers_among(watchers, community)
    if not allowed:
        return []
    users = list(db.session.execute(select(User).where(User.id.in_(allowed))).scalars())
    forums = {f.language: f for f in pair.forums}
    created = []
    for user in users:
        forum = forums.get(user.locale) or next(iter(forums.values()))
        exists_already = db.session.execute(select(Notification.id).filter_by(user_id=user.id, forum_id=forum.id)).first()
        if exists_already:
            continue
        n = Notification(user_id=user.id, kind="forum_opened", forum_id=forum.id, created_at=utcnow())
        db.session.add(n)
        created.append((n, user, forum))
    db.session.execute(update(User).where(User.id.in_([u.id for _, u, _ in created]))
                       .values(unread_notification_count=User.unread_notification_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    for n, user, forum in created:
        if user.email_notifications != "immediately" or not user.is_confirmed or not user.email:
            continue
        queue_email(to=user, template="forum_opened", dedupe_key=f"notification:{n.id}", forum=forum,
                    unsubscribe="notifications",
                    community=community, pair=pair,
                    forum_url=absolute_url("forums.show", community_slug=community.slug, forum_slug=forum.slug))
    return [n for n, _, _ in created]
