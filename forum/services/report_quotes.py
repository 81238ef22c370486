"""Quotes moderators choose for the synthesis report: a passage of a live post, with its theme.

A quote must be a passage of the post as readers see it (spacing and line breaks aside), so
what the report cites is what the person wrote; choosing the same passage twice, even at the
same moment from two tabs, keeps one.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.markup import paragraph_text
from forum.models import QUOTE_MAX_LENGTH, Post, ReportQuote, Theme, User
from forum.policy import ensure
from forum.services import DomainError
from forum.services.atomic import atomic
from forum.services.moderation import log

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip()


def is_passage(text: str, post: Post) -> bool:
    return bool(text) and _squash(text).casefold() in _squash(paragraph_text(post.body_html)).casefold()


@atomic
def choose(moderator: User, post: Post, text: str, theme_id: int | None = None) -> ReportQuote:
    pair = post.thread.forum.pair
    ensure(moderator, "community.moderate", pair.community)
    text = _squash(text)
    if not text:
        raise DomainError(_l("Paste or type the passage to quote."), field="text")
    if len(text) > QUOTE_MAX_LENGTH:
        raise DomainError(_l("A quote can be at most %(max)d characters; this one has %(n)d.",
                             max=QUOTE_MAX_LENGTH, n=len(text)), field="text")
    if not post.is_live:
        raise DomainError(_l("Only published posts can be quoted in the report."))
    if not is_passage(text, post):
        raise DomainError(_l("The quote must be a passage of the post, word for word."), field="text")
    theme = db.session.get(Theme, theme_id) if theme_id else None
    if theme is not None and theme.pair_id != pair.id:
        theme = None
    existing = db.session.execute(select(ReportQuote).filter_by(post_id=post.id, text=text)).scalar_one_or_none()
    if existing is not None:
        return existing
    quote = ReportQuote(pair_id=pair.id, post_id=post.id, text=text, theme_id=theme.id if theme else None,
                        chosen_by_id=moderator.id)
    try:
        with db.session.begin_nested():
            db.session.add(quote)
    except IntegrityError:  # the same passage chosen at the same moment elsewhere
        return db.session.execute(select(ReportQuote).filter_by(post_id=post.id, text=text)).scalar_one()
    log(pair.community, moderator, "choose_quote", "post", post.id, after=text)
    return quote


@atomic
def remove(moderator: User, quote: ReportQuote) -> None:
    ensure(moderator, "community.moderate", quote.post.thread.forum.community)
    log(quote.post.thread.forum.community, moderator, "remove_quote", "post", quote.post_id, before=quote.text)
    db.session.delete(quote)


def of_posts(post_ids: list[int]) -> dict[int, list[ReportQuote]]:
    """The chosen quotes of these posts, in one query."""
    found: dict[int, list[ReportQuote]] = {}
    if post_ids:
        for quote in db.session.execute(select(ReportQuote).where(ReportQuote.post_id.in_(post_ids))
                                        .order_by(ReportQuote.id)).scalars():
            found.setdefault(quote.post_id, []).append(quote)
    return found


def of_pair(pair_id: int) -> list[ReportQuote]:
    return list(db.session.execute(select(ReportQuote).where(ReportQuote.pair_id == pair_id)
                                   .options(joinedload(ReportQuote.theme)).order_by(ReportQuote.id)).scalars())
