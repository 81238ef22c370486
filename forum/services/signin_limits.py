"""Failed sign-ins counted per account, in the store the web workers share.

The limit per address cannot stop someone who tries one account's password from many
addresses; this one can. When it trips, the owner gets one email with a link to choose a
new password: the way back in, since the lock also holds against the right password.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import lazy_gettext as _l
from limits import parse_many

from forum.extensions import limiter
from forum.services import DomainError
from forum.services.atomic import atomic

SCOPE = "login-account"
LOCKED = _l("Too many failed attempts to sign in to this account. Try again later, or choose a new password "
            "with the link we sent to the account's address (or with “Forgot your password?”).")


class AccountLocked(DomainError):
    """Too many failed sign-ins to this account for now (the page answers 429)."""

    def __init__(self):
        super().__init__(LOCKED)


def _limits():
    return parse_many(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _key(email: str) -> str:
    # A digest: the shared store need not hold anyone's address.
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def _active() -> bool:
    return limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True)


def is_locked(email: str) -> bool:
    if not _active():
        return False
    return not all(limiter.limiter.test(item, SCOPE, _key(email)) for item in _limits())


@atomic
def record_failure(email: str) -> int | None:
    """Count a failed sign-in; when it locks the account, the end of the lock's window (which
    names the one email its owner gets: accounts.sign_in sends it), otherwise None."""
    if not _active():
        return None
    tripped = None
    for item in _limits():
        limiter.limiter.hit(item, SCOPE, _key(email))
        if tripped is None and not limiter.limiter.test(item, SCOPE, _key(email)):
            tripped = item
    if tripped is None:
        return None
    return int(limiter.limiter.get_window_stats(tripped, SCOPE, _key(email)).reset_time)


def clear(email: str | None) -> None:
    """A new password is the way back in: the account's count starts again."""
    if email and _active():
        for item in _limits():
            limiter.limiter.clear(item, SCOPE, _key(email))

