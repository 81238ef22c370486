"""Watching threads and forums: who is told about new posts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from forum.extensions import db
from forum.models import Forum, Thread, User, Watch
from forum.policy import can
from forum.services import DomainError
from forum.services.atomic import atomic, get_or_create


def _column(target):
    if isinstance(target, Thread):
        return Watch.thread_id, "thread_id", "thread.view"
    if isinstance(target, Forum):
        return Watch.forum_id, "forum_id", "forum.view"
    return Watch.community_id, "community_id", "community.read"


def _watch_row(user: User, target) -> Watch | None:
    column = _column(target)[0]
    return db.session.execute(select(Watch).where(Watch.user_id == user.id, column == target.id)).scalar_one_or_none()


def watching_clause(user, target):
    """Whether this person watches the target, as a column to read with other things in one query."""
    column = _column(target)[0]
    return select(Watch.id).where(Watch.user_id == user.id, column == target.id, Watch.level == "watching").exists()


def is_watching(user, target) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    row = _watch_row(user, target)
    return row is not None and row.level == "watching"


@atomic
def set_watch(user: User, target, watching: bool) -> None:
    """Watch (or stop watching) a thread, a forum, or a community (told when its forums open)."""
    _, attribute, action = _column(target)
    if not can(user, action, target):
        raise DomainError(_l("You cannot watch this."))
    level = "watching" if watching else "off"
    row, _ = get_or_create(Watch, {"user_id": user.id, attribute: target.id}, {"level": level})
    row.level = level


def auto_watch(user: User, thread: Thread) -> None:
    """Replying watches the thread, unless the member chose to stop watching it. No commit."""
    if _watch_row(user, thread) is None:
        get_or_create(Watch, {"user_id": user.id, "thread_id": thread.id}, {"level": "watching"})


def watchers(thread: Thread) -> tuple[set[int], set[int]]:
    """(watchers of the thread, watchers of its forum), without those who turned it off."""
    rows = db.session.execute(
        select(Watch.user_id, Watch.thread_id, Watch.level).where(
            (Watch.thread_id == thread.id) | (Watch.forum_id == thread.forum_id))
    ).all()
    off = {r.user_id for r in rows if r.thread_id == thread.id and r.level == "off"}
    of_thread = {r.user_id for r in rows if r.thread_id == thread.id and r.level == "watching"}
    of_forum = {r.user_id for r in rows if r.thread_id is None and r.level == "watching"} - off
    return of_thread, of_forum
