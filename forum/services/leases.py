"""A lease in the database decides which scheduler runs jobs.

Two scheduler processes started by mistake (or one per web server) would
send every digest twice. Each job first takes or renews the lease with a
conditional UPDATE, which the database serialises on SQLite and PostgreSQL
alike; only the holder runs jobs, and another process takes over once the
holder stops renewing it.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import utcnow
from forum.models.ops import SchedulerLease

SCHEDULER = "scheduler"


def holder_id() -> str:
    """This process, recognisably: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(holder: str, ttl: timedelta, name: str = SCHEDULER, now: datetime | None = None) -> bool:
    """Take the lease if it is free or lapsed, or renew it if ours; False if someone else holds it."""
    now = now or utcnow()
    taken = db.session.execute(
        update(SchedulerLease).where(SchedulerLease.name == name,
                                     or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl).execution_options(synchronize_session=False)).rowcount
    if taken:
        db.session.commit()
        return True
    db.session.rollback()
    if db.session.get(SchedulerLease, name) is not None:
        return False
    try:
        db.session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        db.session.commit()
        return True
    except IntegrityError:  # another process created it first
        db.session.rollback()
        return False


def live_holder(name: str = SCHEDULER, now: datetime | None = None) -> str | None:
    """Who holds the lease now; None when nobody does (never taken, released or lapsed)."""
    lease = db.session.execute(select(SchedulerLease.holder, SchedulerLease.expires_at)
                               .where(SchedulerLease.name == name)).first()
    if lease is None or lease.expires_at <= (now or utcnow()):
        return None
    return lease.holder


def release(holder: str, name: str = SCHEDULER) -> None:
    db.session.execute(update(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
                       .values(expires_at=utcnow() - timedelta(seconds=1)).execution_options(synchronize_session=False))
    db.session.commit()
