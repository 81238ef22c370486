"""Moderation and curation: flags, the append-only log, themes on posts, synthesis notes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.forum import Post, Theme
from forum.models.translated import language_view, translated_column
from forum.models.types import UTCDateTime, utcnow
from forum.models.user import User

FLAG_REASONS = ("off_topic", "inappropriate", "spam", "other")
FLAG_RESOLUTIONS = ("keep", "hide", "edit")


class Flag(db.Model):
    """A member's report of a post (once per member and post)."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(10))

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ModerationLog(db.Model):
    """Append-only: every moderation action, who, on what, why, and the text before and after."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_community_id_created_at", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))  # post | thread | forum | pair | user
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


@event.listens_for(ModerationLog, "before_update")
@event.listens_for(ModerationLog, "before_delete")
def _log_is_append_only(mapper, connection, target):
    raise RuntimeError("the moderation log is append-only")


class PostTheme(db.Model):
    """A theme of the pair's codebook put on a post by a moderator."""

    __tablename__ = "post_themes"
    __table_args__ = (UniqueConstraint("post_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    tagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    theme: Mapped[Theme] = relationship()


class SynthesisNote(db.Model):
    """The moderators' synthesis of one guiding question (by position) across the pair."""

    __tablename__ = "synthesis_notes"
    __table_args__ = (UniqueConstraint("pair_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"))
    position: Mapped[int] = mapped_column(Integer)
    body_texts: Mapped[dict[str, str]] = translated_column("body")
    body_es = language_view("body", "es")
    body_en = language_view("body", "en")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


QUOTE_MAX_LENGTH = 600


class ReportQuote(db.Model):
    """A passage of a post that moderators chose to quote in the synthesis report, with its theme."""

    __tablename__ = "report_quotes"
    __table_args__ = (UniqueConstraint("post_id", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id"))
    text: Mapped[str] = mapped_column(String(QUOTE_MAX_LENGTH))
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
    theme: Mapped[Theme | None] = relationship()
