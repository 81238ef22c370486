"""A database that accepts connections but never answers: pages and /healthz answer the
translated 503 within the configured timeouts, instead of hanging until gunicorn kills the worker."""
from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from forum import create_app
from forum.extensions import db as _db
from tests.conftest import is_postgres


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def hanging_app(silent_server):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://forum@127.0.0.1:{silent_server}/forum",
                     DATABASE_CONNECT_TIMEOUT=1)
    try:
        yield app
    finally:
        with app.app_context():
            _db.engine.dispose()


def answered(client, url: str, seconds: float = 20, **kwargs):
    """The response, or a failure if none came within a generous bound (the timeout is 1 s): the
    request runs in a thread, which the silent server's closing sockets end in any case."""
    responses = []
    kwargs.setdefault("method", "GET")
    worker = threading.Thread(target=lambda: responses.append(client.open(url, **kwargs)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert responses, f"{url} did not answer within {seconds} s"
    return responses[0]


def test_pages_answer_a_translated_503_when_the_database_never_answers(hanging_app):
    client = hanging_app.test_client()
    response = answered(client, "/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "no podemos conectarnos con la base de datos" in response.get_data(as_text=True).lower()
    english = answered(client, "/search/?q=agua", headers={"Accept-Language": "en"})
    assert english.status_code == 503 and "cannot reach the database" in english.get_data(as_text=True)


def test_healthz_answers_503_when_the_database_never_answers(hanging_app):
    response = answered(hanging_app.test_client(), "/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_the_timeouts_reach_the_database_driver(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    if is_postgres():
        assert options["connect_timeout"] == 5
        assert options["options"] == "-c statement_timeout=30000"
    else:
        assert options["timeout"] == 5


def test_a_statement_running_longer_than_the_limit_is_cancelled(app):
    if not is_postgres():
        pytest.skip("PostgreSQL's statement_timeout")
    slow = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      DATABASE_STATEMENT_TIMEOUT_MS=300)
    with slow.app_context():
        try:
            with pytest.raises(OperationalError, match="statement timeout"):
                _db.session.execute(text("SELECT pg_sleep(5)"))
        finally:
            _db.session.remove()
            _db.engine.dispose()


def test_a_sqlite_database_locked_by_another_writer_answers_503_after_the_busy_timeout(tmp_path):
    """SQLite: another process holds the write lock; a write waits DATABASE_CONNECT_TIMEOUT, then 503."""
    import sqlite3

    from tests.conftest import IsolatedClient

    path = tmp_path / "locked.sqlite3"
    locked = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", DATABASE_CONNECT_TIMEOUT=1)
    locked.test_client_class = IsolatedClient
    with locked.app_context():
        _db.create_all()
        assert _db.session.execute(text("PRAGMA busy_timeout")).scalar() == 1000
        _db.session.remove()
    holder = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = answered(locked.test_client(), "/auth/register", method="POST", data={
            "display_name": "Ana", "email": "ana@example.org", "password": "una clave larga", "confirm": "una clave larga"})
        assert response.status_code == 503
        assert "no podemos conectarnos con la base de datos" in response.get_data(as_text=True).lower()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        with locked.app_context():
            _db.engine.dispose()
