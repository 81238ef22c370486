"""Full-text search over what a person may read: SQLite FTS5 or PostgreSQL text search.

One plain-text document per visible post (SearchDocument), written when a
post is created or edited and removed when it is deleted or hidden (only the
posting service calls index_post and unindex_post).
Snippets are highlighted with private marker characters, escaped, then turned
into <mark>, so nothing from a post reaches the page unescaped.

A search does bounded work on any size of forum: one statement takes the newest
CANDIDATES matches the person may read, ranks and counts only those, and
highlights only the page's rows; it runs under SEARCH_TIMEOUT_MS.
"""
from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, case, column, func, literal_column, or_, select, table, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.markup import plain_text
from forum.models import Community, Forum, ForumPair, Post, SearchDocument, Thread, User
from forum.models.search import TS_CONFIGS
from forum.policy import published_pairs_clause, readable_communities_clause
from forum.services import DomainError

START, STOP = "\x02", "\x03"
PER_PAGE = 20
MAX_QUERY = 200
# At most this many matches are ranked (the newest): past it the page says "more than 1,000"
# and asks for more precise words, so a common word costs the same on any size of forum.
CANDIDATES = 1000
_VECTOR = literal_column("search_documents.search_vector")  # PostgreSQL only, see forum/models/search.py
_clock = time.monotonic


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


class SearchTimeout(DomainError):
    """The search ran past SEARCH_TIMEOUT_MS and was cancelled (the worker is free again)."""


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # matches counted, at most CANDIDATES
    more: bool = False  # there are more than CANDIDATES matches

    @property
    def pages(self) -> int:
        return max((self.total + PER_PAGE - 1) // PER_PAGE, 1)


def search(user, query: str, filters: Filters, page: int = 1) -> Results:
    """One page of what this person may read that matches: a fixed number of queries, and work
    bounded by CANDIDATES whatever the size of the forum or the number of matches."""
    terms = _terms((query or "")[:MAX_QUERY])
    if not terms or page > (CANDIDATES + PER_PAGE - 1) // PER_PAGE:
        return Results()
    statement = search_statement(user, terms, filters, page)
    with time_limit():
        rows = db.session.execute(statement).all()
        snippets = _sqlite_snippets(terms, [r.post_id for r in rows]) if _dialect() == "sqlite" else {}
    total = rows[0].total if rows else _count_when_past_the_end(user, terms, filters, page)
    posts = _load_posts([r.post_id for r in rows])
    hits = []
    for row in rows:
        snippet, title = snippets[row.post_id] if row.post_id in snippets else (row.snippet, row.title)
        if row.post_id in posts:
            hits.append(Hit(post=posts[row.post_id], snippet=highlight(snippet), title=highlight(title)))
    return Results(hits=hits, total=min(total, CANDIDATES), more=total > CANDIDATES)


def _count_when_past_the_end(user, terms, filters, page) -> int:
    """A page past the last one has no rows to carry the count: ask the first page."""
    if page == 1:
        return 0
    with time_limit():
        row = db.session.execute(search_statement(user, terms, filters, 1)).first()
    return row.total if row else 0


def _dialect() -> str:
    return db.engine.dialect.name


@contextmanager
def time_limit():
    """Cancel the statements inside after SEARCH_TIMEOUT_MS: on PostgreSQL with a local
    statement_timeout, on SQLite with a progress handler; either way a SearchTimeout."""
    limit = current_app.config["SEARCH_TIMEOUT_MS"]
    if _dialect() == "postgresql":
        db.session.execute(text(f"SET LOCAL statement_timeout = {int(limit)}"))
        try:
            yield
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "57014":  # query_canceled
                raise
            _timed_out(exc)
        db.session.execute(text("SET LOCAL statement_timeout = DEFAULT"))
        return
    raw = db.session.connection().connection.dbapi_connection
    deadline = _clock() + limit / 1000
    raw.set_progress_handler(lambda: 1 if _clock() > deadline else 0, 1000)
    try:
        yield
    except OperationalError as exc:
        if "interrupted" not in str(exc.orig):
            raise
        _timed_out(exc)
    finally:
        raw.set_progress_handler(None, 1000)


def _timed_out(exc) -> None:
    db.session.rollback()
    current_app.logger.warning("search cancelled after SEARCH_TIMEOUT_MS=%s", current_app.config["SEARCH_TIMEOUT_MS"])
    raise SearchTimeout(_l("The search took too long and was stopped. Try more precise words, "
                           "or narrow it to a community or to dates.")) from exc


def search_statement(user, terms: list[str], filters: Filters, page: int):
    """The page's rows (post_id, total, and on PostgreSQL snippet and title).

    Innermost: the newest CANDIDATES + 1 matches this person may read, in post order, so an
    index bounds the work (the GIN index on the stored vector for rarer words, the primary key
    read backwards for common ones); then those candidates are ranked, counted and cut to the
    page; last, only the page's rows are highlighted.
    """
    doc = SearchDocument
    conditions = _visibility_and_filters(user, filters)
    if _dialect() == "sqlite":
        fts = table("search_fts", column("rowid"))
        conditions.append(text("search_fts MATCH :match").bindparams(match=_sqlite_match(terms)))
        base = (select(doc.post_id, (-literal_column("bm25(search_fts, 5.0, 1.0)")).label("rank"))
                .select_from(fts).join(doc, doc.post_id == fts.c.rowid))
    else:
        tsqueries = _tsqueries(terms)
        # One indexable condition (either language's query) for the GIN index, then each
        # document checked against the query of its own language.
        conditions.append(_VECTOR.op("@@")(reduce(lambda a, b: a.op("||")(b), tsqueries.values())))
        conditions.append(or_(*(and_(doc.language == lang, _VECTOR.op("@@")(q)) for lang, q in tsqueries.items())))
        base = select(doc.post_id, doc.language, _VECTOR.label("vector")).select_from(doc)
    candidates = (_join_visibility(base).where(*conditions)
                  .order_by(doc.post_id.desc()).limit(CANDIDATES + 1).subquery("candidates"))
    if _dialect() == "sqlite":
        rank = candidates.c.rank
    else:  # ranked here, over the candidates only
        rank = case(*((candidates.c.language == lang, func.ts_rank(candidates.c.vector, q))
                      for lang, q in tsqueries.items()))
    counted = select(candidates.c.post_id, rank.label("rank"), func.count().over().label("total"),
                     func.row_number().over(order_by=candidates.c.post_id.desc()).label("newest")).subquery("counted")
    ranked = (select(counted.c.post_id, counted.c.rank, counted.c.total)
              .where(counted.c.newest <= CANDIDATES)  # the extra one only says "more than"
              .order_by(counted.c.rank.desc(), counted.c.post_id.desc())
              .limit(PER_PAGE).offset((page - 1) * PER_PAGE).subquery("page"))
    if _dialect() == "sqlite":
        return select(ranked.c.post_id, ranked.c.total).order_by(ranked.c.rank.desc(), ranked.c.post_id.desc())
    return _headlines(ranked, tsqueries)


def _tsqueries(terms: list[str]) -> dict:
    """The query in each language's configuration (stemmed like the documents of that language)."""
    return {lang: func.plainto_tsquery(literal_column(f"'{config}'::regconfig"), " ".join(terms))
            for lang, config in TS_CONFIGS.items()}


def _headlines(ranked, tsqueries: dict):
    """ts_headline for the page's rows only (it parses the whole text again)."""
    doc = SearchDocument
    snippets, titles = [], []
    options = f"StartSel={START}, StopSel={STOP}, MaxWords=40, MinWords=15, ShortWord=0, MaxFragments=2, FragmentDelimiter=\" … \""
    for lang, config in TS_CONFIGS.items():
        regconfig = literal_column(f"'{config}'::regconfig")
        snippets.append((doc.language == lang, func.ts_headline(regconfig, doc.body, tsqueries[lang], options)))
        titles.append((doc.language == lang, func.ts_headline(regconfig, doc.title, tsqueries[lang],
                                                              f"StartSel={START}, StopSel={STOP}, HighlightAll=true")))
    return (select(ranked.c.post_id, ranked.c.total, case(*snippets).label("snippet"), case(*titles).label("title"))
            .join(doc, doc.post_id == ranked.c.post_id)
            .order_by(ranked.c.rank.desc(), ranked.c.post_id.desc()))


def _sqlite_snippets(terms: list[str], ids: list[int]) -> dict[int, tuple[str, str]]:
    """FTS5's snippet and highlight for the page's rows (they need the MATCH of their own query)."""
    if not ids:
        return {}
    rows = db.session.execute(text(
        f"SELECT rowid, snippet(search_fts, 1, '{START}', '{STOP}', '…', 24), "
        f"highlight(search_fts, 0, '{START}', '{STOP}') FROM search_fts "
        "WHERE search_fts MATCH :match AND rowid IN (SELECT value FROM json_each(:ids))"
    ).bindparams(match=_sqlite_match(terms), ids=json.dumps(ids))).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _visibility_and_filters(user, filters: Filters) -> list:
    doc = SearchDocument
    conditions = [readable_communities_clause(user), published_pairs_clause(user), Thread.hidden_at.is_(None)]
    if filters.community:
        conditions.append(Community.slug == filters.community)
    if filters.forum_id:
        conditions.append(doc.forum_id == filters.forum_id)
    if filters.author:
        conditions.append(doc.author_id == select(User.id).where(
            User.handle == filters.author.lstrip("@").lower()).scalar_subquery())
    if filters.date_from:
        conditions.append(doc.created_at >= filters.date_from)
    if filters.date_to:
        conditions.append(doc.created_at < filters.date_to)
    return conditions


def _join_visibility(base):
    doc = SearchDocument
    return (base.join(Community, Community.id == doc.community_id)
            .join(Forum, Forum.id == doc.forum_id).join(ForumPair, ForumPair.id == Forum.pair_id)
            .join(Thread, Thread.id == doc.thread_id))


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
