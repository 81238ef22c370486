"""Database binding: SQLite gets WAL mode and a busy timeout on every connection; every flush
checks bounded columns, so SQLite refuses what PostgreSQL would (and says which column).
The few SQL spellings that differ between the two databases are here too (dialect, upsert,
greatest), so services ask one place."""
from flask import Flask
from sqlalchemy import String, event, func, inspect
from sqlalchemy.dialects.postgresql import insert as _postgresql_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forum.extensions import db


def dialect(bind=None) -> str:
    """"sqlite" or "postgresql": of this connection, or of the application's engine."""
    return (bind or db.engine).dialect.name


def upsert(target, bind=None):
    """An INSERT that takes on_conflict_do_nothing / on_conflict_do_update, on either database."""
    return (_sqlite_insert if dialect(bind) == "sqlite" else _postgresql_insert)(target)


def greatest(*values):
    """The largest of these values: SQLite's max() with several arguments, PostgreSQL's greatest()."""
    return (func.max if dialect() == "sqlite" else func.greatest)(*values)


class ValueTooLong(ValueError):
    """A value longer than its String(n) column: a bug (a form without a Length validator, a
    derived value not shortened). The message names the column and the lengths, never the text."""


class ForbiddenCharacter(ValueError):
    """A NUL character on its way to a text column: PostgreSQL refuses it, SQLite would keep it."""


def _check_bounded(session, _context, _instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        changed = state.dict if state.key is None else {
            key: state.dict.get(key) for key in state.committed_state if key in state.dict}
        for column in state.mapper.columns:
            translated = column.info.get("translated", False)  # forum.models.translated: a text per language
            if not (translated or isinstance(column.type, String)):
                continue
            value = changed.get(state.mapper.get_property_by_column(column).key)
            texts = value.items() if translated and isinstance(value, dict) else [("", value)]
            limit = column.info.get("max_length") if translated else column.type.length
            for lang, text in texts:
                if isinstance(text, str):
                    _check_text(f"{column.table.name}.{column.name}" + (f"[{lang}]" if lang else ""), text, limit)


def _check_text(name: str, text: str, limit: int | None) -> None:
    if "\x00" in text:
        raise ForbiddenCharacter(f"{name}: a NUL character")
    if limit is not None and len(text) > limit:
        raise ValueTooLong(f"{name}: {len(text)} characters, at most {limit}")


event.listen(Session, "before_flush", _check_bounded)


def _sqlite_pragmas(dbapi_connection, _record, busy_ms: int = 5000) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are zeroed, not left in free pages (sealed anonymous ballots must leave no bytes behind).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _timeouts(app: Flask) -> None:
    """Connection and statement timeouts, so a database that never answers costs seconds."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    connect = app.config.get("DATABASE_CONNECT_TIMEOUT", 5)
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    connect_args = options["connect_args"] = dict(options.get("connect_args", {}))
    if uri.startswith("sqlite"):
        connect_args["timeout"] = connect
    elif uri.startswith("postgresql"):
        connect_args.setdefault("connect_timeout", connect)
        statement = int(app.config.get("DATABASE_STATEMENT_TIMEOUT_MS", 30000))
        connect_args.setdefault("options", f"-c statement_timeout={statement}")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_database(app: Flask) -> None:
    _timeouts(app)
    db.init_app(app)

    @app.teardown_appcontext
    def _close_session_even_if_the_database_died(_exc):
        """Runs before Flask-SQLAlchemy's own teardown: a connection lost with a database restart
        must not turn a finished response into a 500 while the session is closed."""
        from sqlalchemy.exc import DBAPIError

        try:
            db.session.remove()
        except DBAPIError:
            db.session.registry.clear()

    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            busy_ms = app.config.get("DATABASE_CONNECT_TIMEOUT", 5) * 1000
            event.listen(engine, "connect", lambda conn, record: _sqlite_pragmas(conn, record, busy_ms))
