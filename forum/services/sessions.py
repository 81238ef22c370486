"""Sign-ins kept on the server: start one, recognise it, end it or all of a person's.

Flask keeps its session in a signed cookie, and "keep me signed in" adds a year-long
remember cookie; neither can be taken back once copied. So each sign-in gets a random
id kept here and in both cookies (User.get_id); the user loader accepts a cookie only
while its sign-in exists. Signing out deletes that sign-in; a password reset, a
suspension, a deletion or "sign out everywhere" delete all of the person's.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta
from functools import lru_cache

from flask import current_app, g
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from forum import page_cache
from forum.extensions import db
from forum.models import LoginSession, User, utcnow
from forum.services.atomic import atomic, unit_of_work

# "Last seen" is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=5)


def max_age() -> timedelta:
    """A sign-in lasts as long as its remember cookie could (Flask-Login: a year by default),
    so even a never-ending copy of a session cookie stops working then."""
    duration = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), (re.compile(r"iPhone|iPad|iPod"), "iOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def summarise_agent(agent: str | None) -> str | None:
    """"Firefox · Windows": enough to recognise a device, without keeping the whole string."""
    agent = agent or ""

    def first(table):
        for needle, name in table:
            if (needle.search(agent) if isinstance(needle, re.Pattern) else needle in agent):
                return name
        return None

    parts = [name for name in (first(_BROWSERS), first(_SYSTEMS)) if name]
    return " · ".join(parts) if parts else (agent[:60] or None)


def start(user: User, remember: bool = False, user_agent: str | None = None) -> None:
    """Sign `user` in on this browser, as a new sign-in recorded on the server (saved first);
    `user_agent` is the browser's header, kept short (the view passes it: services do not read
    the request)."""
    now = utcnow()
    with unit_of_work():
        db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                                      LoginSession.created_at < now - max_age()))
        record = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, created_at=now, last_seen_at=now,
                              user_agent=summarise_agent(user_agent))
        db.session.add(record)
    user.login_session_id = record.id
    login_user(user, remember=remember)


@lru_cache(maxsize=1)
def _sign_in():
    """The statement that recognises a sign-in, built once: every signed-in request runs it."""
    return (select(User, LoginSession.last_seen_at, *page_cache.generation_columns())
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.id == bindparam("session_id"), User.id == bindparam("user_id"),
                   LoginSession.created_at > bindparam("since")))


def load(cookie_id: str) -> User | None:
    """The person behind a session or remember cookie, if that sign-in still exists, read with the
    page cache's generations (one query: a member's cached page costs this statement alone)."""
    user_id, _, session_id = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not session_id:
        return None  # a cookie from before sign-ins were recorded, or forged
    row = db.session.execute(_sign_in(), {"session_id": session_id, "user_id": int(user_id),
                                           "since": utcnow() - max_age()}).first()
    if row is None:
        return None
    user, last_seen, content, private = row
    page_cache.remember_generations(content, private)
    if not user.is_active:  # a suspended or deleted account is signed out at its next request
        return None
    user.login_session_id = session_id
    if utcnow() - last_seen > TOUCH_EVERY:
        g.login_session_to_touch = session_id  # after the view: see touch()
    return user


def touch() -> None:
    """Write "last seen", on a connection of its own: the loader may run in the middle of a
    view, whose changes are not this one's to commit."""
    session_id = g.pop("login_session_to_touch", None)
    if session_id:
        try:
            with db.engine.begin() as connection:
                connection.execute(update(LoginSession).where(LoginSession.id == session_id)
                                   .values(last_seen_at=utcnow()))
        except (OperationalError, InterfaceError):
            pass  # the database is away: the page itself says so; "last seen" can wait


@atomic
def end_current() -> None:
    """Sign out here: this sign-in ends on the server too, so a copy of the cookies stops working."""
    session_id = getattr(current_user, "login_session_id", None)
    if session_id:
        db.session.execute(delete(LoginSession).where(LoginSession.id == session_id))
    logout_user()


def end_all(user: User) -> None:
    """End every sign-in of `user` (not committed: part of the caller's change)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def sign_out_everywhere(user: User) -> None:
    with unit_of_work():
        end_all(user)
    logout_user()


def of(user: User) -> list[LoginSession]:
    """The person's sign-ins, most recently used first (for the profile)."""
    return list(db.session.execute(
        select(LoginSession).where(LoginSession.user_id == user.id)
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.created_at.desc())).scalars())
