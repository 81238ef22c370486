"""Full-text search over what a person may read: SQLite FTS5 or PostgreSQL text search.

One plain-text document per visible post (SearchDocument), written when a
post is created or edited and removed when it is deleted or hidden (only the
posting service calls index_post and unindex_post). Words are stemmed per
language and folded the same way on both databases (search_text, search_match).

A search does bounded work on any size of forum: one statement takes the newest
CANDIDATES matches the person may read, ranks and counts only those, and
returns only the page's rows; it runs under SEARCH_TIMEOUT_MS. Snippets are
marked with private characters, escaped, then turned into <mark>, so nothing
from a post reaches the page unescaped. When a query finds little, a similar
known word is tried ("did you mean"); when it finds nothing, its results are shown.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import String, and_, exists, func, literal, literal_column, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from forum.database import dialect
from forum.extensions import db
from forum.markup import plain_text
from forum.models import Community, Forum, ForumPair, Post, SearchDocument, Thread, User
from forum.models.search import TS_CONFIGS
from forum.policy import published_pairs_clause, readable_communities_clause
from forum.services import DomainError, like_pattern
from forum.services import search_match as match
from forum.services.search_text import (
    Query,
    Term,
    fold,
    highlight_marks,
    parse,
    vocabulary,
)

START, STOP = "\x02", "\x03"
PER_PAGE = 20
MAX_QUERY = 200
# At most this many matches are ranked (the newest): past it the page says "more than 1,000"
# and asks for more precise words, so a common word costs the same on any size of forum.
CANDIDATES = 1000
SUGGEST_BELOW = 3  # fewer results than this: look for a similar, better-known word
_clock = time.monotonic


# --- writing the index (called by the posting service only) ------------------------------

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
        document = SearchDocument(post_id=post.id, **values)
        db.session.add(document)
    else:
        for key, value in values.items():
            setattr(document, key, value)
    db.session.flush()
    _write_fts([document])
    match.add_words(vocabulary(document.title + " " + document.body))


def unindex_post(post: Post) -> None:
    document = db.session.get(SearchDocument, post.id)
    if document is not None:
        db.session.delete(document)
        db.session.flush()
        if dialect() == "sqlite":
            db.session.execute(text("DELETE FROM search_fts WHERE rowid = :id"), {"id": post.id})


def _write_fts(documents) -> None:
    """SQLite: the documents' words and stems into the FTS5 table (PostgreSQL computes its own)."""
    if dialect() != "sqlite" or not documents:
        return
    ids = [{"id": d.post_id} for d in documents]
    db.session.execute(text("DELETE FROM search_fts WHERE rowid = :id"), ids)
    # A language without a text-search configuration is not searched (PostgreSQL's query is per
    # configured language too), so its documents stay out of the index.
    rows = [match.fts_row(d.post_id, d.language, d.author_id, d.title, d.body)
            for d in documents if d.language in TS_CONFIGS]
    if rows:
        db.session.execute(text(match.FTS_INSERT), rows)


def rebuild(batch: int = 2000, progress=None) -> int:
    """Write every document's stems (SQLite), its stored vector (PostgreSQL) and its words (both)
    again: after an upgrade of the stemmer or of the vector's layout (migration 0025), or when
    documents were inserted in bulk. Commits per batch; returns the count."""
    if dialect() == "sqlite":
        db.session.execute(text("DELETE FROM search_fts"))
    done, last = 0, 0
    while True:
        documents = db.session.execute(select(SearchDocument).where(SearchDocument.post_id > last)
                                       .order_by(SearchDocument.post_id).limit(batch)).scalars().all()
        if not documents:
            break
        _write_fts(documents)
        if dialect() == "postgresql":  # the row written again: its vector computed and stored anew
            db.session.execute(update(SearchDocument).where(SearchDocument.post_id.in_([d.post_id for d in documents]))
                               .values(body=SearchDocument.body).execution_options(synchronize_session=False))
        words = set()
        for d in documents:
            words |= vocabulary(d.title + " " + d.body)
        match.add_words(words)
        db.session.commit()
        done, last = done + len(documents), documents[-1].post_id
        if progress:
            progress(done)
    return done


# --- reading it -------------------------------------------------------------------------

@dataclass
class Filters:
    community: str | None = None  # slug
    forum_id: int | None = None
    author: str | None = None  # @handle, or words of a name
    date_from: datetime | None = None
    date_to: datetime | None = None
    other_language: bool = False  # also the same answers in the pair's other forum
    author_ids: list[int] | None = None  # who `author` names, when read first (SQLite: a facet)


@dataclass
class Hit:
    post: Post
    snippet: Markup
    title: Markup
    similar_to: Post | None = None  # a reply in the other language: the result it answers like


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # matches counted, at most CANDIDATES
    more: bool = False  # there are more than CANDIDATES matches
    suggestion: str | None = None  # "did you mean": a query that finds more
    corrected: bool = False  # the hits are the suggestion's: the query itself found nothing
    across: list[Hit] = field(default_factory=list)  # the same answers in the other language

    @property
    def pages(self) -> int:
        return max((self.total + PER_PAGE - 1) // PER_PAGE, 1)


class SearchTimeout(DomainError):
    """The search ran past SEARCH_TIMEOUT_MS and was cancelled (the worker is free again)."""


def highlight(raw: str | None) -> Markup:
    return Markup(str(escape(raw or "")).replace(START, "<mark>").replace(STOP, "</mark>"))


def search(user, query: str, filters: Filters, page: int = 1) -> Results:
    """One page of what this person may read that matches, and a suggestion when it finds
    little: a fixed number of queries, and work bounded by CANDIDATES."""
    parsed = parse((query or "")[:MAX_QUERY])
    if not parsed or page > (CANDIDATES + PER_PAGE - 1) // PER_PAGE:
        return Results()
    with time_limit():
        if filters.author and dialect() == "sqlite":
            filters = replace(filters, author_ids=list(db.session.execute(_authors(filters.author)).scalars()))
            if not filters.author_ids:
                return Results()
        results = _run(user, parsed, filters, page)
        if results.total < SUGGEST_BELOW and page == 1:
            better = _suggest(user, parsed, filters, results.total)
            if better is not None:
                alternative, found = better
                if results.total == 0:
                    found.corrected = True
                    results = found
                results.suggestion = alternative.text()
    if filters.other_language and results.hits:
        results.across = _across(results.hits)
    return results


def _across(hits: list[Hit]) -> list[Hit]:
    """For each result, the closest reply to the same question in the pair's other forum, from what
    the curation assistant stored (`forum.services.assist`): two queries, nothing computed here. The
    other forum belongs to the same pair, so whoever reads the result may read it too."""
    from forum.markup import excerpt
    from forum.services import assist

    shown = {hit.post.id for hit in hits}
    similar = assist.similar_in_sibling([hit.post.id for hit in hits], limit=1)
    pairs: dict[int, Post] = {}
    for hit in hits:
        for other_id, _score in similar.get(hit.post.id, []):
            if other_id not in shown and other_id not in pairs:
                pairs[other_id] = hit.post
    posts = _load_posts(list(pairs))
    return [Hit(post=posts[other_id], snippet=Markup(escape(excerpt(posts[other_id].body_html, 240))),
                title=Markup(escape(posts[other_id].thread.title)), similar_to=source)
            for other_id, source in pairs.items()
            if other_id in posts and posts[other_id].is_live and posts[other_id].thread.hidden_at is None]


def _run(user, parsed: Query, filters: Filters, page: int) -> Results:
    rows = db.session.execute(search_statement(user, parsed, filters, page)).all()
    total = rows[0].total if rows else 0
    if not rows and page > 1:  # past the last page: the first one carries the count
        first = db.session.execute(search_statement(user, parsed, filters, 1)).first()
        total = first.total if first else 0
    posts = _load_posts([r.post_id for r in rows])
    seen: dict[str, dict] = {}  # per language, the words found to match or not
    hits = [Hit(post=posts[r.post_id],
                snippet=highlight(highlight_marks(r.body, parsed, r.language, START, STOP,
                                                  seen=seen.setdefault(r.language, {}))),
                title=highlight(highlight_marks(r.title, parsed, r.language, START, STOP, max_words=60,
                                                seen=seen.setdefault(r.language, {}))))
            for r in rows if r.post_id in posts]
    return Results(hits=hits, total=min(total, CANDIDATES), more=total > CANDIDATES)


def _suggest(user, parsed: Query, filters: Filters, found: int) -> tuple[Query, Results] | None:
    """The query with each plain word replaced by the most similar known word when that word
    alone finds more than twice as much (a typo, or a rare spelling); kept only if the whole
    corrected query then finds more than twice as much too."""
    replacements = {}
    for term in parsed.words[:4]:
        similar = match.similar_words(term.folded, limit=1)
        if similar and _count(user, Query([Term(similar[0], "word")]), filters) > 2 * _count(
                user, Query([term]), filters):
            replacements[term.text] = similar[0]
    if not replacements:
        return None
    alternative = parsed.replaced(replacements)
    results = _run(user, alternative, filters, 1)
    return (alternative, results) if results.total > 2 * found else None


def _count(user, parsed: Query, filters: Filters) -> int:
    row = db.session.execute(search_statement(user, parsed, filters, 1).limit(1)).first()
    return row.total if row else 0


def search_statement(user, parsed: Query, filters: Filters, page: int):
    """The page's rows: post_id, total, language, title and body.

    Innermost: the newest CANDIDATES + 1 matches this person may read, in post order, so an
    index bounds the work (the GIN index on the stored vector for rarer words, the primary key
    read backwards for common ones); then those candidates are ranked, counted and cut to the
    page; last, the page's documents are read for their snippets.
    """
    doc = SearchDocument
    conditions = _visibility_and_filters(user, filters)
    if dialect() == "sqlite":  # newest first straight from FTS5's rowid order: no sort
        base, condition = match.sqlite_candidates(parsed, filters.author_ids)
        newest_first = match.FTS.c.rowid.desc()
    else:
        base, condition = match.postgres_candidates(parsed)
        newest_first = doc.post_id.desc()
    candidates = (_join_visibility(base).where(*conditions, condition)
                  .order_by(newest_first).limit(CANDIDATES + 1).subquery("candidates"))
    counted = select(candidates.c.post_id, candidates.c.rank, func.count().over().label("total"),
                     func.row_number().over(order_by=candidates.c.post_id.desc()).label("newest")).subquery("counted")
    ranked = (select(counted.c.post_id, counted.c.rank, counted.c.total)
              .where(counted.c.newest <= CANDIDATES)  # the extra one only says "more than"
              .order_by(counted.c.rank.desc(), counted.c.post_id.desc())
              .limit(PER_PAGE).offset((page - 1) * PER_PAGE).subquery("page"))
    return (select(ranked.c.post_id, ranked.c.total, doc.language, doc.title, doc.body)
            .join(doc, doc.post_id == ranked.c.post_id)
            .order_by(ranked.c.rank.desc(), ranked.c.post_id.desc()))


def _visibility_and_filters(user, filters: Filters) -> list:
    doc = SearchDocument
    conditions = [readable_communities_clause(user), published_pairs_clause(user), Thread.hidden_at.is_(None)]
    if filters.community:
        conditions.append(Community.slug == filters.community)
    if filters.forum_id:
        conditions.append(doc.forum_id == filters.forum_id)
    if filters.author_ids is not None:
        conditions.append(doc.author_id.in_(filters.author_ids))
    elif filters.author:
        conditions.append(doc.author_id.in_(_authors(filters.author)))
    if filters.date_from:
        conditions.append(doc.created_at >= filters.date_from)
    if filters.date_to:
        conditions.append(doc.created_at < filters.date_to)
    return conditions


def _authors(value: str):
    """Who "author" names: @handle exactly, or people whose handle it is or whose name has
    every word (at most 50 of them)."""
    value = value.strip()
    if value.startswith("@"):
        return select(User.id).where(User.handle == value[1:].lower())
    return (select(User.id).where(or_(User.handle == value.lower(), _name_has_words(value)),
                                  User.deleted_at.is_(None)).limit(50))


def _name_has_words(value: str):
    """Every word at the start of a word of the name (or the handle), accents aside. The name is
    folded once a row and a space put before it, so one LIKE '% word%' finds a word at its start
    or after a space. On PostgreSQL the expression is the one ix_users_names_trgm indexes (see
    forum/models/search.py), so words of 3+ letters read the index instead of every member."""
    if dialect() == "postgresql":
        spaced = literal_column("' '", String) + func.forum_fold(User.display_name)
    else:
        spaced = literal(" ") + func.lower(User.display_name)
    clauses = []
    for word in value.split()[:5]:
        folded = fold(word)
        starts = like_pattern(folded)[1:]  # 'word%'
        clauses.append(or_(spaced.like("% " + starts, escape="\\"), func.lower(User.handle).like(starts, escape="\\")))
    return and_(*clauses)


def people(user, query: str, limit: int = 5) -> list[User]:
    """People whose name matches the words, among the authors of what this person may read."""
    words = [w for w in (query or "")[:MAX_QUERY].split() if len(w) >= 2][:5]
    if not words:
        return []
    doc = SearchDocument
    wrote_readable = exists(select(doc.post_id).join(Community, Community.id == doc.community_id)
                            .where(doc.author_id == User.id, readable_communities_clause(user)))
    with time_limit():
        return list(db.session.execute(
            select(User).where(_name_has_words(" ".join(words)), User.deleted_at.is_(None), wrote_readable)
            .order_by(User.display_name, User.id).limit(limit)).scalars())


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


@contextmanager
def time_limit():
    """Cancel the statements inside after SEARCH_TIMEOUT_MS: on PostgreSQL with a local
    statement_timeout, on SQLite with a progress handler; either way a SearchTimeout."""
    limit = current_app.config["SEARCH_TIMEOUT_MS"]
    if dialect() == "postgresql":
        # Once a transaction, kept to its end: the page's few later reads are as bounded, and a
        # search page (results, then people) spends two statements on it instead of four.
        transaction = db.session().get_transaction()
        if transaction is None or db.session.info.get("search_time_limit") is not transaction:
            db.session.execute(text(f"SET LOCAL statement_timeout = {int(limit)}"))
            db.session.info["search_time_limit"] = db.session().get_transaction()
        try:
            yield
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "57014":  # query_canceled
                raise
            _timed_out(exc)
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
