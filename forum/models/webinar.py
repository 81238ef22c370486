"""Webinars: scheduled events of a community, their speakers and registrations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import db
from forum.models.community import Community
from forum.models.translated import language_view, pick, translated_column
from forum.models.types import UTCDateTime, render_version_column, utcnow
from forum.models.user import User

WEBINAR_STATES = ("scheduled", "cancelled")
SPEAKER_ROLES = ("speaker", "moderator")
# pending: a guest who has not confirmed the email yet; it holds no seat.
REGISTRATION_STATES = ("pending", "registered", "waitlisted", "cancelled")


class Webinar(db.Model):
    __tablename__ = "webinars"
    __table_args__ = (Index("ix_webinars_starts_at", "starts_at"), Index("ix_webinars_ends_at", "ends_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    # The forum pair this webinar closes, if it does.
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("forum_pairs.id"), index=True)
    title_texts: Mapped[dict[str, str]] = translated_column("title", 300)
    title_es = language_view("title", "es")
    title_en = language_view("title", "en")
    description_es_md: Mapped[str] = mapped_column(Text, default="")
    description_en_md: Mapped[str] = mapped_column(Text, default="")
    description_es_html: Mapped[str] = mapped_column(Text, default="")
    description_en_html: Mapped[str] = mapped_column(Text, default="")
    render_version: Mapped[int] = render_version_column()
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=90)
    # Kept with the start, so listings can tell upcoming from past in SQL.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The zone the organizer entered the time in (the form shows it back in it).
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[str] = mapped_column(String(10), default="es,en")
    interpretation: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    join_url: Mapped[str] = mapped_column(String(1000), default="")
    recording_url: Mapped[str] = mapped_column(String(1000), default="")
    slides_url: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    # iCalendar: one UID for the event's life; SEQUENCE grows with each change sent.
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Kept by the webinars service, so lists and the page cost no count.
    registered_count: Mapped[int] = mapped_column(Integer, default=0)
    waitlist_count: Mapped[int] = mapped_column(Integer, default=0)
    attended_count: Mapped[int] = mapped_column(Integer, default=0)
    # What counts as attending, in % of the duration; None: anyone marked as present.
    attendance_threshold: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    community: Mapped[Community] = relationship()
    pair: Mapped[ForumPair | None] = relationship()  # noqa: F821
    speakers: Mapped[list[WebinarSpeaker]] = relationship(
        back_populates="webinar", order_by="WebinarSpeaker.position", cascade="all, delete-orphan")

    def title(self, lang: str) -> str:
        return pick(self.title_texts, lang)

    def description_html(self, lang: str) -> str:
        return (self.description_en_html if lang == "en" else self.description_es_html) \
            or self.description_es_html or self.description_en_html

    @property
    def language_list(self) -> list[str]:
        return [lang for lang in (self.languages or "").split(",") if lang]

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.registered_count >= self.capacity

    def is_past(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or utcnow())

    def registration_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        if self.is_cancelled or self.starts_at <= now:
            return False
        return self.registration_deadline is None or now < self.registration_deadline


class WebinarSpeaker(db.Model):
    __tablename__ = "webinar_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="speaker")
    name: Mapped[str] = mapped_column(String(200))
    affiliation: Mapped[str] = mapped_column(String(300), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    photo_key: Mapped[str | None] = mapped_column(String(64))
    photo_type: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)

    webinar: Mapped[Webinar] = relationship(back_populates="speakers")


class Registration(db.Model):
    """One person's place at a webinar: a member's, or a guest's (no account) with a short profile."""

    __tablename__ = "webinar_registrations"
    __table_args__ = (
        UniqueConstraint("webinar_id", "email"),
        Index("ix_webinar_registrations_webinar_id_status", "webinar_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    # Copied from the profile at registration, so the participation table stays as it was.
    country: Mapped[str | None] = mapped_column(String(2))
    institution: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(5), default="es")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    # From the platform's report: minutes connected (the union of the person's intervals) and
    # how many times they joined; None when attendance was ticked by hand.
    attended_minutes: Mapped[int | None] = mapped_column(Integer)
    joins: Mapped[int | None] = mapped_column(Integer)
    # A certificate of participation: its public verification code, and when it was sent.
    certificate_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    certificate_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    webinar: Mapped[Webinar] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def holds_seat(self) -> bool:
        return self.status == "registered"
