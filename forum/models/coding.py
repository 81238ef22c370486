"""Independent coding by two moderators: each coder's own themes on replies, kept apart from the
agreed coding (`PostTheme`), and how each disagreement was settled."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.forum import Post
from forum.models.types import UTCDateTime, utcnow
from forum.models.user import User


class CoderCode(db.Model):
    """A theme one coder put on a reply while coding independently; the other coder never sees it."""

    __tablename__ = "coder_codes"
    __table_args__ = (UniqueConstraint("post_id", "theme_id", "coder_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    coder: Mapped[User] = relationship()


class CodeSettlement(db.Model):
    """A moderator's decision on a theme the two coders disagreed on: applied or left out."""

    __tablename__ = "code_settlements"
    __table_args__ = (UniqueConstraint("post_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id"))
    applied: Mapped[bool] = mapped_column(Boolean)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
