"""SQLite's search index: stems tagged with their language, and facets (language, author).

A search then needs no language phrase in its MATCH (FTS5's bm25 gathered statistics over
half the index for it at every search) and an author filter leaps between the author's
documents (see forum/services/search_match.py). The FTS5 table is built again from
search_documents; PostgreSQL's stored vector is unchanged.

Stems come from forum/services/search_text.py as it is when this runs, as in 0013.

Revision ID: 0023_search_facets
Revises: 0022_cache_generations
Create Date: 2026-12-01 03:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0023_search_facets'
down_revision = '0022_cache_generations'
branch_labels = None
depends_on = None

NEW = ("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, title_stems, body_stems, facets, "
       "tokenize='unicode61 remove_diacritics 2')")
OLD = ("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, title_stems, body_stems, lang, "
       "tokenize='unicode61 remove_diacritics 2')")
SEARCHED = ("es", "en")  # the languages with a text-search configuration at this revision


def _documents(bind, batch=2000):
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT post_id, language, author_id, title, body FROM search_documents WHERE post_id > :last "
            "ORDER BY post_id LIMIT :n"), {"last": last, "n": batch}).all()
        if not rows:
            return
        yield rows
        last = rows[-1].post_id


def _rebuild(create: str, last: str, row) -> None:
    """The FTS5 table made anew with `create` and filled with `row` of each searched document."""
    bind = op.get_bind()
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute(create)
    for rows in _documents(bind):
        values = [row(r) for r in rows if r.language in SEARCHED]
        if values:
            bind.execute(sa.text(
                f"INSERT INTO search_fts (rowid, title, body, title_stems, body_stems, {last}) "
                "VALUES (:id, :title, :body, :ts, :bs, :last)"), values)


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    from forum.services.search_text import tagged_stems

    _rebuild(NEW, "facets", lambda r: dict(id=r.post_id, title=r.title, body=r.body, ts=tagged_stems(r.title, r.language),
                                 bs=tagged_stems(r.body, r.language),
                                 last=r.language if r.author_id is None else f"{r.language} a{r.author_id}"))


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    from forum.services.search_text import stems_text

    _rebuild(OLD, "lang", lambda r: dict(id=r.post_id, title=r.title, body=r.body, ts=stems_text(r.title, r.language),
                                 bs=stems_text(r.body, r.language), last=r.language))
