"""What members do around posts: mark them useful, read, watch, get notified."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.forum import Forum, Post, Thread
from forum.models.types import UTCDateTime, utcnow
from forum.models.user import User

WATCH_LEVELS = ("watching", "off")
NOTIFICATION_KINDS = ("reply", "mention", "watched_post", "watched_thread", "forum_opened")


class PostUseful(db.Model):
    """One member found one post useful (at most once)."""

    __tablename__ = "post_useful"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThreadRead(db.Model):
    """How far a member has read a thread, by post number."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), primary_key=True, index=True)
    last_read_number: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Watch(db.Model):
    """A member watching a thread or a whole forum; `off` remembers an explicit unwatch."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("user_id", "thread_id"),
        UniqueConstraint("user_id", "forum_id"),
        UniqueConstraint("user_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forums.id"), index=True)
    # Watching a community: told when its forums open.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    level: Mapped[str] = mapped_column(String(10), default="watching")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        UniqueConstraint("user_id", "post_id"),  # one notification per person per post
        UniqueConstraint("user_id", "forum_id"),  # and per forum that opens
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forums.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post | None] = relationship()
    forum: Mapped[Forum | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


__all__ = ["Forum", "Notification", "PostUseful", "Thread", "ThreadRead", "Watch"]
