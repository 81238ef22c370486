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
                assert "ix_search_documents_vector" in indexes and "ix_search_documents_tsv_es" not in indexes
            else:
                found = conn.execute(text(
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH 'body_stems : planif AND title : gestion'"
                )).scalars().all()
            words = conn.execute(text("SELECT word FROM search_words ORDER BY word")).scalars().all()
        db.engine.dispose()
    assert found == [1]
    assert words == ["agua", "cuencas", "gestion", "planificacion"]
