"""Translatable texts: each `_es`/`_en` column pair becomes one JSON column {"es": ..., "en": ...}

A language is then data, not schema (forum.models.translated). Existing texts move over as they
are; empty ones stay as "" so nothing reads differently. The downgrade writes the Spanish and
English texts back into their columns; texts in any other language are dropped by it.

Revision ID: 0021_translatable_texts
Revises: 0020_independent_coding
Create Date: 2026-12-01 00:10:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = '0021_translatable_texts'
down_revision = '0020_independent_coding'
branch_labels = None
depends_on = None

TRANSLATIONS = sa.JSON().with_variant(JSONB(), "postgresql")
LANGS = ("es", "en")
# (table, field, type of the old per-language columns)
FIELDS = (
    ("communities", "name", sa.String(200)),
    ("communities", "description", sa.Text()),
    ("themes", "label", sa.String(120)),
    ("themes", "description", sa.Text()),
    ("synthesis_notes", "body", sa.Text()),
    ("newsletters", "subject", sa.String(300)),
    ("webinars", "title", sa.String(300)),
    ("processes", "title", sa.String(300)),
    ("processes", "description", sa.Text()),
    ("rounds", "title", sa.String(300)),
    ("rounds", "description", sa.Text()),
    ("round_questions", "text", sa.Text()),
    ("round_options", "label", sa.String(500)),
)


def _tables():
    """Each table once, with its fields in order."""
    tables: dict[str, list] = {}
    for table, field, type_ in FIELDS:
        tables.setdefault(table, []).append((field, type_))
    return tables


def _copy(table: str, reads: list[sa.Column], writes: list[sa.Column], convert) -> None:
    """Rewrite every row of `table`: `convert(row)` gives the new values of `writes` from `reads`."""
    bind = op.get_bind()
    source = sa.table(table, sa.column("id"), *reads)
    target = sa.table(table, sa.column("id"), *writes)
    rows = bind.execute(sa.select(*source.c)).mappings().all()
    for row in rows:
        bind.execute(target.update().where(target.c.id == row["id"]).values(**convert(row)))


def upgrade():
    for table, fields in _tables().items():
        with op.batch_alter_table(table) as batch_op:
            for field, _type in fields:
                batch_op.add_column(sa.Column(field, TRANSLATIONS, nullable=True))
        _copy(table, [sa.column(f"{field}_{lang}", type_) for field, type_ in fields for lang in LANGS],
              [sa.column(field, TRANSLATIONS) for field, _t in fields],
              lambda row, fields=fields: {field: {lang: row[f"{field}_{lang}"] or "" for lang in LANGS}
                                          for field, _t in fields})
        with op.batch_alter_table(table) as batch_op:
            for field, _type in fields:
                batch_op.alter_column(field, existing_type=TRANSLATIONS, nullable=False)
                for lang in LANGS:
                    batch_op.drop_column(f"{field}_{lang}")


def downgrade():
    for table, fields in _tables().items():
        with op.batch_alter_table(table) as batch_op:
            for field, type_ in fields:
                for lang in LANGS:
                    batch_op.add_column(sa.Column(f"{field}_{lang}", type_, nullable=True))
        _copy(table, [sa.column(field, TRANSLATIONS) for field, _t in fields],
              [sa.column(f"{field}_{lang}", type_) for field, type_ in fields for lang in LANGS],
              lambda row, fields=fields: {f"{field}_{lang}": (row[field] or {}).get(lang) or ""
                                          for field, _t in fields for lang in LANGS})
        with op.batch_alter_table(table) as batch_op:
            for field, type_ in fields:
                for lang in LANGS:
                    batch_op.alter_column(f"{field}_{lang}", existing_type=type_, nullable=False)
                batch_op.drop_column(field)
