"""The schema comes from Alembic migrations, and they match the models exactly."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from config import normalise_db_url
from forum import create_app
from forum.extensions import db
from forum.models.search import EXTRA_SCHEMA_NAMES


@pytest.fixture
def empty_database_url(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path}/migrated.sqlite3"
        return
    name = f"forum_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_db_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_build_the_schema_the_models_describe(empty_database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True,
                "include_name": lambda name, type_, parents: name not in EXTRA_SCHEMA_NAMES,
            })
            diff = compare_metadata(context, db.metadata)
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.engine.dispose()
    assert diff == [], diff
    assert version is not None


def test_search_migrations_index_existing_documents(empty_database_url):
    """Documents indexed before 0011/0012 get their stems (SQLite's FTS table, PostgreSQL's stored
    vector and its GIN index) and their words in the vocabulary on upgrade."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(empty_database_url))
    postgres = empty_database_url.startswith("postgresql")
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as conn:
            if postgres:
                conn.execute(text("SET LOCAL session_replication_role = replica"))  # no parent rows needed
            else:
                conn.execute(text("PRAGMA foreign_keys = OFF"))
            conn.execute(text(
                "INSERT INTO search_documents (post_id, community_id, forum_id, thread_id, language, created_at, "
                "title, body) VALUES (1, 1, 1, 1, 'es', '2026-01-01', 'Gestión del agua', 'La planificación de cuencas')"))
        upgrade()
        with db.engine.connect() as conn:
            if postgres:
                found = conn.execute(text(
                    "SELECT post_id FROM search_documents WHERE search_vector @@ "
                    "(plainto_tsquery('forum_es', 'planificaciones') && plainto_tsquery('forum_simple', 'gestion'))"
                )).scalars().all()
                indexes = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'search_documents'")).scalars().all()
                assert {"ix_search_documents_vector_es", "ix_search_documents_vector_en"} <= set(indexes)
                assert not {"ix_search_documents_vector", "ix_search_documents_tsv_es"} & set(indexes)
                assert _vector_layout(conn) == ("m", ["toast_tuple_target=4080"])
            else:
                found = conn.execute(text(
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH 'body_stems : es0planif AND title : gestion'"
                )).scalars().all()
            words = conn.execute(text("SELECT word FROM search_words ORDER BY word")).scalars().all()
        db.engine.dispose()
    assert found == [1]
    assert words == ["agua", "cuencas", "gestion", "planificacion"]


def _vector_layout(conn):
    """(storage of search_vector, the table's options): "m" keeps it in its row (migration 0025)."""
    return conn.execute(text(
        "SELECT a.attstorage, c.reloptions FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname = 'search_documents' AND a.attname = 'search_vector'")).one()


# The 13 text pairs 0021 turns into JSON columns: (table, field).
TRANSLATED = (("communities", "name"), ("communities", "description"), ("themes", "label"),
              ("themes", "description"), ("synthesis_notes", "body"), ("newsletters", "subject"),
              ("webinars", "title"), ("processes", "title"), ("processes", "description"),
              ("rounds", "title"), ("rounds", "description"), ("round_questions", "text"),
              ("round_options", "label"))


def _filler(column, row_id: int):
    """A value for a required column the test does not care about, distinct per row."""
    from sqlalchemy import Boolean, DateTime, Integer, String, Text

    if isinstance(column.type, Boolean):
        return False
    if isinstance(column.type, Integer):
        return row_id
    if isinstance(column.type, DateTime):
        from datetime import UTC, datetime

        return datetime(2026, 1, row_id, tzinfo=UTC)
    if isinstance(column.type, String | Text):
        return f"{column.name[:3]}{row_id}"
    raise AssertionError(f"no filler for {column}")


def _insert_texts(conn, tables: dict[str, list[str]]) -> dict:
    """Two rows per table with Spanish and English texts (the second without English)."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(conn, only=list(tables))
    written = {}
    for name, fields in tables.items():
        table = meta.tables[name]
        for row_id in (1, 2):
            values = {c.name: _filler(c, row_id) for c in table.columns
                      if not c.nullable and c.server_default is None}
            values["id"] = row_id
            for field in fields:
                texts = {"es": f"{field} {name} {row_id} — español ñ", "en": f"{field} {name} {row_id} in English"}
                if row_id == 2:
                    texts["en"] = ""
                values.update({f"{field}_{lang}": text for lang, text in texts.items()})
                written[(name, field, row_id)] = texts
            conn.execute(table.insert().values(**values))
    return written


def test_translatable_texts_move_into_json_and_back_without_loss(empty_database_url):
    """0021 moves every text pair into one JSON column per field, on SQLite and PostgreSQL,
    and its downgrade puts them back: what organizers wrote reads the same either way."""
    from sqlalchemy import MetaData, select

    from forum.models import Community

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=normalise_db_url(empty_database_url))
    postgres = empty_database_url.startswith("postgresql")
    tables: dict[str, list[str]] = {}
    for table, field in TRANSLATED:
        tables.setdefault(table, []).append(field)
    with app.app_context():
        upgrade(revision="0020_independent_coding")
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica" if postgres
                              else "PRAGMA foreign_keys = OFF"))
            written = _insert_texts(conn, tables)
        upgrade(revision="0021_translatable_texts")
        meta = MetaData()
        with db.engine.connect() as conn:
            meta.reflect(conn, only=list(tables))
            moved = {(name, field, row["id"]): row[field] for name, fields in tables.items()
                     for row in conn.execute(select(meta.tables[name])).mappings() for field in fields}
            ordered = db.session.execute(select(Community.name_es).order_by(Community.name_en)).scalars().all()
        db.session.remove()
        from flask_migrate import downgrade

        downgrade(revision="0020_independent_coding")
        meta = MetaData()
        with db.engine.connect() as conn:
            meta.reflect(conn, only=list(tables))
            back = {(name, field, row["id"]): {lang: row[f"{field}_{lang}"] for lang in ("es", "en")}
                    for name, fields in tables.items()
                    for row in conn.execute(select(meta.tables[name])).mappings() for field in fields}
        db.engine.dispose()
    assert len(written) == 26
    for key, texts in written.items():
        assert moved[key] == texts, key
    assert back == written
    # The per-language attributes still sort in SQL: the row without English comes first.
    assert ordered == [written[("communities", "name", 2)]["es"], written[("communities", "name", 1)]["es"]]
