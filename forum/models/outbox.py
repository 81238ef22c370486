"""The outbox: every outgoing email is a row here before it is a message on the wire."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime, utcnow

# "unknown": claimed by a deliverer that stopped before it could say how it went; it may or
# may not have arrived, so it is never retried by itself. "resent": an organizer or admin sent
# a new copy (the copy is another row, `resend_of_id` pointing here).
OUTBOX_STATES = ("queued", "sending", "sent", "failed", "unknown", "resent")
RESENDABLE = ("failed", "unknown")


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    # For bulk mail: the one-click unsubscribe address (RFC 8058) and a Reply-To.
    unsubscribe_url: Mapped[str | None] = mapped_column(String(500))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5))
    # One attachment, e.g. a calendar invitation ("invite.ics", "text/calendar; method=REQUEST"), or
    # a certificate ("application/pdf"): any type other than text/* is stored base64.
    attachment_name: Mapped[str | None] = mapped_column(String(100))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The scheduler (lease holder) that claimed it: once that holder no longer holds the lease,
    # a message it left "sending" is of unknown outcome at once. None for a delivery run by hand.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A resend: who sent a new copy and when (on the original), and which message it copies (on the copy).
    resent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resend_of_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), index=True)
