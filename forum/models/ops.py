"""Running the platform: the lease that lets exactly one scheduler run jobs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime


class SchedulerLease(db.Model):
    """Held by one scheduler process at a time, renewed while it lives, taken over once it lapses."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CacheGeneration(db.Model):
    """A generation of what pages show, one row each: "content" (what visitors may see) and
    "private" (what only signed-in people see); one more at every commit that changed it, so every
    web worker and server drops the pages it cached before (forum.page_cache)."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
