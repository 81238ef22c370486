"""The unit of work, and savepoints that keep a member's action whole.

`atomic` / `unit_of_work`: each public service call that writes runs in one transaction, committed
when it returns and rolled back when it raises (a DomainError included), so a refused action leaves
nothing half-written and no view commits or rolls back. A service called by another joins the
caller's unit: only the outermost one commits. A commit by anyone else while a unit is open is an
error (RuntimeError), so a nested service can never commit its caller's half-done work.
Jobs that work in batches (outbox, digests, imports, sealing, re-rendering) commit per batch on
purpose and are not called inside a unit.
`side_effect`: what follows an action (notifications, emails, watches, read marks, the search
index) runs in a savepoint; if it fails, it is undone and logged, and the action itself (the
reply) is still saved. `get_or_create`: "create if absent" under concurrency, on both databases,
without a uniqueness error reaching the member (double clicks, two tabs, parallel requests).
"""
from __future__ import annotations

import functools
import logging
from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.session import Session
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from forum.database import ForbiddenCharacter, ValueTooLong, upsert
from forum.extensions import db
from forum.services import DomainError

log = logging.getLogger("forum.side_effects")
STORING_ERRORS = (SQLAlchemyError, ValueTooLong, ForbiddenCharacter)
_DEPTH = "unit_of_work_depth"  # in Session.info: how many units are open in this session


@contextmanager
def unit_of_work():
    """One transaction: the outermost unit commits when the block ends and rolls back when it
    raises; an inner unit (a service called by another) only joins it."""
    session = db.session
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield
    except BaseException:
        session.info[_DEPTH] = depth
        if depth == 0:
            session.rollback()
        raise
    session.info[_DEPTH] = depth
    if depth == 0:
        try:
            session.commit()
        except BaseException:
            session.rollback()
            raise


def atomic(function):
    """Run a public service function in a unit of work (see the module's docstring)."""
    @functools.wraps(function)
    def in_unit(*args, **kwargs):
        with unit_of_work():
            return function(*args, **kwargs)
    return in_unit


@event.listens_for(Session, "before_commit")
def _refuse_commit_inside_a_unit(session) -> None:
    """A commit while a unit is open would make its caller's half-done work permanent."""
    if session.info.get(_DEPTH, 0) and session.get_nested_transaction() is None:
        raise RuntimeError("commit inside a unit of work: let the outermost service call commit")


@contextmanager
def side_effect(name: str):
    """Run a block in a savepoint; a database error or an over-long value inside it is rolled back
    to the savepoint and logged (its name and the error's class and column, never user text).

    Only errors of storing are caught: a bug elsewhere (a TypeError) still fails loudly. An
    OperationalError (the database is gone) is not swallowed either: nothing could be saved.
    """
    db.session.flush()  # the action's own changes first: their errors are not the side effect's
    try:
        with db.session.begin_nested():
            yield
    except OperationalError:
        raise
    except STORING_ERRORS as error:
        _log("side effect failed", name, error)


@contextmanager
def saved_or_refused(name: str, field: str = "body"):
    """The member's own change: saved whole, or refused with a DomainError on `field`, so the
    form comes back with the text they wrote (the view keeps it) instead of an error page."""
    try:
        yield
    except OperationalError:
        raise
    except STORING_ERRORS as error:
        db.session.rollback()
        _log("save failed", name, error)
        raise DomainError(_l("Your text could not be saved because of an error on our side. It is kept "
                             "here: try again in a moment."), field=field) from None


def _log(message: str, name: str, error: Exception) -> None:
    """The column for an over-long value, the driver's error class otherwise: no user text."""
    detail = str(error) if isinstance(error, ValueError) else type(getattr(error, "orig", None) or error).__name__
    log.error(message, extra={"fields": {"action": name, "error": type(error).__name__, "detail": detail}})


def get_or_create(model, lookup: dict, defaults: dict | None = None):
    """(row, created): the row matching `lookup` (the columns of a unique constraint), inserted
    with `defaults` if absent. No commit.

    INSERT ... ON CONFLICT DO NOTHING, on both databases: of two requests at once, one inserts
    and the other's insert waits for it and does nothing, then reads the winner's row. (A
    savepoint catching IntegrityError would do the same on PostgreSQL, but on SQLite a savepoint
    opened before any write commits when released, so it is not used here.)
    """
    query = select(model).filter_by(**lookup)
    row = db.session.execute(query).scalar_one_or_none()
    if row is not None:
        return row, False
    db.session.flush()
    created = db.session.execute(
        upsert(model).values(**lookup, **(defaults or {})).on_conflict_do_nothing()
        .returning(*model.__table__.primary_key.columns)  # a row if inserted, none if it was there
    ).first() is not None
    row = db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:  # refused by another unique constraint than the one looked up
        raise LookupError(f"{model.__tablename__}: a conflicting row exists")
    return row, created
