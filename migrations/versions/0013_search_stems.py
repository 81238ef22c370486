"""Search per language on both databases, typo tolerance: stems on SQLite, stems and folded
words in PostgreSQL's stored vector, and a vocabulary for "did you mean".

- SQLite: the FTS5 table is rebuilt with the Snowball stems (PyStemmer) beside the words,
  and no longer kept by triggers (the search service writes it).
- PostgreSQL: forum_es stems words as written (its stemmer needs the accents of "-ción"),
  forum_simple folds words; the stored vector holds both, so it is computed again.
- Both: the search_words vocabulary (pg_trgm index on PostgreSQL, a trigram table on SQLite),
  filled from the documents.

Stems and words come from forum/services/search_text.py as it is when this runs; if the
stemmer changes later, `flask --app forum search reindex` writes them again.

Revision ID: 0013_search_stems
Revises: 0012_search_vector
Create Date: 2026-11-30 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013_search_stems'
down_revision = '0012_search_vector'
branch_labels = None
depends_on = None

# A frozen copy of forum/models/search.py at this revision.
_CONFIG_OF_LANGUAGE = ("CASE language WHEN 'es' THEN 'forum_es'::regconfig "
                       "WHEN 'en' THEN 'forum_en'::regconfig ELSE 'forum_simple'::regconfig END")
VECTOR_SQL = " || ".join(
    f"setweight(to_tsvector({config}, {column}), '{weight}')"
    for config in (_CONFIG_OF_LANGUAGE, "'forum_simple'::regconfig")
    for column, weight in (("title", "A"), ("body", "B"))
)
OLD_VECTOR_SQL = (
    "setweight(to_tsvector(CASE language WHEN 'es' THEN 'forum_es'::regconfig WHEN 'en' THEN "
    "'forum_en'::regconfig ELSE 'simple'::regconfig END, title), 'A') || setweight(to_tsvector(CASE language "
    "WHEN 'es' THEN 'forum_es'::regconfig WHEN 'en' THEN 'forum_en'::regconfig ELSE 'simple'::regconfig END, "
    "body), 'B')")
FTS = ("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, title_stems, body_stems, lang, "
       "tokenize='unicode61 remove_diacritics 2')")
OLD_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, "
    "content='search_documents', content_rowid='post_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.post_id, old.title, old.body); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.post_id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.post_id, new.title, new.body); END",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]


def _documents(bind, batch=2000):
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT post_id, language, title, body FROM search_documents WHERE post_id > :last "
            "ORDER BY post_id LIMIT :n"), {"last": last, "n": batch}).all()
        if not rows:
            return
        yield rows
        last = rows[-1].post_id


def upgrade():
    from forum.services.search_text import stems_text, trigrams, vocabulary

    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.create_table('search_words',
                    sa.Column('word', sa.String(length=40), nullable=False),
                    sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words')))
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'forum_simple') THEN "
                   "CREATE TEXT SEARCH CONFIGURATION forum_simple (COPY = pg_catalog.simple); END IF; END $$")
        op.execute("ALTER TEXT SEARCH CONFIGURATION forum_simple ALTER MAPPING FOR hword, hword_part, word "
                   "WITH unaccent, simple")
        op.execute("ALTER TEXT SEARCH CONFIGURATION forum_es ALTER MAPPING FOR hword, hword_part, word WITH spanish_stem")
        op.execute("DROP INDEX IF EXISTS ix_search_documents_vector")
        op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS search_vector")
        op.execute(f"ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR_SQL}) STORED")
        op.execute("CREATE INDEX ix_search_documents_vector ON search_documents USING gin (search_vector) "
                   "WITH (fastupdate = off)")
        op.execute("CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)")
    else:
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
        op.execute(FTS)
        op.execute("CREATE TABLE search_word_trigrams (trigram TEXT NOT NULL, word TEXT NOT NULL, "
                   "PRIMARY KEY (trigram, word)) WITHOUT ROWID")
    seen = set()
    for rows in _documents(bind):
        if not postgres:
            bind.execute(sa.text(
                "INSERT INTO search_fts (rowid, title, body, title_stems, body_stems, lang) "
                "VALUES (:id, :title, :body, :ts, :bs, :lang)"), [dict(
                    id=r.post_id, title=r.title, body=r.body, lang=r.language,
                    ts=stems_text(r.title, r.language), bs=stems_text(r.body, r.language)) for r in rows])
        words = set()
        for r in rows:
            words |= vocabulary(r.title + " " + r.body)
        words -= seen
        seen |= words
        if words:
            bind.execute(sa.text("INSERT INTO search_words (word) VALUES (:w)"), [{"w": w} for w in sorted(words)])
            if not postgres:
                bind.execute(sa.text("INSERT INTO search_word_trigrams (trigram, word) VALUES (:t, :w)"),
                             [{"t": t, "w": w} for w in sorted(words) for t in sorted(trigrams(w))])
    if postgres:
        op.execute("ANALYZE search_documents")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_documents_vector")
        op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS search_vector")
        op.execute("ALTER TEXT SEARCH CONFIGURATION forum_es ALTER MAPPING FOR hword, hword_part, word "
                   "WITH unaccent, spanish_stem")
        op.execute(f"ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({OLD_VECTOR_SQL}) STORED")
        op.execute("CREATE INDEX ix_search_documents_vector ON search_documents USING gin (search_vector) "
                   "WITH (fastupdate = off)")
    else:
        op.execute("DROP TABLE IF EXISTS search_word_trigrams")
        op.execute("DROP TABLE IF EXISTS search_fts")
        for statement in OLD_FTS:
            op.execute(statement)
    op.drop_table('search_words')

