"""What the offline assistance computes in its job, so that curation pages only read rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow


class AssistVector(db.Model):
    """One reply's text as numbers; recomputed only when its fingerprint (text, method) changes."""

    __tablename__ = "assist_vectors"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20))
    dims: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float16, the whole reply
    sentences: Mapped[bytes | None] = mapped_column(LargeBinary)  # float16 rows, one a sentence
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssistSuggestion(db.Model):
    """A theme suggested for a reply, with the coded replies that support it (never applied)."""

    __tablename__ = "assist_suggestions"
    __table_args__ = (UniqueConstraint("post_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(String(200), default="")  # ids of coded posts, comma-separated


class AssistSibling(db.Model):
    """A reply of the sibling forum (same question, other language) that is close to this one."""

    __tablename__ = "assist_siblings"
    __table_args__ = (UniqueConstraint("post_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class AssistState(db.Model):
    """Per pair: how far the job got, and what the last scoring used (to know when to re-score)."""

    __tablename__ = "assist_states"

    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), primary_key=True)
    method: Mapped[str] = mapped_column(String(20), default="")
    ready: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    scored_with: Mapped[str] = mapped_column(Text, default="")  # fingerprint of examples, codebook, vectors
    # Aggregates of the replies, tags and codebook at the last run: equal means nothing to do,
    # known without reading a single reply's text (the job runs every minute).
    checked_with: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
