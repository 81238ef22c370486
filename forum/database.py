"""Database binding: SQLite gets WAL mode and a busy timeout on every connection."""
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from forum.extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are zeroed, not left in free pages (sealed anonymous ballots must leave no bytes behind).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {})["timeout"] = 5
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
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
            event.listen(engine, "connect", _sqlite_pragmas)
