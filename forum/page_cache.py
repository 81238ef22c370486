"""Whole pages, rendered once and served again until something they show changes.

A visitor's page depends only on its address, its language and the content it shows (a visitor's
time zone is the community's, part of that content). The key holds the content *generation*: a
number in the database that every commit writing a table visitors' pages read moves on by one
(whatever wrote it: ORM objects or bulk UPDATEs, seen at the cursor), so a cached page is never
served after the write that changed it, by any worker of any server.

A member's page is kept for that member alone: its key adds their id and time zone and the
*private* generation, which every commit writing what only signed-in people see (reading marks,
watches, notifications, flags, the users' private columns...) moves on, site-wide. Both
generations are read in one statement, with the member themself (services/sessions.load).

Kept in the process (two bounded LRUs, so members' pages do not push out visitors') and, when
PAGE_CACHE_URL or REDIS_URL is set, in Redis for the other servers. Flashed messages, anything
but a 200 and a page whose own request moved a generation are never kept. The CSRF token of the
page's forms is taken out before storing and the reader's own put back when serving.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from functools import lru_cache, wraps

from flask import current_app, get_template_attribute, has_request_context, make_response, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from forum.database import upsert
from forum.extensions import db
from forum.models import CacheGeneration

CONTENT, PRIVATE = "content", "private"
GENERATIONS = "forum.generations"
MOVED_HERE = "forum.generation_moved"
WRITTEN = "generations_written"
TOKEN = "\x00csrf\x00"
# Writes no page shows: sign-ins ("last seen" is written on ordinary requests), mail, the
# scheduler's lease and the generations themselves move neither generation.
UNSEEN_TABLES = frozenset({"login_sessions", "outbox", "scheduler_leases", "cache_generations"})
# Writes to these tables never change what a visitor sees, only what signed-in people see.
PRIVATE_TABLES = UNSEEN_TABLES | frozenset({
    "thread_reads", "watches", "notifications", "moderation_log", "flags", "invitations", "coder_codes",
    "code_settlements", "assist_vectors", "assist_suggestions", "assist_siblings", "assist_states",
})
# Columns of users no visitor's page shows: a sign-in, a digest or a notification moves only the
# private generation.
PRIVATE_USER_COLUMNS = frozenset({
    "password_hash", "locale", "timezone", "email_notifications", "digest_frequency", "last_digest_at",
    "newsletter_opt_in_at", "unread_notification_count", "email_confirmed_at",
})
_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET = re.compile(r"\bSET\s+(.*?)\s+WHERE\b", re.IGNORECASE | re.DOTALL)


def written(statement: str) -> str | None:
    """Which generation an SQL statement moves: CONTENT (what visitors may see, and so members
    too), PRIVATE (what only signed-in people see) or None (not a write, or one no page shows)."""
    match = _WRITE.match(statement)
    if match is None or match.group(1).lower() in UNSEEN_TABLES:
        return None
    if match.group(1).lower() in PRIVATE_TABLES:
        return PRIVATE
    if match.group(1).lower() == "users" and statement.lstrip()[:6].upper() == "UPDATE":
        assigned = _SET.search(statement)
        columns = {part.split("=")[0].strip().strip('"') for part in assigned.group(1).split(",")} if assigned else set()
        return PRIVATE if columns and columns <= PRIVATE_USER_COLUMNS else CONTENT
    return CONTENT


def changes_content(statement: str) -> bool:
    """Whether an SQL statement writes something a visitor's page may show."""
    return written(statement) == CONTENT


def _changed_nothing(statement: str, cursor, executemany: bool) -> bool:
    """A write that touched no row (the reader's notifications of a page they had read already):
    the driver's count is exact for one statement without RETURNING, on SQLite and PostgreSQL."""
    return not executemany and cursor.rowcount == 0 and "RETURNING" not in statement.upper()


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn, cursor, statement, parameters, context, executemany):
    kind = written(statement)
    if kind is not None and not _changed_nothing(statement, cursor, executemany):
        conn.info.setdefault(WRITTEN, set()).add(kind)


@event.listens_for(Engine, "rollback")
def _forget_write(conn):
    if conn.invalidated:  # the database went away: the connection and what it noted go with it
        return
    conn.info.pop(WRITTEN, None)


@event.listens_for(Engine, "commit")
def _forget_after_commit(conn):
    conn.info.pop(WRITTEN, None)  # a write outside a Session (tests' cleanup) is its own business


@event.listens_for(Session, "before_commit")
def _next_generation(session):
    """In the committing transaction itself: the new content and its generation appear together.

    Only at the outermost commit, its last statements: a savepoint's release (before_commit fires
    for it too) would lock the generation's row while the transaction goes on, and two requests
    then wait on each other (a reply notifying a member who is marking their notifications read
    deadlocked on PostgreSQL)."""
    if session.get_nested_transaction() is not None:
        return
    session.flush()  # what the commit would flush, so its statements are seen first
    if session.in_transaction():
        for name in sorted(session.connection().info.pop(WRITTEN, ())):
            bump(session.connection(), name)


def bump(conn, name: str = CONTENT) -> None:
    """One statement, the row created when missing (a new database, or a new generation's name)."""
    insert = upsert(CacheGeneration, conn).values(name=name, value=1)
    conn.execute(insert.on_conflict_do_update(index_elements=[CacheGeneration.name],
                                              set_={"value": CacheGeneration.value + 1}))
    if has_request_context():  # what this request rendered before its commit is already old
        request.environ[MOVED_HERE] = True


@lru_cache(maxsize=1)
def generation_columns() -> tuple:
    """The content and private generations as two columns, for a statement that reads them with
    other things (the member's sign-in, the thread page's thread); built once, as constructs are
    immutable and building them costs about as much as running the statement."""
    return tuple(select(CacheGeneration.value).where(CacheGeneration.name == name).scalar_subquery()
                 for name in (CONTENT, PRIVATE))


@lru_cache(maxsize=1)
def _generations_select():
    return select(*generation_columns())


def generations() -> tuple[int, int]:
    """Read once a request (a page's later writes are only the reader's own marks); kept with the
    request itself, as `g` outlives it when a caller holds an app context across requests."""
    if GENERATIONS not in request.environ:
        remember_generations(*db.session.execute(_generations_select()).one())
    return request.environ[GENERATIONS]


def generation() -> int:
    """The content generation: what every reader's posts show."""
    return generations()[0]


def remember_generations(content: int | None, private: int | None) -> None:
    if has_request_context():
        request.environ[GENERATIONS] = (content or 0, private or 0)


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
    app.extensions["member_pages"] = [LocalPages(app.config["PAGE_CACHE_MEMBER_SIZE"], seconds)]
    app.extensions["post_parts"] = LocalPages(app.config["PAGE_CACHE_SIZE"] * 20, seconds)
    url = app.config.get("PAGE_CACHE_URL")
    if url and seconds:
        shared = SharedPages(url, seconds)  # one client; the keys say whose page it is
        app.extensions["page_cache"].append(shared)
        app.extensions["member_pages"].append(shared)


def clear(app) -> None:
    app.extensions["page_cache"][0].clear()
    app.extensions["member_pages"][0].clear()
    app.extensions["post_parts"].clear()


def _reader():
    """Whose page this is: a member (their own pages), None for a visitor, False when the answer
    is not to be kept or served from a cache (a form sent, a message to show, caching off, a member
    whose account was suspended during the request)."""
    if (request.method != "GET" or current_app.config["PAGE_CACHE_SECONDS"] <= 0 or "_flashes" in session):
        return False
    if not current_user.is_authenticated:  # signing in reads the generations (sessions.load)
        return None
    return current_user._get_current_object() if current_user.is_active else False


def _key(member) -> str:
    """Everything a page reads from the request besides the database: the address, the language
    (the `lang` cookie, the member's choice or Accept-Language) and, for a member, who they are
    and their time zone (a visitor's is the community's, part of the content)."""
    from forum.i18n import locale_code

    content, private = generations()
    where = f"{locale_code()}:{request.host}{request.full_path}"
    if member is None:
        return f"page:{content}:{where}"
    return f"member:{content}:{private}:{member.id}:{member.timezone or ''}:{where}"


def dont_keep() -> None:
    """This answer is of the moment (a search that ran out of time): serve it, never again."""
    request.environ["forum.page_not_kept"] = True


def _keep(response) -> bool:
    """A 200 page with no message in it (flashed by the view itself, shown or still to show), not
    of the moment, rendered from what is still the latest of both generations."""
    return (response.status_code == 200 and response.mimetype == "text/html" and "_flashes" not in session
            and not request_ctx.flashes and not request.environ.get("forum.page_not_kept")
            and not request.environ.get(MOVED_HERE))


def for_readers(view):
    """Serve a visitor the page rendered for the previous visitor of the same generation, and a
    member the page rendered for them earlier, while neither generation has moved since."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        member = _reader()
        if member is False:
            return view(*args, **kwargs)
        key = _key(member)
        stores = current_app.extensions["page_cache" if member is None else "member_pages"]
        for level, store in enumerate(stores):
            body = store.get(key)
            if body is not None:
                for nearer in stores[:level]:
                    nearer.set(key, body)
                return make_response(body.replace(TOKEN.encode(), generate_csrf().encode()))
        response = make_response(view(*args, **kwargs))
        if _keep(response):
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
