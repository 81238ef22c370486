"""Synthesis export: members choose whether reports name them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 06:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: SQLite needs no table copy for it (a copy would trip the foreign keys).
    op.add_column('users', sa.Column('show_name_in_reports', sa.Boolean(), nullable=False,
                                     server_default=sa.true()))


def downgrade():
    op.drop_column('users', 'show_name_in_reports')
