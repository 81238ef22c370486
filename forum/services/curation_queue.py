"""The curation queue: a pair's replies, filtered and paginated, in a fixed number of queries
whatever the forum's size, and the small actions moderators repeat hundreds of times (one theme
on or off, a highlight, the same action on a selection of posts).

Assistance (theme suggestions, the same answer in the other language) comes from
`forum.services.assist` when it is installed, read from what its job stored, never computed here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import CoderCode, Forum, ForumPair, Post, PostTheme, Thread, User
from forum.services import DomainError, agreement, moderation
from forum.services.atomic import atomic
from forum.timezones import community_zone, day_range

PER_PAGE = 20
BULK_LIMIT = 200


@dataclass
class QueueFilters:
    question: int | None = None
    language: str | None = None
    theme: int | None = None
    untagged: bool = False
    highlighted: bool = False
    start: date | None = None
    end: date | None = None
    country: str | None = None
    sector: str | None = None

    def args(self) -> dict[str, str]:
        """The filters as query parameters, for links and the pager."""
        values = {"question": self.question, "language": self.language, "theme": self.theme,
                  "untagged": "1" if self.untagged else None, "highlighted": "1" if self.highlighted else None,
                  "start": self.start.isoformat() if self.start else None,
                  "end": self.end.isoformat() if self.end else None, "country": self.country, "sector": self.sector}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class QueueItem:
    post: Post
    position: int
    language: str
    theme_ids: set[int]
    suggestions: list = field(default_factory=list)   # assist.Suggestion, best first
    similar: list = field(default_factory=list)       # (post id, similarity) in the other language


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    pages: int
    filters: QueueFilters


def _coding(pair: ForumPair, viewer: User | None):
    """The codes the viewer works on: their own layer when two coders code independently,
    the agreed coding otherwise (as a select of post_id, theme_id)."""
    if pair.independent_coding and viewer is not None:
        return select(CoderCode.post_id, CoderCode.theme_id).where(CoderCode.coder_id == viewer.id).subquery()
    return select(PostTheme.post_id, PostTheme.theme_id).subquery()


def _conditions(pair: ForumPair, filters: QueueFilters, codes) -> list:
    conditions = [Forum.pair_id == pair.id, Thread.kind == "guiding_question", Post.number > 1, Post.is_live]
    if filters.question:
        conditions.append(Thread.position == filters.question)
    if filters.language:
        conditions.append(Forum.language == filters.language)
    if filters.theme:
        conditions.append(Post.id.in_(select(codes.c.post_id).where(codes.c.theme_id == filters.theme)))
    if filters.untagged:
        conditions.append(Post.id.not_in(select(codes.c.post_id)))
    if filters.highlighted:
        conditions.append(Post.is_highlight.is_(True))
    if filters.start or filters.end:
        start, end = day_range(filters.start, filters.end, community_zone(pair.community))
        if start:
            conditions.append(Post.created_at >= start)
        if end:
            conditions.append(Post.created_at < end)
    if filters.country:
        conditions += [User.country == filters.country, User.show_country.is_(True)]
    if filters.sector:
        conditions += [User.sector == filters.sector, User.show_sector.is_(True)]
    return conditions


def queue(pair: ForumPair, filters: QueueFilters, page: int = 1, per_page: int = PER_PAGE,
          viewer: User | None = None) -> QueuePage:
    """One page of the queue, oldest first, in at most five queries (count, posts, themes, and
    the assistant's two reads). With independent coding, the viewer sees only their own codes."""
    codes = _coding(pair, viewer)
    conditions = _conditions(pair, filters, codes)
    joined = (select(Post, Thread.position, Forum.language).join(Thread, Thread.id == Post.thread_id)
              .join(Forum, Forum.id == Thread.forum_id).outerjoin(User, User.id == Post.author_id))
    total = db.session.execute(
        select(func.count(Post.id)).select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .join(Forum, Forum.id == Thread.forum_id).outerjoin(User, User.id == Post.author_id)
        .where(*conditions)).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(joined.where(*conditions).order_by(Post.created_at, Post.id)
                              .offset((page - 1) * per_page).limit(per_page)
                              .options(joinedload(Post.author))).all()
    ids = [post.id for post, _p, _l in rows]
    themes_of: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for post_id, theme_id in db.session.execute(
                select(codes.c.post_id, codes.c.theme_id).where(codes.c.post_id.in_(ids))):
            themes_of[post_id].add(theme_id)
    suggestions, similar = _assistance(ids)
    items = [QueueItem(post=post, position=position, language=language, theme_ids=themes_of[post.id],
                       suggestions=[s for s in suggestions.get(post.id, []) if s.theme_id not in themes_of[post.id]],
                       similar=similar.get(post.id, []))
             for post, position, language in rows]
    return QueuePage(items=items, total=total, page=page, pages=pages, filters=filters)


def _assistance(ids: list[int]) -> tuple[dict, dict]:
    try:
        from forum.services import assist
    except ImportError:  # the assistant is optional: the queue works without it
        return {}, {}
    if not ids:
        return {}, {}
    return assist.suggestions(ids), assist.similar_in_sibling(ids)


def _post_of_pair(pair: ForumPair, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.thread.forum.pair_id != pair.id or not post.is_live or post.number == 1:
        raise DomainError(_l("This post is not among the replies of this forum pair."))
    return post


@atomic
def toggle_theme(moderator: User, post: Post, theme_id: int, on: bool) -> list[int]:
    """One theme on or off, leaving the post's other themes as they are; returns the theme ids now
    on the post (the moderator's own when coding independently)."""
    if post.thread.forum.pair.independent_coding:
        return agreement.toggle(moderator, post, theme_id, on)
    current = set(db.session.execute(select(PostTheme.theme_id).filter_by(post_id=post.id)).scalars())
    wanted = (current | {theme_id}) if on else (current - {theme_id})
    if theme_id not in {t.id for t in post.thread.forum.pair.themes}:
        raise DomainError(_l("Choose a theme of this pair's codebook."))
    return [t.id for t in moderation.set_themes(moderator, post, sorted(wanted))]


@atomic
def bulk(moderator: User, pair: ForumPair, post_ids: list[int], action: str, theme_id: int | None) -> int:
    """The same action on each selected reply; returns how many posts it changed or confirmed."""
    if not post_ids:
        raise DomainError(_l("Select at least one post."))
    if len(post_ids) > BULK_LIMIT:
        raise DomainError(_l("Select at most %(n)d posts at a time.", n=BULK_LIMIT))
    if action in ("add_theme", "remove_theme") and theme_id not in {t.id for t in pair.themes}:
        raise DomainError(_l("Choose a theme of this pair's codebook."))
    if action not in ("add_theme", "remove_theme", "highlight", "unhighlight"):
        raise DomainError(_l("Choose an action from the list."))
    posts = [_post_of_pair(pair, post_id) for post_id in dict.fromkeys(post_ids)]
    for post in posts:
        if action in ("add_theme", "remove_theme"):
            toggle_theme(moderator, post, theme_id, action == "add_theme")
        elif post.is_highlight != (action == "highlight"):
            moderation.set_highlight(moderator, post, action == "highlight")
    return len(posts)


@atomic
def carry_themes(moderator: User, source: Post, target: Post) -> int:
    """The source's themes added to the same answer in the other language; returns how many were new."""
    if source.thread.forum.pair_id != target.thread.forum.pair_id or target.number == 1 or not target.is_live:
        raise DomainError(_l("This post is not among the replies of this forum pair."))
    if source.thread.forum.pair.independent_coding:
        mine = agreement.codes_of(moderator, [source.id, target.id])
        if not mine[source.id]:
            raise DomainError(_l("Give this post its themes first."))
        for theme_id in sorted(mine[source.id] - mine[target.id]):
            agreement.toggle(moderator, target, theme_id, True)
        return len(mine[source.id] - mine[target.id])
    theirs = set(db.session.execute(select(PostTheme.theme_id).filter_by(post_id=target.id)).scalars())
    mine = set(db.session.execute(select(PostTheme.theme_id).filter_by(post_id=source.id)).scalars())
    if not mine:
        raise DomainError(_l("Give this post its themes first."))
    moderation.set_themes(moderator, target, sorted(theirs | mine))
    return len(mine - theirs)
