"""The search index: one plain-text document per visible post.

The index itself is database-specific and hangs off this table: on SQLite an
FTS5 table kept in step by triggers; on PostgreSQL a stored `search_vector`
column, computed by the database whenever the row is written (the title
weighted A, the body B, through the document language's configuration), with
one GIN index. Searches then read stored vectors instead of running every
matching document through unaccent and the stemmer again. The same DDL runs
from create_all() (tests) and from the migration.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from forum.extensions import db
from forum.models.types import UTCDateTime

# Text-search configurations: the language's stemmer after unaccent, so that
# "gestion" finds "gestión" (created below on PostgreSQL).
TS_CONFIGS = {"es": "forum_es", "en": "forum_en"}
_BASE_CONFIGS = {"forum_es": "spanish", "forum_en": "english"}

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title, body, "
    "content='search_documents', content_rowid='post_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.post_id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.post_id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body); END",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_fts"]
# The document's configuration, from its language (an immutable expression, so
# that PostgreSQL can store the generated column).
_CONFIG_OF_LANGUAGE = "CASE language " + " ".join(
    f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, config in TS_CONFIGS.items()
) + " ELSE 'simple'::regconfig END"
VECTOR_SQL = (f"setweight(to_tsvector({_CONFIG_OF_LANGUAGE}, title), 'A') || "
              f"setweight(to_tsvector({_CONFIG_OF_LANGUAGE}, body), 'B')")
POSTGRES_DDL = ["CREATE EXTENSION IF NOT EXISTS unaccent"] + [
    f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{name}') THEN "
    f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base}); "
    f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word "
    f"WITH unaccent, {base}_stem; END IF; END $$"
    for name, base in _BASE_CONFIGS.items()
] + [
    "ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS search_vector tsvector "
    f"GENERATED ALWAYS AS ({VECTOR_SQL}) STORED",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_vector ON search_documents USING gin (search_vector) WITH (fastupdate = off)",
]
EXTRA_SCHEMA_NAMES = {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
                      "search_fts_config", "search_fts_content",
                      "search_vector", "ix_search_documents_vector"}


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


@event.listens_for(SearchDocument.__table__, "after_create")
def _after_create(target, connection, **kw):
    install(connection)


for _statement in SQLITE_DROP:
    event.listen(SearchDocument.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
