"""A post's body on the way in: cleaned, checked and rendered once, then stored with the version
of the renderer that made its HTML. Posting, moderation (edits), organizing (guiding questions)
and re-rendering share it, so none of them needs the others."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import format_number
from flask_babel import lazy_gettext as _l

from forum.errors import DomainError
from forum.extensions import db
from forum.markup import Rendered, clean_source, parse
from forum.models import Post, User


@dataclass(frozen=True)
class Body:
    """A post's Markdown as it is stored, rendered once: what a save needs from the renderer."""

    md: str
    rendered: Rendered


def prepare_body(body: str | None) -> Body:
    """Clean, check and render a post's text, once (the length first: nothing long is parsed)."""
    body = clean_source(body).strip()
    limit = current_app.config["POST_MAX_LENGTH"]
    if len(body) > limit:
        raise DomainError(
            _l("A post can be at most %(limit)s characters; this one has %(n)s.",
               limit=format_number(limit), n=format_number(len(body))),
            field="body",
        )
    rendered = render_post(body) if body else None
    if rendered is None or not rendered.has_visible_text:
        raise DomainError(_l("Write something before posting."), field="body")
    return Body(body, rendered)


def set_body(post: Post, body: Body) -> None:
    """Store a prepared body and the version of the renderer that made its HTML (no commit)."""
    post.body_md, post.body_html, post.render_version = body.md, body.rendered.html, body.rendered.version


def _profile_url(handle: str) -> str:
    try:
        return url_for("profiles.show", handle=handle)
    except RuntimeError:  # outside a request (seeding, imports, the rerender command)
        return f"/u/{handle}"


def render_post(body: str) -> Rendered:
    """One parse: the sanitised HTML, with links for the @handles that exist (one query) and
    the handles it really mentions (not in code, links or quotes of others)."""
    document = parse(body)
    candidates = document.mention_candidates
    handles = set(db.session.execute(
        db.select(User.handle).where(User.handle.in_(candidates), User.deleted_at.is_(None))
    ).scalars()) if candidates else set()
    return document.render(handles, _profile_url)
