"""Small request-side helpers shared by the blueprints."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, flash, g, request
from werkzeug.routing import IntegerConverter

from forum.extensions import db
from forum.policy import can


DIGITS = re.compile(r"[0-9]+")
MAX_ID = 2**31 - 1  # PostgreSQL integer: larger ids cannot exist
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """`<id:thread_id>`: a positive database id; anything else is a 404, not a 500."""

    def __init__(self, map):
        super().__init__(map, min=1, max=MAX_ID)


def parse_id(value) -> int | None:
    """A form or query value as a database id, or None."""
    value = str(value or "").strip()
    if not DIGITS.fullmatch(value) or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths, so `next` cannot send people elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def require(user, action: str, obj) -> None:
    """404 rather than 403 for what the person may not even know exists."""
    if not can(user, action, obj):
        abort(404 if action.endswith(".view") else 403)


def form_error(form, error) -> None:
    """Put a service's DomainError next to its field, or flash it when it has none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [str(error.message)]
    else:
        flash(str(error.message), "error")


def use_community_timezone(community) -> None:
    g.community_timezone = community.timezone


def page_arg() -> int:
    value = request.args.get("page", "1")
    if not DIGITS.fullmatch(value) or len(value) > 6:
        return 1
    return min(max(int(value), 1), MAX_PAGE)


def pager_args(args, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters a pager may carry over: only the page's own filters."""
    return {key: args[key] for key in allowed if args.get(key)}



def flash_outcome(action, success: str) -> bool:
    """Run a service call: flash its DomainError, or `success`. Returns whether it worked."""
    from forum.services import DomainError

    try:
        action()
    except DomainError as error:
        flash(str(error.message), "error")
        return False
    flash(success, "success")
    return True


def show_errors(form, error, form_level: tuple[str, ...] = ("questions", "speakers")) -> None:
    """A service's errors next to their fields; those about a list of rows (or with no field) on top."""
    for name, message in getattr(error, "errors", {error.field or "": error.message}).items():
        target = getattr(form, name, None) if name not in form_level else None
        if target is not None:
            if str(message) not in target.errors:
                target.errors = list(target.errors) + [str(message)]
        else:
            form.form_errors.append(str(message))
