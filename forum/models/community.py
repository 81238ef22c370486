"""Communities of practice and the people in them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.translated import language_view, pick, translated_column
from forum.models.types import UTCDateTime, utcnow
from forum.models.user import User

VISIBILITIES = ("public", "members", "private")
JOIN_POLICIES = ("open", "approval", "invite")
ROLES = ("member", "moderator", "organizer")


class Community(db.Model):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_texts: Mapped[dict[str, str]] = translated_column("name", 200)
    name_es = language_view("name", "es")
    name_en = language_view("name", "en")
    description_texts: Mapped[dict[str, str]] = translated_column("description")
    description_es = language_view("description", "es")
    description_en = language_view("description", "en")
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    join_policy: Mapped[str] = mapped_column(String(10), default="open")
    timezone: Mapped[str | None] = mapped_column(String(64))
    logo_key: Mapped[str | None] = mapped_column(String(64))
    logo_type: Mapped[str | None] = mapped_column(String(40))
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum_pairs: Mapped[list[ForumPair]] = relationship(  # noqa: F821
        back_populates="community", order_by="ForumPair.opens_at.desc()"
    )

    def name(self, locale: str) -> str:
        return pick(self.name_texts, locale)

    def description(self, locale: str) -> str:
        return pick(self.description_texts, locale)


MEMBERSHIP_STATES = ("active", "pending", "declined")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    role: Mapped[str] = mapped_column(String(12), default="member")
    state: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A request to join (approval communities) and its decision.
    request_message: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Suspended from this community (by its moderators) until a date.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    community: Mapped[Community] = relationship()

    @property
    def is_active(self) -> bool:
        return self.state == "active"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()


class Invitation(db.Model):
    """An emailed invitation to join a community (invite-only ones, and imports)."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("community_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(12), default="member")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    community: Mapped[Community] = relationship()


class Resource(db.Model):
    """A shared document or link: experiences, case studies, methodologies."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5))
    tags: Mapped[str] = mapped_column(String(500), default="")  # ", "-joined, lowercase
    url: Mapped[str | None] = mapped_column(String(1000))
    file_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(120))
    file_size: Mapped[int | None] = mapped_column(Integer)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship()
    added_by: Mapped[User | None] = relationship()

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (self.tags or "").split(", ") if t]
