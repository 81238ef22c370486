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
from forum.mail import queue_email
from forum.services import DomainError
from forum.services.atomic import atomic

SCOPE = "login-account"
LOCKED = _l("Too many failed attempts to sign in to this account. Try again later, or choose a new password "
            "with the link we sent to the account's address (or with “Forgot your password?”).")


class AccountLocked(DomainError):
    """Too many failed sign-ins to this account for now (the page answers 429)."""

    def __init__(self):
        super().__init__(LOCKED)


def authenticate(email: str, password: str):
    """accounts.authenticate, counting failures against the account and refusing a locked one,
    even with the right password (the emailed link is the way in)."""
    from forum.services import accounts

    if is_locked(email):
        raise AccountLocked()
    try:
        return accounts.authenticate(email, password)
    except DomainError:
        if record_failure(email):
            raise AccountLocked() from None
        raise


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
def record_failure(email: str) -> bool:
    """Count a failed sign-in; True when the account is now locked (the owner is told, once)."""
    if not _active():
        return False
    tripped = None
    for item in _limits():
        limiter.limiter.hit(item, SCOPE, _key(email))
        if tripped is None and not limiter.limiter.test(item, SCOPE, _key(email)):
            tripped = item
    if tripped is not None:
        # One email per lock: its window's end names it, even if two failures trip it at once.
        window = int(limiter.limiter.get_window_stats(tripped, SCOPE, _key(email)).reset_time)
        _tell_owner(email, window)
    return tripped is not None


def clear(email: str | None) -> None:
    """A new password is the way back in: the account's count starts again."""
    if email and _active():
        for item in _limits():
            limiter.limiter.clear(item, SCOPE, _key(email))


def _tell_owner(email: str, window: int) -> None:
    from forum.services import accounts

    user = accounts.get_by_email(email)
    if user is None or not user.is_active:
        return
    token = accounts.reset_token(user)
    queue_email(to=user, template="signin_locked", token=token,
                dedupe_key=f"signin-locked:{user.id}:{window}")
