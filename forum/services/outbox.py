"""What happened to outgoing email, and resending what failed or may not have arrived.

A message that failed, or whose outcome is unknown (its deliverer stopped in the middle of
sending it), is never sent again by itself. An organizer (for an edition) or an admin (for
any message) resends it: the original becomes "resent", recording who and when, and a copy
is queued under a dedupe key derived from the original's id. Because the original changes
state in the same conditional UPDATE that picks it, a click resends each message at most
once, however often the form is submitted.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from forum.extensions import db
from forum.models import OutboxMessage, User, utcnow
from forum.models.outbox import RESENDABLE
from forum.policy import can
from forum.services import DomainError
from forum.services.atomic import atomic
from forum.services.leases import live_holder

CHUNK = 500
# The sweep logged as forum.mail before it moved here: operators' log filters keep working.
log = logging.getLogger("forum.mail")
COPIED = ("to_address", "subject", "body_text", "body_html", "kind", "unsubscribe_url", "reply_to", "locale",
          "attachment_name", "attachment_type", "attachment_body")
@dataclass
class ResendResult:
    resent: int
    skipped: int  # bulk mail whose recipient has since unsubscribed or left


def _scope(prefix: str | None):
    """Messages whose dedupe key starts with `prefix` (an edition's), or all."""
    if prefix is None:
        return []
    return [OutboxMessage.dedupe_key.like(prefix.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\")]


def counts(prefix: str | None = None) -> dict[str, int]:
    """Messages per state; `current` counts one per recipient (a resent original is replaced by its copy)."""
    rows = db.session.execute(select(OutboxMessage.status, func.count(OutboxMessage.id))
                              .where(*_scope(prefix)).group_by(OutboxMessage.status)).all()
    result = {state: 0 for state in ("queued", "sending", "sent", "failed", "unknown", "resent")}
    result.update(dict(rows))
    result["current"] = sum(n for state, n in result.items() if state != "resent")
    return result


def problems(prefix: str | None = None, *, limit: int = 50, offset: int = 0) -> list[OutboxMessage]:
    """Failed messages and those of unknown outcome, newest first."""
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.status.in_(RESENDABLE), *_scope(prefix))
        .order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).scalars())


def resends(prefix: str | None = None, *, limit: int = 50) -> list[tuple[OutboxMessage, OutboxMessage, User | None]]:
    """The latest resends: (original, copy, who resent it), the copy showing how it went."""
    Original = db.aliased(OutboxMessage)
    return [tuple(row) for row in db.session.execute(
        select(Original, OutboxMessage, User).join(OutboxMessage, OutboxMessage.resend_of_id == Original.id)
        .outerjoin(User, User.id == Original.resent_by_id).where(*_scope(prefix))
        .order_by(OutboxMessage.id.desc()).limit(limit)).all()]


def resend_key(original: OutboxMessage) -> str:
    """Derived from the original's id: one copy per original, whoever clicks and however often."""
    root = original.dedupe_key.split(":resend:", 1)[0][:170]
    return f"{root}:resend:{original.id}"


@atomic
def resend(user: User, *, prefix: str | None = None, message_ids: list[int] | None = None) -> ResendResult:
    """Queue a copy of each failed or unknown message in scope (an edition's, or the given ones)."""
    if prefix is None and not can(user, "site.admin"):
        raise DomainError(_l("Only site administrators can do this."))
    conditions = [OutboxMessage.status.in_(RESENDABLE), *_scope(prefix)]
    if message_ids is not None:
        conditions.append(OutboxMessage.id.in_(message_ids[:CHUNK]))
    candidates = db.session.execute(select(OutboxMessage.id).where(*conditions)
                                    .order_by(OutboxMessage.id)).scalars().all()
    result = ResendResult(0, 0)
    now = utcnow()
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        wanted = _still_wanted(chunk)
        result.skipped += len(chunk) - len(wanted)
        # The conditional UPDATE is the click's claim: a second submission finds nothing left to take.
        taken = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(wanted), OutboxMessage.status.in_(RESENDABLE))
            .values(status="resent", resent_by_id=user.id, resent_at=now)
            .returning(OutboxMessage.id).execution_options(synchronize_session=False)).scalars().all()
        for original in db.session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(taken))).scalars():
            db.session.add(OutboxMessage(dedupe_key=resend_key(original), resend_of_id=original.id, status="queued",
                                         **{field: getattr(original, field) for field in COPIED}))
        result.resent += len(taken)
    return result


def _still_wanted(ids: list[int]) -> list[int]:
    """The ids worth resending: transactional mail always; bulk mail only to someone still opted in."""
    rows = db.session.execute(select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.to_address,
                                     OutboxMessage.unsubscribe_url).where(OutboxMessage.id.in_(ids))).all()
    bulk = {row.to_address for row in rows if row.unsubscribe_url}
    people = {}
    if bulk:
        people = {person.email: person for person in db.session.execute(
            select(User).where(User.email.in_(bulk), User.deleted_at.is_(None))).scalars()}
    keep = []
    for row in rows:
        if row.unsubscribe_url:
            person = people.get(row.to_address)
            if person is None or not _wants(person, row.kind):
                continue
        keep.append(row.id)
    return keep


def _wants(person: User, kind: str) -> bool:
    if kind == "newsletter":
        return person.newsletter_opt_in_at is not None
    if kind == "digest":
        return person.digest_frequency != "off"
    if kind == "notification":
        return person.email_notifications != "off"
    return True


def sweep_interrupted(older_than: timedelta | None = None) -> int:
    """Messages left "sending" by a deliverer that stopped before saying how it went.

    They may or may not have left: sending again by itself could deliver twice, so they
    become "unknown", shown to organizers and admins, who can resend them. A message
    claimed by a scheduler that no longer holds the lease is swept at once; one claimed
    by a delivery run by hand (or by the live holder, stuck) once it has been sending for
    longer than any single delivery can take (MAIL_SENDING_TIMEOUT_SECONDS).
    """
    now = utcnow()
    if older_than is None:
        older_than = timedelta(seconds=current_app.config["MAIL_SENDING_TIMEOUT_SECONDS"])
    abandoned = OutboxMessage.claimed_at < now - older_than
    holder = live_holder(now=now)
    orphaned = OutboxMessage.claimed_by.is_not(None)
    if holder is not None:
        orphaned = and_(orphaned, OutboxMessage.claimed_by != holder)
    swept = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.status == "sending", or_(abandoned, orphaned))
        .values(status="unknown", last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if swept:
        log.warning("outbox: %s message(s) interrupted while sending, outcome unknown", swept)
    return swept

