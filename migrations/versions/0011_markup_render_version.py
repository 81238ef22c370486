"""Render versions: which renderer made each stored HTML body, so older ones can be re-rendered.

Existing rows were rendered by the first renderer (Python-Markdown and bleach): version 1.

Revision ID: 0011_markup
Revises: 0010
Create Date: 2026-11-30 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_markup'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('posts', 'forums', 'newsletters', 'webinars')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('render_version', sa.Integer(), server_default=sa.text('1'),
                                          nullable=False))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('render_version')
