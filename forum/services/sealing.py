"""Sealing a closed round, so that its anonymous ballots cannot be linked to their voters.

Random ids and no timestamps are not enough on their own: a database keeps
traces of *when* and *in what order* each row was written. On PostgreSQL every
row carries the id of the transaction that wrote it (`xmin`) and its physical
place (`ctid`), and a replaced row stays in the table file until vacuum; both
interleave with rows that do carry user ids (named answers, read marks), so
they tell who cast which ballot. On SQLite, deleted or replaced bytes remain in
free space and in the write-ahead log.

So at the close, in one transaction, the round's anonymous ballots are read,
deleted, and written again in a random order with fresh ids and random voter
keys. On PostgreSQL the ballot and answer tables are emptied with TRUNCATE
(which gives them new files: no old row version, transaction id or position
survives) and every ballot of every round is written back, shuffled; on SQLite
`secure_delete` zeroes what is deleted and a checkpoint empties the log. The
round's `scrubbed` flag records that this was done; the scheduler retries
rounds where it was not (tables busy, or sealed by an older release).
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, or_, select, text
from sqlalchemy.exc import OperationalError

from forum.extensions import db
from forum.models import Answer, Ballot, Membership, Round, utcnow

log = logging.getLogger(__name__)
# How long sealing waits for voters in other rounds to finish before the scheduler tries again.
LOCK_TIMEOUT = "5s"
_shuffle = secrets.SystemRandom().shuffle


def eligible_count(round_: Round) -> int:
    """The community's members who could answer: counted live while open, frozen once closed."""
    if round_.eligible_count is not None:
        return round_.eligible_count
    return db.session.execute(select(func.count(Membership.id)).where(
        Membership.community_id == round_.community_id, Membership.state == "active")).scalar_one()


def seal(round_: Round, now: datetime | None = None) -> bool:
    """Once a round has closed: freeze who could vote and, for anonymous ballots, rewrite them so
    nothing (key, id, write order, transaction, leftover bytes) leads to a voter. Idempotent; when
    the tables are busy it gives up quickly and the scheduler tries again."""
    if (now or utcnow()) < round_.closes_at:
        return False
    if round_.sealed and (round_.scrubbed or not round_.anonymous):
        return False
    round_id = round_.id
    try:
        round_.eligible_count = eligible_count(round_)
        if round_.anonymous:
            db.session.flush()
            _rewrite_ballots(round_id)
        round_.sealed = True
        round_.scrubbed = True
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.warning("round=%s not sealed yet: the ballot tables were busy; the scheduler tries again", round_id)
        return False
    _checkpoint()
    return True


def seal_closed_rounds() -> int:
    """The scheduler's job: seal every round that has closed, and scrub anonymous ones sealed without it."""
    due = db.session.execute(select(Round).where(Round.closes_at <= utcnow(), or_(
        Round.sealed.is_(False), and_(Round.anonymous.is_(True), Round.scrubbed.is_(False))))).scalars().all()
    return sum(seal(r) for r in due)


def _rewrite_ballots(round_id: int) -> None:
    """Delete the round's ballots and answers and write them again, shuffled, under fresh ids."""
    conn = db.session.connection()
    ballots_t, answers_t = Ballot.__table__, Answer.__table__
    postgres = conn.dialect.name == "postgresql"
    if postgres:  # TRUNCATE empties the whole tables, so every round's ballots are read and written back
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(text("LOCK TABLE ballots, answers IN ACCESS EXCLUSIVE MODE"))
        ballots = [dict(r._mapping) for r in conn.execute(select(ballots_t))]
        answers = [dict(r._mapping) for r in conn.execute(select(answers_t))]
    else:
        ballots = [dict(r._mapping) for r in conn.execute(select(ballots_t).where(ballots_t.c.round_id == round_id))]
        answers = [dict(r._mapping) for r in conn.execute(
            select(answers_t).join(ballots_t, ballots_t.c.id == answers_t.c.ballot_id)
            .where(ballots_t.c.round_id == round_id))]
    fresh = {}
    for ballot in ballots:
        if ballot["round_id"] == round_id:
            fresh[ballot["id"]] = secrets.token_hex(16)
            ballot.update(id=fresh[ballot["id"]], voter_key="sealed-" + secrets.token_hex(24))
    for answer in answers:
        if answer["ballot_id"] in fresh:
            answer.update(id=secrets.token_hex(16), ballot_id=fresh[answer["ballot_id"]])
    if postgres:
        conn.execute(text("TRUNCATE answers, ballots"))
    else:
        conn.execute(delete(answers_t).where(answers_t.c.ballot_id.in_(
            select(ballots_t.c.id).where(ballots_t.c.round_id == round_id))))
        conn.execute(delete(ballots_t).where(ballots_t.c.round_id == round_id))
    _shuffle(ballots)
    _shuffle(answers)
    if ballots:
        conn.execute(insert(ballots_t), ballots)
    if answers:
        conn.execute(insert(answers_t), answers)
    for stale in [o for o in db.session.identity_map.values() if isinstance(o, (Ballot, Answer))]:
        db.session.expunge(stale)


def _checkpoint() -> None:
    """SQLite: copy the log into the database file and empty it, so old page images go too."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    busy = db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
    db.session.commit()
    if busy and busy[0]:
        log.warning("the SQLite log could not be emptied after sealing (readers busy); the next checkpoint will")
