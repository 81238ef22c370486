"""Offline assistance: theme descriptions, reply vectors, theme suggestions, sibling replies

Revision ID: 0018_assist
Revises: 0017_ballots_scrubbed
Create Date: 2026-11-30 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018_assist'
down_revision = '0017_ballots_scrubbed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_es', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.alter_column('description_es', server_default=None)
        batch_op.alter_column('description_en', server_default=None)
    op.create_table('assist_states',
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('ready', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('scored_with', sa.Text(), nullable=False),
    sa.Column('checked_with', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_assist_states_pair_id_forum_pairs')),
    sa.PrimaryKeyConstraint('pair_id', name=op.f('pk_assist_states'))
    )
    op.create_table('assist_vectors',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('dims', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('sentences', sa.LargeBinary(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_assist_vectors_pair_id_forum_pairs')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_assist_vectors_post_id_posts')),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_assist_vectors'))
    )
    with op.batch_alter_table('assist_vectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assist_vectors_pair_id'), ['pair_id'], unique=False)
    op.create_table('assist_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_assist_suggestions_pair_id_forum_pairs')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_assist_suggestions_post_id_posts')),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_assist_suggestions_theme_id_themes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assist_suggestions')),
    sa.UniqueConstraint('post_id', 'theme_id', name=op.f('uq_assist_suggestions_post_id_theme_id'))
    )
    with op.batch_alter_table('assist_suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assist_suggestions_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assist_suggestions_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assist_suggestions_theme_id'), ['theme_id'], unique=False)
    op.create_table('assist_siblings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['posts.id'], name=op.f('fk_assist_siblings_other_id_posts')),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_assist_siblings_pair_id_forum_pairs')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_assist_siblings_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assist_siblings')),
    sa.UniqueConstraint('post_id', 'other_id', name=op.f('uq_assist_siblings_post_id_other_id'))
    )
    with op.batch_alter_table('assist_siblings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assist_siblings_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assist_siblings_post_id'), ['post_id'], unique=False)


def downgrade():
    op.drop_table('assist_siblings')
    op.drop_table('assist_suggestions')
    op.drop_table('assist_vectors')
    op.drop_table('assist_states')
    with op.batch_alter_table('themes', schema=None) as batch_op:
        batch_op.drop_column('description_en')
        batch_op.drop_column('description_es')
