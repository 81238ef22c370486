"""Report quotes: passages of posts that moderators choose to quote in the synthesis report

Revision ID: 0015_synthesis
Revises: 0014_outbox_outcomes
Create Date: 2026-11-30 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015_synthesis'
down_revision = '0014_outbox_outcomes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_quotes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=600), nullable=False),
    sa.Column('chosen_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chosen_by_id'], ['users.id'], name=op.f('fk_report_quotes_chosen_by_id_users')),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_report_quotes_pair_id_forum_pairs')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_report_quotes_post_id_posts')),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_report_quotes_theme_id_themes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_quotes')),
    sa.UniqueConstraint('post_id', 'text', name=op.f('uq_report_quotes_post_id_text'))
    )
    with op.batch_alter_table('report_quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_quotes_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_quotes_post_id'), ['post_id'], unique=False)


def downgrade():
    with op.batch_alter_table('report_quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_quotes_post_id'))
        batch_op.drop_index(batch_op.f('ix_report_quotes_pair_id'))
    op.drop_table('report_quotes')
