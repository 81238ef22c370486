"""Small request-side helpers shared by the blueprints."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from forum.extensions import db, limiter
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


def _posting_limit() -> str:
    return current_app.config["POSTING_RATE_LIMIT"]


def _poster_key() -> str:
    return f"poster:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "anonymous"


def is_preview() -> bool:
    """The preview button was pressed: `preview=1` (posts) or `action=preview` (concept notes)."""
    return bool(request.form.get("preview")) or request.form.get("action") == "preview"


def limit_posting(view):
    """POSTING_RATE_LIMIT per person and page for what saves a text (previews count apart)."""
    return limiter.limit(_posting_limit, methods=["POST"], key_func=_poster_key, exempt_when=is_preview)(view)


def limit_previews(view):
    """Rendering a preview costs what rendering a post costs: POSTING_RATE_LIMIT per person,
    one allowance shared by every preview button of the site."""
    return limiter.shared_limit(_posting_limit, scope="preview", methods=["POST"], key_func=_poster_key,
                                exempt_when=lambda: not is_preview())(view)


def get_or_none(model, ident):
    """A row by primary key (from the session's identity map when loaded): the one read a view
    makes itself, before a permission check; every other read is a service's."""
    return db.session.get(model, ident)


def get_or_404(model, ident, within=None):
    """A row by primary key, or 404 when it is missing or `within(row)` is false (another
    community's row, a deleted one): the same answer as for a row that does not exist."""
    obj = get_or_none(model, ident)
    if obj is None or (within is not None and not within(obj)):
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


FIELDS_BEFORE_FILE_LIMIT = 64 * 1024


def fields_before_the_file(limit: int = FIELDS_BEFORE_FILE_LIMIT):
    """The text fields a too-large upload form sent before its file (a MultiDict).

    A request over MAX_CONTENT_LENGTH is refused before its body is read, so the form is
    lost; its first bytes still hold the fields typed above the file input (a browser sends
    them in page order). Only those first bytes are read, never the file.
    """
    from werkzeug.datastructures import MultiDict
    from werkzeug.http import parse_options_header

    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    fields = MultiDict()
    if request.mimetype != "multipart/form-data" or not boundary:
        return fields
    head = request.environ["wsgi.input"].read(limit)
    for part in head.split(b"--" + boundary)[1:-1]:  # the last piece may be cut short
        headers, found, value = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        disposition = next((line.split(b":", 1)[1] for line in headers.split(b"\r\n")
                            if line.lower().startswith(b"content-disposition:")), b"")
        _kind, options = parse_options_header(disposition.decode("utf-8", "replace"))
        if not found or "filename" in options or "name" not in options:
            break  # the file: what follows it is not read
        fields.add(options["name"], value.removesuffix(b"\r\n").decode("utf-8", "replace"))
    return fields
