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
from sqlalchemy.exc import OperationalError, ProgrammingError

from forum.database import dialect
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
    except ProgrammingError:  # e.g. a database role that may not TRUNCATE: say so every run, keep serving
        db.session.rollback()
        log.exception("round=%s could not be sealed: the database role must own the ballots and answers "
                      "tables", round_id)
        return False
    if not _checkpoint():  # old page images may stay in the log: the next run rewrites and tries again
        round_.scrubbed = False
        db.session.commit()
    return True


def seal_closed_rounds() -> int:
    """The scheduler's job: seal every round that has closed, and scrub anonymous ones sealed without it."""
    due = db.session.execute(select(Round).where(Round.closes_at <= utcnow(), or_(
        Round.sealed.is_(False), and_(Round.anonymous.is_(True), Round.scrubbed.is_(False))))).scalars().all()
    return sum(seal(r) for r in due)


def _rewrite_ballots(round_id: int) -> None:
    """Delete the round's ballots and answers and write them again, shuffled, under fresh ids."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        _rewrite_postgres(conn, round_id)
    else:
        _rewrite_sqlite(conn, round_id)
    for stale in [o for o in db.session.identity_map.values() if isinstance(o, (Ballot, Answer))]:
        db.session.expunge(stale)


# 32 random hex digits, like secrets.token_hex(16) (gen_random_uuid() draws from a strong source).
_HEX32 = "replace(gen_random_uuid()::text, '-', '')"


def _rewrite_postgres(conn, round_id: int) -> None:
    """TRUNCATE gives both tables new files, so every round's ballots are copied aside (inside the
    server, whatever their number), the tables emptied, and the copies written back in a random order."""
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    conn.execute(text("LOCK TABLE ballots, answers IN ACCESS EXCLUSIVE MODE"))
    conn.execute(text("CREATE TEMP TABLE sealing_ids ON COMMIT DROP AS "
                      f"SELECT id AS old_id, {_HEX32} AS new_id FROM ballots WHERE round_id = :r"), {"r": round_id})
    fresh = {"id": "coalesce(m.new_id, t.id)", "voter_key":
             f"CASE WHEN m.new_id IS NULL THEN t.voter_key ELSE 'sealed-' || left({_HEX32} || {_HEX32}, 48) END"}
    _copy_aside(conn, Ballot.__table__, "sealing_ballots", fresh, "m.old_id = t.id")
    fresh = {"id": f"CASE WHEN m.new_id IS NULL THEN t.id ELSE {_HEX32} END",
             "ballot_id": "coalesce(m.new_id, t.ballot_id)"}
    _copy_aside(conn, Answer.__table__, "sealing_answers", fresh, "m.old_id = t.ballot_id")
    conn.execute(text("TRUNCATE answers, ballots"))
    for table, copy in ((Ballot.__table__, "sealing_ballots"), (Answer.__table__, "sealing_answers")):
        columns = ", ".join(c.name for c in table.columns)
        conn.execute(text(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {copy} "
                          "ORDER BY gen_random_uuid()"))
    conn.execute(text("DROP TABLE sealing_ids, sealing_ballots, sealing_answers"))


def _copy_aside(conn, table, copy: str, fresh: dict[str, str], join: str) -> None:
    """A temporary copy of `table`, with fresh values for the sealed round's rows."""
    columns = ", ".join(f"{fresh.get(c.name, 't.' + c.name)} AS {c.name}" for c in table.columns)
    conn.execute(text(f"CREATE TEMP TABLE {copy} ON COMMIT DROP AS SELECT {columns} FROM {table.name} t "
                      f"LEFT JOIN sealing_ids m ON {join}"))


def _rewrite_sqlite(conn, round_id: int) -> None:
    """Only this round's rows: without rowid their order is that of their random ids, and
    secure_delete zeroes what is deleted."""
    ballots_t, answers_t = Ballot.__table__, Answer.__table__
    ballots = [dict(r._mapping) for r in conn.execute(select(ballots_t).where(ballots_t.c.round_id == round_id))]
    answers = [dict(r._mapping) for r in conn.execute(
        select(answers_t).join(ballots_t, ballots_t.c.id == answers_t.c.ballot_id)
        .where(ballots_t.c.round_id == round_id))]
    fresh = {}
    for ballot in ballots:
        fresh[ballot["id"]] = secrets.token_hex(16)
        ballot.update(id=fresh[ballot["id"]], voter_key="sealed-" + secrets.token_hex(24))
    for answer in answers:
        answer.update(id=secrets.token_hex(16), ballot_id=fresh[answer["ballot_id"]])
    conn.execute(delete(answers_t).where(answers_t.c.ballot_id.in_(
        select(ballots_t.c.id).where(ballots_t.c.round_id == round_id))))
    conn.execute(delete(ballots_t).where(ballots_t.c.round_id == round_id))
    _shuffle(ballots)
    _shuffle(answers)
    if ballots:
        conn.execute(insert(ballots_t), ballots)
    if answers:
        conn.execute(insert(answers_t), answers)


def _checkpoint() -> bool:
    """SQLite: copy the log into the database file and empty it, so old page images go too.
    False when readers kept it from finishing."""
    if dialect(db.session.get_bind()) != "sqlite":
        return True
    busy = db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
    db.session.commit()
    if busy and busy[0]:
        log.warning("the SQLite log could not be emptied after sealing (readers busy); the next run tries again")
        return False
    return True
