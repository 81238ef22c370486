"""People: accounts and their profile."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

SECTORS = (
    "national_government",
    "subnational_government",
    "academia",
    "civil_society",
    "private_sector",
    "international_organization",
    "other",
)
GENDERS = ("woman", "man", "other", "prefer_not_to_say")
EMAIL_NOTIFICATION_CHOICES = ("immediately", "off")
DIGEST_CHOICES = ("off", "daily", "weekly")


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(120))
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    institution: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    bio: Mapped[str | None] = mapped_column(Text)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # "immediately" or "off": email for each notification, through the outbox.
    email_notifications: Mapped[str] = mapped_column(String(12), default="immediately")
    # Digests: off, daily or weekly; newsletters only with an opt-in, recorded with its date.
    digest_frequency: Mapped[str] = mapped_column(String(10), default="weekly")
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    newsletter_opt_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept by the notifications service, so the bell costs no query.
    unread_notification_count: Mapped[int] = mapped_column(Integer, default=0)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the profile shows (the email is hidden unless the member shows it).
    show_email: Mapped[bool] = mapped_column(Boolean, default=False)
    show_country: Mapped[bool] = mapped_column(Boolean, default=True)
    show_institution: Mapped[bool] = mapped_column(Boolean, default=True)
    show_sector: Mapped[bool] = mapped_column(Boolean, default=True)
    # Synthesis reports quote members by name unless they say no (then "Participant 12 — Chile, …").
    show_name_in_reports: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(String(500))

    # Which sign-in this object stands for (forum.services.sessions sets it); not a column.
    login_session_id = None

    def get_id(self) -> str:
        """What Flask-Login keeps in both cookies: the person and the sign-in, so ending the
        sign-in on the server refuses every copy of either cookie."""
        return f"{self.id}:{self.login_session_id}"

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard KDF.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        """Flask-Login and the policy: deleted or suspended accounts can do nothing."""
        return self.deleted_at is None and not self.is_suspended

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > utcnow()

    @property
    def public_country(self) -> str | None:
        return self.country if self.show_country else None

    @property
    def public_institution(self) -> str | None:
        return self.institution if self.show_institution else None

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} @{self.handle}>"
