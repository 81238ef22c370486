"""The search vector kept in its row, and one GIN index per searched language.

A common word is matched row by row over the newest documents, then those are ranked: each
read of a vector TOASTed out of its row fetched it from the TOAST table and decompressed it,
twice a row, most of a search's time over 100,000 posts. Rows up to half a page now stay
whole, the vector last to leave. The single GIN index becomes one per language, the language
in its predicate, so a rarer word's matches need no second check of each row. PostgreSQL only.

Rows written before this keep their old layout (searches are right either way); `flask --app
forum search reindex` rewrites them in committed batches, without stopping the site.

Revision ID: 0025_search_vector_inline
Revises: 0024_people_names
Create Date: 2026-12-01 07:00:00

"""
from alembic import op

revision = '0025_search_vector_inline'
down_revision = '0024_people_names'
branch_labels = None
depends_on = None

# As in forum/models/search.py at this revision.
LANGUAGES = ("es", "en")
UPGRADE = [
    "ALTER TABLE search_documents SET (toast_tuple_target = 4080)",
    "ALTER TABLE search_documents ALTER COLUMN search_vector SET STORAGE MAIN",
] + [
    f"CREATE INDEX IF NOT EXISTS ix_search_documents_vector_{lang} ON search_documents USING gin (search_vector) "
    f"WITH (fastupdate = off) WHERE language = '{lang}'" for lang in LANGUAGES
] + ["DROP INDEX IF EXISTS ix_search_documents_vector"]
DOWNGRADE = [
    "CREATE INDEX IF NOT EXISTS ix_search_documents_vector ON search_documents USING gin (search_vector) "
    "WITH (fastupdate = off)",
] + [f"DROP INDEX IF EXISTS ix_search_documents_vector_{lang}" for lang in LANGUAGES] + [
    "ALTER TABLE search_documents ALTER COLUMN search_vector SET STORAGE EXTENDED",
    "ALTER TABLE search_documents RESET (toast_tuple_target)",
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWNGRADE:
        op.execute(statement)
