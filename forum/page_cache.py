"""Whole pages for visitors, rendered once and served again until something they show changes.

A visitor's page depends only on its address, its language and the content it shows (a visitor's
time zone is the community's, part of that content). The key holds the content *generation*: a
number in the database that every commit writing a table visitors' pages read moves on by one
(whatever wrote it: ORM objects or bulk UPDATEs, seen at the cursor), so a cached page is never
served after the write that changed it, by any worker of any server. Kept in the process (a
bounded LRU) and, when PAGE_CACHE_URL or REDIS_URL is set, in Redis for the other servers.

Signed-in people, flashed messages and anything but a 200 are never cached. The CSRF token of
the page's forms is taken out before storing and the reader's own put back when serving.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, get_template_attribute, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.models import CacheGeneration

CONTENT = "content"
GENERATION = "forum.content_generation"
TOKEN = "\x00csrf\x00"
# Writes to these tables never change what a visitor sees: reading marks, watches, sign-ins, mail.
PRIVATE_TABLES = frozenset({
    "thread_reads", "watches", "notifications", "login_sessions", "outbox", "scheduler_leases",
    "cache_generations", "moderation_log", "flags", "invitations", "coder_codes", "code_settlements",
    "assist_vectors", "assist_suggestions", "assist_siblings", "assist_states",
})
# Columns of users no page shows: a sign-in, a digest or a notification does not end the generation.
PRIVATE_USER_COLUMNS = frozenset({
    "password_hash", "locale", "timezone", "email_notifications", "digest_frequency", "last_digest_at",
    "newsletter_opt_in_at", "unread_notification_count", "email_confirmed_at",
})
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET = re.compile(r"\bSET\s+(.*?)\s+WHERE\b", re.IGNORECASE | re.DOTALL)


def changes_content(statement: str) -> bool:
    """Whether an SQL statement writes something a visitor's page may show."""
    match = _WRITE.match(statement)
    if match is None or match.group(1).lower() in PRIVATE_TABLES:
        return False
    if match.group(1).lower() == "users" and statement.lstrip()[:6].upper() == "UPDATE":
        assigned = _SET.search(statement)
        columns = {part.split("=")[0].strip().strip('"') for part in assigned.group(1).split(",")} if assigned else set()
        return not columns or not columns <= PRIVATE_USER_COLUMNS
    return True


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn, cursor, statement, parameters, context, executemany):
    if changes_content(statement):
        conn.info["content_changed"] = True


@event.listens_for(Engine, "rollback")
def _forget_write(conn):
    if conn.invalidated:  # the database went away: the connection and what it noted go with it
        return
    conn.info.pop("content_changed", None)


@event.listens_for(Engine, "commit")
def _forget_after_commit(conn):
    conn.info.pop("content_changed", None)  # a write outside a Session (tests' cleanup) is its own business


@event.listens_for(Session, "before_commit")
def _next_generation(session):
    """In the committing transaction itself: the new content and its generation appear together."""
    session.flush()  # what the commit would flush, so its statements are seen first
    if session.in_transaction() and session.connection().info.pop("content_changed", False):
        bump(session.connection())


def bump(conn) -> None:
    moved = conn.execute(db.update(CacheGeneration).where(CacheGeneration.name == CONTENT)
                         .values(value=CacheGeneration.value + 1)).rowcount
    if not moved:
        conn.execute(db.insert(CacheGeneration).values(name=CONTENT, value=1))


def generation_clause():
    """The generation as a column, for a page that reads it with other things in one statement."""
    return _generation_select().scalar_subquery()


def _generation_select():
    return select(CacheGeneration.value).where(CacheGeneration.name == CONTENT)


def generation() -> int:
    """Read once a request (a page's later writes are only the reader's own marks); kept with the
    request itself, as `g` outlives it when a caller holds an app context across requests."""
    if GENERATION not in request.environ:
        remember_generation(db.session.execute(_generation_select()).scalar())
    return request.environ[GENERATION]


def remember_generation(value: int | None) -> None:
    request.environ[GENERATION] = value or 0


class LocalPages:
    """The process's pages: least recently used dropped first, each kept `seconds` at most."""

    def __init__(self, size: int, seconds: float):
        self.size, self.seconds = size, seconds
        self.pages: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            entry = self.pages.get(key)
            if entry is None or time.monotonic() - entry[0] > self.seconds:
                return None
            self.pages.move_to_end(key)
            return entry[1]

    def set(self, key: str, body: bytes) -> None:
        with self.lock:
            self.pages[key] = (time.monotonic(), body)
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()


class SharedPages:
    """Redis, for pages rendered by another server; any Redis error is a miss."""

    def __init__(self, url: str, seconds: float):
        import redis

        self.client, self.seconds = redis.Redis.from_url(url, socket_timeout=0.2), max(int(seconds), 1)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get(key)
        except Exception:  # redis.RedisError and socket errors: render the page instead
            return None

    def set(self, key: str, body: bytes) -> None:
        try:
            self.client.set(key, body, ex=self.seconds)
        except Exception:  # the page was served; the next visitor renders it again
            pass


def init_app(app) -> None:
    seconds = app.config["PAGE_CACHE_SECONDS"]
    app.extensions["page_cache"] = [LocalPages(app.config["PAGE_CACHE_SIZE"], seconds)]
    app.extensions["post_parts"] = LocalPages(app.config["PAGE_CACHE_SIZE"] * 20, seconds)
    url = app.config.get("PAGE_CACHE_URL")
    if url and seconds:
        app.extensions["page_cache"].append(SharedPages(url, seconds))


def clear(app) -> None:
    app.extensions["page_cache"][0].clear()
    app.extensions["post_parts"].clear()


def _stores():
    return current_app.extensions["page_cache"]


def _cacheable() -> bool:
    return (request.method == "GET" and current_app.config["PAGE_CACHE_SECONDS"] > 0
            and "_flashes" not in session and not current_user.is_authenticated)


def _key() -> str:
    from forum.i18n import locale_code

    return f"page:{generation()}:{locale_code()}:{request.host}{request.full_path}"


def dont_keep() -> None:
    """This answer is of the moment (a search that ran out of time): serve it, never again."""
    request.environ["forum.page_not_kept"] = True


def for_visitors(view):
    """Serve a visitor the page rendered for the previous visitor of the same generation."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        key = _key()
        stores = _stores()
        for level, store in enumerate(stores):
            body = store.get(key)
            if body is not None:
                for nearer in stores[:level]:
                    nearer.set(key, body)
                return make_response(body.replace(TOKEN.encode(), generate_csrf().encode()))
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and response.mimetype == "text/html" and "_flashes" not in session
                and not request.environ.get("forum.page_not_kept")):
            body = response.get_data().replace(generate_csrf().encode(), TOKEN.encode())
            for store in stores:
                store.set(key, body)
        return response
    return wrapper


def post_parts(posts, language: str) -> dict[int, tuple[Markup, Markup]]:
    """Each post's head (author, time, number) and content (what it answers, its cooked HTML),
    rendered once per generation, render version, language and time zone, for every reader:
    the thread page adds only what depends on the reader (forum.views.forums)."""
    if not current_app.config["PAGE_CACHE_SECONDS"]:
        return {}
    from flask_babel import get_timezone

    from forum.i18n import locale_code

    store, head, content = (current_app.extensions["post_parts"], get_template_attribute("_macros.html", "post_head"),
                            get_template_attribute("_macros.html", "post_content"))
    common = f"{generation()}:{language}:{locale_code()}:{get_timezone()}"
    parts = {}
    for post in posts:
        key = f"{post.id}:{post.render_version}:{common}"
        parts[post.id] = store.get(key)
        if parts[post.id] is None:
            parts[post.id] = (Markup(head(post)), Markup(content(post, language)))
            store.set(key, parts[post.id])
    return parts
