"""Communities of practice and the people in them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow
from forum.models.user import User

VISIBILITIES = ("public", "members", "private")
JOIN_POLICIES = ("open", "approval", "invite")
ROLES = ("member", "moderator", "organizer")


class Community(db.Model):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_es: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_es: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    join_policy: Mapped[str] = mapped_column(String(10), default="open")
    timezone: Mapped[str | None] = mapped_column(String(64))
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    forum_pairs: Mapped[list["ForumPair"]] = relationship(  # noqa: F821
        back_populates="community", order_by="ForumPair.opens_at.desc()"
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_es

    def description(self, locale: str) -> str:
        return self.description_en if locale == "en" else self.description_es


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    role: Mapped[str] = mapped_column(String(12), default="member")
    state: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    community: Mapped[Community] = relationship()

    @property
    def is_active(self) -> bool:
        return self.state == "active"
