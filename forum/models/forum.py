"""Forums and their conversations: ForumPair, Forum, Thread, Post, Revision."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.community import Community
from forum.models.translated import language_view, translated_column
from forum.models.types import UTCDateTime, render_version_column, utcnow
from forum.models.user import User

THREAD_KINDS = ("guiding_question", "discussion")
PAIR_STATUSES = ("draft", "published")
PRE_MODERATION = ("off", "new_members", "all")


class ForumPair(db.Model):
    """What the language forums of one discussion share, stored once."""

    __tablename__ = "forum_pairs"
    __table_args__ = (UniqueConstraint("community_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    allow_member_threads: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="published")
    # Pre-moderation: off, the first N posts of new members, or every post.
    pre_moderation: Mapped[str] = mapped_column(String(12), default="off")
    pre_moderation_count: Mapped[int] = mapped_column(Integer, default=3)
    # Two moderators code on their own; their agreement is measured before the codes are settled.
    independent_coding: Mapped[bool] = mapped_column(Boolean, default=False)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("forum_pairs.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opening_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship(back_populates="forum_pairs")
    forums: Mapped[list[Forum]] = relationship(
        back_populates="pair", order_by="Forum.language.desc()"
    )
    themes: Mapped[list[Theme]] = relationship(back_populates="pair", order_by="Theme.position",
                                                 cascade="all, delete-orphan")

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    def title(self, lang: str) -> str:
        """The title of the forum in `lang`, else of the other one."""
        by_language = {f.language: f.title for f in self.forums}
        return by_language.get(lang) or next(iter(by_language.values()), self.slug)

    def state(self, now: datetime) -> str:
        """draft, scheduled, open or closed: computed at read time, so never stale."""
        if self.status == "draft":
            return "draft"
        if now < self.opens_at:
            return "scheduled"
        if now >= self.closes_at:
            return "closed"
        return "open"


class Forum(db.Model):
    """One discussion in one language."""

    __tablename__ = "forums"
    __table_args__ = (
        UniqueConstraint("pair_id", "language"),
        UniqueConstraint("community_id", "slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    # Denormalised from the pair so URLs (/c/<community>/f/<forum>) resolve in one query.
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    concept_note_md: Mapped[str] = mapped_column(Text, default="")
    concept_note_html: Mapped[str] = mapped_column(Text, default="")
    render_version: Mapped[int] = render_version_column()
    thread_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pair: Mapped[ForumPair] = relationship(back_populates="forums")
    community: Mapped[Community] = relationship()

    @property
    def siblings(self) -> list[Forum]:
        return [f for f in self.pair.forums if f.id != self.id]

    @property
    def sibling(self) -> Forum | None:
        siblings = self.siblings
        return siblings[0] if siblings else None

    def state(self, now: datetime) -> str:
        return self.pair.state(now)


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_forum_kind_position", "forum_id", "kind", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="discussion")
    position: Mapped[int | None] = mapped_column(Integer)
    post_count: Mapped[int] = mapped_column(Integer, default=0)  # visible posts
    participant_count: Mapped[int] = mapped_column(Integer, default=0)
    next_post_number: Mapped[int] = mapped_column(Integer, default=1)
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum: Mapped[Forum] = relationship()

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
    author: Mapped[User | None] = relationship()

    @property
    def is_guiding_question(self) -> bool:
        return self.kind == "guiding_question"

    @property
    def reply_count(self) -> int:
        """Visible posts after the opening one."""
        return max(self.post_count - 1, 0)

    @property
    def last_number(self) -> int:
        """Highest post number given out (deleted posts keep their place)."""
        return self.next_post_number - 1


class Post(db.Model):
    """One contribution: Markdown as written and the sanitised HTML made from it on save."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("thread_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    useful_count: Mapped[int] = mapped_column(Integer, default=0)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    render_version: Mapped[int] = render_version_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delete_reason: Mapped[str | None] = mapped_column(String(500))
    # Moderation: pre-moderated posts wait as "pending"; rejected ones keep their text.
    status: Mapped[str] = mapped_column(String(10), default="published")
    moderation_note: Mapped[str | None] = mapped_column(String(1000))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str | None] = mapped_column(String(1000))
    open_flag_count: Mapped[int] = mapped_column(Integer, default=0)
    # Curation for the synthesis.
    is_highlight: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    reply_to: Mapped[Post | None] = relationship(remote_side="Post.id", foreign_keys=[reply_to_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @hybrid_property
    def is_live(self) -> bool:
        """Seen by everyone who may read the thread: published, not deleted, not hidden."""
        return self.deleted_at is None and self.hidden_at is None and self.status == "published"

    @is_live.inplace.expression
    @classmethod
    def _is_live_expression(cls):
        return and_(cls.deleted_at.is_(None), cls.hidden_at.is_(None), cls.status == "published")

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Revision(db.Model):
    """An earlier body of an edited post, kept so nothing is lost."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body_md: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()


class Theme(db.Model):
    """A label of a forum pair's codebook (bilingual), put on posts when curating."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("pair_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    label_texts: Mapped[dict[str, str]] = translated_column("label", 120)
    label_es = language_view("label", "es")
    label_en = language_view("label", "en")
    # What the theme covers, per language: shown to moderators and read by the theme suggestions.
    description_texts: Mapped[dict[str, str]] = translated_column("description")
    description_es = language_view("description", "es")
    description_en = language_view("description", "en")
    position: Mapped[int] = mapped_column(Integer, default=0)

    pair: Mapped[ForumPair] = relationship(back_populates="themes")


class TextRevision(db.Model):
    """An earlier version of an organizer's text: a forum's title and concept note,
    or a guiding question's title (its body is the first post, with post revisions)."""

    __tablename__ = "text_revisions"
    __table_args__ = (Index("ix_text_revisions_kind_target_id", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # forum | thread
    target_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str | None] = mapped_column(Text)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
