"""The search index: one plain-text document per visible post, and the vocabulary.

The index proper is database-specific and hangs off the documents table:
- SQLite: an FTS5 table with the folded words (unicode61 takes accents off) and
  the Snowball stems that forum/services/search_text.py writes, tagged with the
  document's language, per title and body, and the document's facets (language
  and author, see forum/services/search_match.py); a trigram table over the vocabulary.
- PostgreSQL: a stored `search_vector` column that the database computes when the
  row is written: the stems through the document language's configuration and
  the folded words through forum_simple, the title weighted A and the body B;
  kept in the row itself (see VECTOR_LAYOUT_DDL); one GIN index on it per searched language,
  and a pg_trgm index over the vocabulary; and one over people's names
  (folded by forum_fold, an immutable unaccent) and handles, for "people whose name matches".
The same DDL runs from create_all() (tests) and from the migrations.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime
from forum.models.user import User

# Text-search configurations per document language, and the folded words of any language.
# Spanish is stemmed as written (its stemmer needs the accents of "-ción" and removes
# them itself); English after unaccent.
TS_CONFIGS = {"es": "forum_es", "en": "forum_en"}
SIMPLE_CONFIG = "forum_simple"
_MAPPINGS = {"forum_es": ("spanish", "spanish_stem"), "forum_en": ("english", "unaccent, english_stem"),
             "forum_simple": ("simple", "unaccent, simple")}

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, title_stems, body_stems, facets, "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TABLE IF NOT EXISTS search_word_trigrams (trigram TEXT NOT NULL, word TEXT NOT NULL, "
    "PRIMARY KEY (trigram, word)) WITHOUT ROWID",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts", "DROP TABLE IF EXISTS search_word_trigrams"]
# The document's configuration, from its language (an immutable expression, so
# that PostgreSQL can store the generated column).
_CONFIG_OF_LANGUAGE = "CASE language " + " ".join(
    f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, config in TS_CONFIGS.items()
) + f" ELSE '{SIMPLE_CONFIG}'::regconfig END"
VECTOR_SQL = " || ".join(
    f"setweight(to_tsvector({config}, {column}), '{weight}')"
    for config in (_CONFIG_OF_LANGUAGE, f"'{SIMPLE_CONFIG}'::regconfig")
    for column, weight in (("title", "A"), ("body", "B"))
)
POSTGRES_CONFIG_DDL = ["CREATE EXTENSION IF NOT EXISTS unaccent", "CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{name}') THEN "
    f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base}); END IF; END $$"
    for name, (base, _) in _MAPPINGS.items()
] + [
    f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word WITH {dictionaries}"
    for name, (_, dictionaries) in _MAPPINGS.items()
]
# A common word is matched (and ranked) row by row over the newest documents: a vector TOASTed
# out of the row cost a fetch from the TOAST table, and decompression, at each of those two
# reads, most of the search's time. Rows up to half a page are left whole (the body, compressed
# first, makes room), and the vector is the last column moved out of one.
VECTOR_LAYOUT_DDL = ["ALTER TABLE search_documents SET (toast_tuple_target = 4080)",
                     "ALTER TABLE search_documents ALTER COLUMN search_vector SET STORAGE MAIN"]
# One GIN index per searched language, a document's language in its predicate: a search matches
# each document against its own language's query (search_match.postgres_candidates), so each arm
# reads its index and no row is checked again. Documents of other languages are not searched.
VECTOR_INDEXES = {lang: f"ix_search_documents_vector_{lang}" for lang in TS_CONFIGS}
VECTOR_INDEX_DDL = [f"CREATE INDEX IF NOT EXISTS {name} ON search_documents USING gin (search_vector) "
                    f"WITH (fastupdate = off) WHERE language = '{lang}'" for lang, name in VECTOR_INDEXES.items()]
POSTGRES_DDL = POSTGRES_CONFIG_DDL + [
    "ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS search_vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR_SQL}) STORED",
] + VECTOR_LAYOUT_DDL + VECTOR_INDEX_DDL
POSTGRES_WORDS_DDL = ["CREATE INDEX IF NOT EXISTS ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)"]
# unaccent() is only STABLE (its dictionary could change), so no index may use it: forum_fold
# names the dictionary and is declared IMMUTABLE. A person's name is searched as
# NAME_FOLDED LIKE '% word%' (a word at its start or after a space), the handle as
# lower(handle) LIKE 'word%'; one trigram index serves both, ORed (a BitmapOr).
FOLD_FUNCTION_DDL = ("CREATE OR REPLACE FUNCTION forum_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
                     "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, lower($1)) $$")
NAME_FOLDED = "' ' || forum_fold(display_name)"
POSTGRES_PEOPLE_DDL = [FOLD_FUNCTION_DDL,
                       f"CREATE INDEX IF NOT EXISTS ix_users_names_trgm ON users USING gin (({NAME_FOLDED}) gin_trgm_ops, "
                       "lower(handle) gin_trgm_ops)"]
EXTRA_SCHEMA_NAMES = {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
                      "search_fts_config", "search_fts_content", "search_word_trigrams",
                      "search_vector", "ix_search_words_trgm", "ix_users_names_trgm", *VECTOR_INDEXES.values()}


def install(connection) -> None:
    """Create the database-specific index (idempotent)."""
    statements = {"sqlite": SQLITE_DDL, "postgresql": POSTGRES_DDL}.get(connection.dialect.name, [])
    for statement in statements:
        connection.exec_driver_sql(statement)


class SearchDocument(db.Model):
    __tablename__ = "search_documents"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forums.id"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")


class SearchWord(db.Model):
    """A folded word seen in some document: what "did you mean" may suggest. Words are never
    removed (a suggestion is only shown when the corrected search finds what the person may read)."""
    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(40), primary_key=True)


@event.listens_for(SearchDocument.__table__, "after_create")
def _after_create(target, connection, **kw):
    install(connection)


@event.listens_for(SearchWord.__table__, "after_create")
def _after_create_words(target, connection, **kw):
    if connection.dialect.name == "postgresql":
        for statement in POSTGRES_CONFIG_DDL[:2] + POSTGRES_WORDS_DDL:
            connection.exec_driver_sql(statement)


@event.listens_for(User.__table__, "after_create")
def _after_create_users(target, connection, **kw):
    if connection.dialect.name == "postgresql":
        for statement in POSTGRES_CONFIG_DDL[:2] + POSTGRES_PEOPLE_DDL:
            connection.exec_driver_sql(statement)


for _statement in SQLITE_DROP:
    event.listen(SearchDocument.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
