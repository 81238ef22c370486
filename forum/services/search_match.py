"""How a parsed query becomes SQL on each database, and the vocabulary's similar words.

Both databases answer the same question (see search_text): per document language,
every term matches by its stem or its folded form (exact terms and phrases only
as written, prefixes by their start). SQLite reads its FTS5 table, PostgreSQL its
stored vector, whose GIN index one condition (any language's query) can use.
"""
from __future__ import annotations

from functools import reduce

from sqlalchemy import and_, case, column, delete, func, literal, literal_column, or_, select, table, text

from forum.database import dialect, upsert
from forum.extensions import db
from forum.models import SearchDocument, SearchWord
from forum.models.search import SIMPLE_CONFIG, TS_CONFIGS
from forum.services.search_text import Query, similarity, tagged, tagged_stems, trigrams, word_stems

VECTOR = literal_column("search_documents.search_vector")  # PostgreSQL only, see forum/models/search.py
FTS = table("search_fts", column("rowid"))
_WORDS = "{title body}"
_STEMS = "{title_stems body_stems}"
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"  # D, C, B (body), A (title): a title counts twice


def per_language(query: Query) -> dict[str, Query]:
    """What to look for in each language's documents: today the same terms everywhere.
    Cross-language search (a forum pair's matched replies) plugs in here, giving each
    language its own terms; both databases build their SQL from this."""
    return {lang: query for lang in TS_CONFIGS}


# --- SQLite ----------------------------------------------------------------------------
# The FTS5 table (forum/models/search.py) holds each document's folded words (title, body), its
# stems tagged with its language (title_stems, body_stems: "es0planif") and its facets: the
# language ("es") and the author ("a42"). A plain word's stems name their language, so one MATCH
# needs no language phrase: bm25 gathers statistics over every phrase of the query, and "es"
# alone is in half the index. An author filter is a facet, so FTS5 leaps between the author's
# few documents instead of reading every match of a common word.

def _fts_word(term, languages) -> str:
    """A word matches by its stem in each language: the stems of a document's words, and of their
    folded forms, include those of anything that folds like it (search_text.tagged_stems), so the
    folded words need no phrase of their own (bm25 would read their doclists once more)."""
    stems = dict.fromkeys(tagged(s, lang) for lang in languages for s in word_stems(term.text, lang))
    return f"{_STEMS} : (" + " OR ".join(f'"{s}"' for s in stems) + ")"


def _fts_term(term, languages) -> str:
    if term.kind == "word":
        return _fts_word(term, languages)
    if term.kind == "prefix":
        return f'{_WORDS} : "{term.folded}" *'
    return f'{_WORDS} : "{term.folded}"'  # exact word or phrase, as written


def fts_match(query: Query, authors: list[int] | None = None) -> str:
    """The FTS5 MATCH expression: every term, in the languages searched (each language its own
    terms when per_language gives them), by one of these authors when given. Terms are \\w+ words."""
    languages = per_language(query)
    if all(terms is query for terms in languages.values()):
        expression = " AND ".join(_fts_term(t, list(languages)) for t in query.terms)
    else:
        expression = " OR ".join(f'(facets : "{lang}" AND ' + " AND ".join(_fts_term(t, [lang]) for t in terms.terms)
                                 + ")" for lang, terms in languages.items())
    if authors is not None:
        expression = f"({expression}) AND facets : (" + " OR ".join(f'"a{a}"' for a in authors) + ")"
    return expression


def facets(language: str, author_id: int | None) -> str:
    """What a document's facets column holds (see fts_match)."""
    return language if author_id is None else f"{language} a{author_id}"


FTS_INSERT = ("INSERT INTO search_fts (rowid, title, body, title_stems, body_stems, facets) "
              "VALUES (:id, :title, :body, :title_stems, :body_stems, :facets)")


def fts_row(post_id: int, language: str, author_id: int | None, title: str, body: str) -> dict:
    """One document's row of the FTS5 table: its words, its tagged stems, its facets."""
    return dict(id=post_id, title=title, body=body, facets=facets(language, author_id),
                title_stems=tagged_stems(title, language), body_stems=tagged_stems(body, language))


def sqlite_candidates(query: Query, authors: list[int] | None = None):
    """(select of post_id and rank, condition) reading the FTS5 table."""
    doc = SearchDocument
    rank = (-literal_column("bm25(search_fts, 2.0, 1.0, 2.0, 1.0, 0.0)")).label("rank")
    base = select(doc.post_id, rank).select_from(FTS).join(doc, doc.post_id == FTS.c.rowid)
    return base, text("search_fts MATCH :match").bindparams(match=fts_match(query, authors))


# --- PostgreSQL ------------------------------------------------------------------------

def _regconfig(name: str):
    return literal_column(f"'{name}'::regconfig")


def _ts_term(term, config: str):
    simple = _regconfig(SIMPLE_CONFIG)
    if term.kind == "word":  # its stem in the document's language, or its folded form
        return func.plainto_tsquery(_regconfig(config), term.text).op("||")(func.plainto_tsquery(simple, term.text))
    if term.kind == "prefix":
        return func.to_tsquery(simple, literal(term.folded + ":*"))
    if term.kind == "phrase":
        return func.phraseto_tsquery(simple, term.text)
    return func.plainto_tsquery(simple, term.text)


def tsqueries(query: Query) -> dict:
    """The whole query in each language's configuration: every term, AND."""
    return {lang: reduce(lambda a, b: a.op("&&")(b), (_ts_term(t, TS_CONFIGS[lang]) for t in terms.terms))
            for lang, terms in per_language(query).items()}


def postgres_candidates(query: Query):
    doc = SearchDocument
    queries = tsqueries(query)
    # Each document against the query of its own language, and nothing more: the planner reads
    # the GIN index for each arm (a rare word), or the primary key backwards with one @@ per row
    # (a common word; a second, "either language" condition cost a second unpacking of each
    # stored vector, a third of the statement's time over 100,000 posts).
    own = or_(*(and_(doc.language == lang, VECTOR.op("@@")(q)) for lang, q in queries.items()))
    # Ranked where matched, while the row is at hand: carrying the 3 kB vector out of the scan
    # made the sort of a rarer word's matches (bitmap scan, then newest first) the slowest step.
    rank = case(*((doc.language == lang, func.ts_rank(literal_column(f"'{RANK_WEIGHTS}'::float4[]"), VECTOR, q, 1))
                  for lang, q in queries.items()))
    return select(doc.post_id, rank.label("rank")).select_from(doc), own


# --- the vocabulary ------------------------------------------------------------------------

def add_words(words: set[str]) -> None:
    """Remember these folded words (and, on SQLite, their trigrams); no commit."""
    if not words:
        return
    rows = [{"word": w} for w in sorted(words)]
    db.session.execute(upsert(SearchWord).on_conflict_do_nothing(), rows)
    if dialect() == "sqlite":
        db.session.execute(text("INSERT OR IGNORE INTO search_word_trigrams (trigram, word) VALUES (:t, :w)"),
                           [{"t": t, "w": w} for w in sorted(words) for t in sorted(trigrams(w))])


def clear_words() -> None:
    """Forget every known word (search.rebuild() fills the vocabulary again); no commit."""
    db.session.execute(delete(SearchWord))
    if dialect() == "sqlite":
        db.session.execute(text("DELETE FROM search_word_trigrams"))


def similar_words(word: str, limit: int = 5, threshold: float = 0.3) -> list[str]:
    """Known words that look like this one, most alike first (pg_trgm's similarity on both)."""
    if dialect() == "postgresql":
        return list(db.session.execute(
            select(SearchWord.word).where(SearchWord.word.op("%")(word), SearchWord.word != word)
            .order_by(func.similarity(SearchWord.word, word).desc(), SearchWord.word).limit(limit)
        ).scalars())
    grams = sorted(trigrams(word))
    rows = db.session.execute(text(
        "SELECT word FROM search_word_trigrams WHERE trigram IN (SELECT value FROM json_each(:grams)) "
        "AND word != :word GROUP BY word ORDER BY count(*) DESC LIMIT 50"
    ).bindparams(grams=_json(grams), word=word)).scalars().all()
    scored = sorted(((similarity(word, w), w) for w in rows), key=lambda p: (-p[0], p[1]))
    return [w for score, w in scored if score >= threshold][:limit]


def _json(values) -> str:
    import json

    return json.dumps(values)
