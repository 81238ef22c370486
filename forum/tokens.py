"""Signed, expiring tokens for emailed links (confirmation, reset, and later
invitations and unsubscribe links): one place that signs and checks them."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from forum.errors import DomainError


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make(purpose: str, data: dict) -> str:
    return _serializer(purpose).dumps(data)


def load(purpose: str, token: str, *, max_age: int | None, expired, invalid) -> dict:
    """The signed data, or DomainError with `expired` or `invalid` (translatable messages)."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError(expired) from None
    except BadSignature:
        raise DomainError(invalid) from None
    if not isinstance(data, dict):
        raise DomainError(invalid)
    return data
