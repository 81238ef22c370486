"""The generation of what visitors' pages show, shared by every web worker (forum.page_cache)

Revision ID: 0022_cache_generations
Revises: 0021_translatable_texts
Create Date: 2026-11-30 23:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0022_cache_generations'
down_revision = '0021_translatable_texts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_generations',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_generations')),
    )


def downgrade():
    op.drop_table('cache_generations')
