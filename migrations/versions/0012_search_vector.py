"""Search on PostgreSQL: a stored tsvector column with one GIN index, instead of two
expression indexes whose vector every search computed again (through unaccent) to rank.

Adding the generated column fills it for every existing document (the table is rewritten
once); SQLite is unchanged.

Revision ID: 0012_search_vector
Revises: 0011_markup
Create Date: 2026-11-27 09:00:00

"""
from alembic import op

revision = '0012_search_vector'
down_revision = '0011_markup'
branch_labels = None
depends_on = None

# A frozen copy of forum/models/search.py at this revision.
_CONFIG_OF_LANGUAGE = ("CASE language WHEN 'es' THEN 'forum_es'::regconfig "
                       "WHEN 'en' THEN 'forum_en'::regconfig ELSE 'simple'::regconfig END")
VECTOR_SQL = (f"setweight(to_tsvector({_CONFIG_OF_LANGUAGE}, title), 'A') || "
              f"setweight(to_tsvector({_CONFIG_OF_LANGUAGE}, body), 'B')")
OLD_INDEXES = {lang: (f"CREATE INDEX IF NOT EXISTS ix_search_documents_tsv_{lang} ON search_documents "
                      f"USING gin (to_tsvector('{config}', title || ' ' || body)) WHERE language = '{lang}'")
               for lang, config in (("es", "forum_es"), ("en", "forum_en"))}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for lang in OLD_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS ix_search_documents_tsv_{lang}")
    op.execute("ALTER TABLE search_documents ADD COLUMN IF NOT EXISTS search_vector tsvector "
               f"GENERATED ALWAYS AS ({VECTOR_SQL}) STORED")
    op.execute("CREATE INDEX IF NOT EXISTS ix_search_documents_vector ON search_documents USING gin (search_vector) WITH (fastupdate = off)")
    op.execute("ANALYZE search_documents")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_documents_vector")
    op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS search_vector")
    for statement in OLD_INDEXES.values():
        op.execute(statement)
