"""Full-text search over what a person may read: SQLite FTS5 or PostgreSQL text search.

One plain-text document per visible post (SearchDocument), written when a
post is created or edited and removed when it is deleted or hidden.
Snippets are highlighted with private marker characters, escaped, then turned
into <mark>, so nothing from a post reaches the page unescaped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload
from sqlalchemy import and_, case, column, func, literal_column, or_, select, table, text

from forum.extensions import db
from forum.markup import plain_text
from forum.models import Community, Forum, ForumPair, Post, SearchDocument, Thread, User
from forum.models.search import TS_CONFIGS
from forum.policy import published_pairs_clause, readable_communities_clause

START, STOP = "\x02", "\x03"
PER_PAGE = 20
MAX_QUERY = 200


def index_post(post: Post, thread: Thread) -> None:
    """Write (or rewrite) the post's document; no commit."""
    forum = thread.forum
    values = dict(
        community_id=forum.community_id, forum_id=forum.id, thread_id=thread.id,
        author_id=post.author_id, language=forum.language, created_at=post.created_at,
        title=thread.title if post.number == 1 else "", body=plain_text(post.body_html),
    )
    document = db.session.get(SearchDocument, post.id)
    if document is None:
        db.session.add(SearchDocument(post_id=post.id, **values))
    else:
        for key, value in values.items():
            setattr(document, key, value)
    db.session.flush()


def unindex_post(post: Post) -> None:
    document = db.session.get(SearchDocument, post.id)
    if document is not None:
        db.session.delete(document)
        db.session.flush()


@dataclass
class Filters:
    community: str | None = None  # slug
    forum_id: int | None = None
    author: str | None = None  # handle
    date_from: datetime | None = None
    date_to: datetime | None = None


@dataclass
class Hit:
    post: Post
    snippet: Markup
    title: Markup


def highlight(raw: str | None) -> Markup:
    return Markup(str(escape(raw or "")).replace(START, "<mark>").replace(STOP, "</mark>"))


def _terms(query: str) -> list[str]:
    return re.findall(r"\w+", query.lower())[:12]


def _sqlite_match(terms: list[str]) -> str:
    # Each word as a quoted prefix term: no FTS syntax from users reaches SQLite.
    return " ".join(f'"{t}"*' for t in terms)


def search(user, query: str, filters: Filters, page: int = 1) -> tuple[list[Hit], int]:
    """(hits on this page, total hits): a fixed number of queries whatever the results."""
    terms = _terms((query or "")[:MAX_QUERY])
    if not terms:
        return [], 0
    dialect = db.engine.dialect.name
    doc = SearchDocument
    conditions = [readable_communities_clause(user), published_pairs_clause(user),
                  Thread.hidden_at.is_(None)]
    if filters.community:
        conditions.append(Community.slug == filters.community)
    if filters.forum_id:
        conditions.append(doc.forum_id == filters.forum_id)
    if filters.author:
        conditions.append(doc.author_id == select(User.id).where(User.handle == filters.author.lstrip("@").lower()).scalar_subquery())
    if filters.date_from:
        conditions.append(doc.created_at >= filters.date_from)
    if filters.date_to:
        conditions.append(doc.created_at < filters.date_to)

    if dialect == "sqlite":
        fts = table("search_fts", column("rowid"))
        conditions.append(text("search_fts MATCH :match").bindparams(match=_sqlite_match(terms)))
        snippet = literal_column(f"snippet(search_fts, 1, '{START}', '{STOP}', '…', 24)")
        title = literal_column(f"highlight(search_fts, 0, '{START}', '{STOP}')")
        rank = literal_column("bm25(search_fts, 5.0, 1.0)")
        base = select(doc.post_id).select_from(doc).join(fts, fts.c.rowid == doc.post_id)
        order = rank.asc()
    else:
        phrase = " ".join(terms)
        matches, snippets, titles, ranks = [], [], [], []
        for lang, config in TS_CONFIGS.items():
            vector = func.to_tsvector(config, doc.title + " " + doc.body)
            tsquery = func.plainto_tsquery(config, phrase)
            matches.append(and_(doc.language == lang, vector.op("@@")(tsquery)))
            options = f"StartSel={START}, StopSel={STOP}, MaxWords=40, MinWords=15, MaxFragments=2, FragmentDelimiter=\" … \""
            snippets.append((doc.language == lang, func.ts_headline(config, doc.body, tsquery, options)))
            titles.append((doc.language == lang, func.ts_headline(config, doc.title, tsquery, f"StartSel={START}, StopSel={STOP}, HighlightAll=true")))
            ranks.append((doc.language == lang, func.ts_rank(vector, tsquery)))
        conditions.append(or_(*matches))
        snippet, title, rank = case(*snippets), case(*titles), case(*ranks)
        base = select(doc.post_id).select_from(doc)
        order = rank.desc()

    base = (base.join(Community, Community.id == doc.community_id)
            .join(Forum, Forum.id == doc.forum_id).join(ForumPair, ForumPair.id == Forum.pair_id)
            .join(Thread, Thread.id == doc.thread_id).where(*conditions))
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = db.session.execute(
        base.add_columns(snippet.label("snippet"), title.label("title"))
        .order_by(order, doc.created_at.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    posts = _load_posts([r.post_id for r in rows])
    hits = [Hit(post=posts[r.post_id], snippet=highlight(r.snippet), title=highlight(r.title))
            for r in rows if r.post_id in posts]
    return hits, total


def _load_posts(ids: list[int]) -> dict[int, Post]:
    if not ids:
        return {}
    posts = db.session.execute(
        select(Post).where(Post.id.in_(ids)).options(
            joinedload(Post.author),
            joinedload(Post.thread).joinedload(Thread.forum).joinedload(Forum.community),
        )
    ).unique().scalars()
    return {p.id: p for p in posts}
