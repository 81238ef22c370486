"""Newsletter editions composed by organizers, one text per language."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.community import Community
from forum.models.translated import language_view, pick, translated_column
from forum.models.types import UTCDateTime, render_version_column, utcnow
from forum.models.user import User

NEWSLETTER_STATES = ("draft", "scheduled", "sending", "sent")


class Newsletter(db.Model):
    __tablename__ = "newsletters"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the whole network (admins); otherwise one community (its organizers).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    subject_texts: Mapped[dict[str, str]] = translated_column("subject", 300)
    subject_es = language_view("subject", "es")
    subject_en = language_view("subject", "en")
    body_es_md: Mapped[str] = mapped_column(Text, default="")
    body_en_md: Mapped[str] = mapped_column(Text, default="")
    body_es_html: Mapped[str] = mapped_column(Text, default="")
    body_en_html: Mapped[str] = mapped_column(Text, default="")
    render_version: Mapped[int] = render_version_column()
    status: Mapped[str] = mapped_column(String(10), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def subject(self, lang: str) -> str:
        return pick(self.subject_texts, lang)

    def body_html(self, lang: str) -> str:
        return (self.body_en_html if lang == "en" else self.body_es_html) or self.body_es_html or self.body_en_html
