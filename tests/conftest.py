"""Shared fixtures: the app on SQLite (or PostgreSQL via TEST_DATABASE_URL),
a client, a CLI runner, a real SMTP server on loopback, and make_* helpers."""
from __future__ import annotations

import contextvars
import hashlib
import os
import re
import socket
import tempfile
import threading
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, text

from config import normalise_db_url
from forum import create_app, page_cache
from forum.extensions import db as _db
from forum.extensions import limiter
from forum.models import Community, Forum, ForumPair, OutboxMessage, User, utcnow
from forum.services import posting
from forum.services.membership import add_member

PASSWORD = "correct horse battery"
_TMP = tempfile.mkdtemp(prefix="forum-tests-")


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite3"


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as production does: its own app
    context, `g`, locale cache and database session, not the test's.

    CSRF protection stays on in tests: like a browser that read the token from
    the page's form, the client sends it with every state change (form field,
    or the X-CSRFToken header for JSON and raw bodies). `csrf=False` sends a
    request without it, as a forged one or a mail provider's would be.
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and not _is_request_object(args):
            _add_csrf_token(self, kwargs)
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        """The signed token a page of this session would carry in its forms."""
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)


def _is_request_object(args) -> bool:
    return bool(args) and not isinstance(args[0], str)


def _add_csrf_token(client: IsolatedClient, kwargs: dict) -> None:
    data = kwargs.get("data")
    if data is None and "json" not in kwargs:
        kwargs["data"] = {"csrf_token": client.csrf_token()}
    elif isinstance(data, dict):
        if "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": client.csrf_token()}
    elif hasattr(data, "getlist"):  # a MultiDict with repeated fields
        if "csrf_token" not in data:
            data = data.copy()
            data["csrf_token"] = client.csrf_token()
            kwargs["data"] = data
    else:
        headers = dict(kwargs.get("headers") or {})
        headers.setdefault("X-CSRFToken", client.csrf_token())
        kwargs["headers"] = headers


@pytest.fixture(scope="session")
def app():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(_database_url()),
                     MAIL_FILE_DIR=f"{_TMP}/mail")
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Each test starts with empty tables and fresh rate-limit counters, and CSRF protection on
    (a fixture that turned it off for the rest of the session once hid every missing token)."""
    assert app.config.get("WTF_CSRF_ENABLED", True), "an earlier test turned CSRF protection off"
    ctx = app.app_context()
    ctx.push()
    yield
    _db.session.remove()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())
    limiter.reset()
    page_cache.clear(app)  # the generation starts again with the emptied tables
    ctx.pop()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- builders ---------------------------------------------------------------

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


@pytest.fixture
def make_user(db):
    def make(name: str | None = None, *, email: str | None = None, confirmed: bool = True,
             locale: str = "es", **fields) -> User:
        n = _next()
        name = name or f"Person {n}"
        user = User(email=email or f"person{n}@example.org", display_name=name,
                    handle=fields.pop("handle", f"person{n}"), locale=locale,
                    email_confirmed_at=utcnow() if confirmed else None, **fields)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def make_community(db):
    def make(slug: str | None = None, *, visibility: str = "public", join_policy: str = "open",
             members: dict | None = None, **fields) -> Community:
        n = _next()
        community = Community(slug=slug or f"community-{n}", name_es=f"Comunidad {n}",
                              name_en=f"Community {n}", description_es="Descripción",
                              description_en="Description", visibility=visibility,
                              join_policy=join_policy, timezone=fields.pop("timezone", "America/Santiago"),
                              **fields)
        db.session.add(community)
        db.session.flush()
        for user, role in (members or {}).items():
            add_member(user, community, role=role)
        db.session.commit()
        return community
    return make


@pytest.fixture
def make_pair(db, make_user):
    """A forum pair (es + en) with `questions` guiding questions in each forum."""
    def make(community: Community, *, questions: int = 2, opens_in: timedelta = timedelta(days=-1),
             lasts: timedelta = timedelta(days=60), slug: str | None = None) -> ForumPair:
        n = _next()
        slug = slug or f"pair-{n}"
        organizer = make_user(f"Organizer {n}")
        add_member(organizer, community, role="organizer")
        opens = utcnow() + opens_in
        pair = ForumPair(community_id=community.id, slug=slug, opens_at=opens, closes_at=opens + lasts)
        db.session.add(pair)
        db.session.flush()
        for lang, title in (("es", f"Foro {n}"), ("en", f"Forum {n}")):
            forum = Forum(pair_id=pair.id, community_id=community.id, language=lang,
                          slug=f"{slug}-{lang}", title=title, concept_note_md="Nota",
                          concept_note_html="<p>Nota</p>")
            db.session.add(forum)
            db.session.flush()
            for position in range(1, questions + 1):
                posting.create_thread(forum, organizer, title=f"{title}: question {position}",
                                      body=f"Question {position} ({lang})", kind="guiding_question",
                                      position=position)
        db.session.commit()
        return pair
    return make


def forum_of(pair: ForumPair, language: str) -> Forum:
    return next(f for f in pair.forums if f.language == language)


def thread_url(thread) -> str:
    forum = thread.forum
    return f"/c/{forum.community.slug}/f/{forum.slug}/threads/{thread.id}"


@pytest.fixture
def login(client):
    def do(user: User, password: str = PASSWORD, the_client=None):
        c = the_client or client
        c.post("/auth/logout")  # signing in while signed in would keep the first person
        response = c.post("/auth/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.data[:500]
        return c
    return do


# --- counting queries ---------------------------------------------------------

@pytest.fixture
def count_queries(app):
    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, params, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
                statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)
    return counting


# --- a real SMTP server on loopback -----------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What a real SMTP server (aiosmtpd) on loopback received, parsed."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.fail_next = 0
        self.fail_after = None  # accept this many, then fail the next `fail_next`

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail_after is not None and self.fail_after > 0:
                self.fail_after -= 1
            elif self.fail_next:
                self.fail_next -= 1
                return "451 Temporary failure, try later"
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_BACKEND"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_BACKEND="smtp")
    yield mailbox
    controller.stop()
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_BACKEND"] = old


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(body: str, path_fragment: str) -> str:
    match = re.search(r"https?://[^\s\"<>]*" + re.escape(path_fragment) + r"[^\s\"<>]*", body)
    assert match, f"no link containing {path_fragment!r} in:\n{body}"
    return match.group(0)


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = _db.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.filter_by(kind=kind)
    return list(_db.session.execute(query).scalars())


def is_postgres() -> bool:
    return _db.engine.dialect.name == "postgresql"


__all__ = ["text"]
