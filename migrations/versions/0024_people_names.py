"""People's names and handles under a trigram index, for "people whose name matches".

The search page looked for names with unaccent(lower(display_name)) LIKE '% word%', which no
index can serve (unaccent is only STABLE): a scan of every member, 100-230 ms over 100,000.
forum_fold is unaccent with its dictionary named, declared IMMUTABLE, and one pg_trgm GIN index
covers the folded name and the lowered handle (see forum/models/search.py). PostgreSQL only;
SQLite keeps its scan.

Revision ID: 0024_people_names
Revises: 0023_search_facets
Create Date: 2026-12-01 04:00:00

"""
from alembic import op

revision = '0024_people_names'
down_revision = '0023_search_facets'
branch_labels = None
depends_on = None

# As in forum/models/search.py at this revision.
UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE OR REPLACE FUNCTION forum_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, lower($1)) $$",
    "CREATE INDEX IF NOT EXISTS ix_users_names_trgm ON users USING gin "
    "((' ' || forum_fold(display_name)) gin_trgm_ops, lower(handle) gin_trgm_ops)",
]
DOWNGRADE = ["DROP INDEX IF EXISTS ix_users_names_trgm", "DROP FUNCTION IF EXISTS forum_fold(text)"]


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
