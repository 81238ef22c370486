"""Independent coding by two moderators: each coder's themes, settlements, and the pair's switch

Revision ID: 0020_independent_coding
Revises: 0019_attendance
Create Date: 2026-11-30 23:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_independent_coding'
down_revision = '0019_attendance'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('forum_pairs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('independent_coding', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'coder_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('theme_id', sa.Integer(), nullable=False),
        sa.Column('coder_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['coder_id'], ['users.id'], name=op.f('fk_coder_codes_coder_id_users')),
        sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_coder_codes_pair_id_forum_pairs')),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_coder_codes_post_id_posts')),
        sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_coder_codes_theme_id_themes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coder_codes')),
        sa.UniqueConstraint('post_id', 'theme_id', 'coder_id', name=op.f('uq_coder_codes_post_id_theme_id_coder_id')),
    )
    for column in ('pair_id', 'post_id', 'theme_id', 'coder_id'):
        op.create_index(op.f(f'ix_coder_codes_{column}'), 'coder_codes', [column], unique=False)
    op.create_table(
        'code_settlements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pair_id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('theme_id', sa.Integer(), nullable=False),
        sa.Column('applied', sa.Boolean(), nullable=False),
        sa.Column('settled_by_id', sa.Integer(), nullable=True),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_code_settlements_pair_id_forum_pairs')),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_code_settlements_post_id_posts')),
        sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'], name=op.f('fk_code_settlements_settled_by_id_users')),
        sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_code_settlements_theme_id_themes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_code_settlements')),
        sa.UniqueConstraint('post_id', 'theme_id', name=op.f('uq_code_settlements_post_id_theme_id')),
    )
    op.create_index(op.f('ix_code_settlements_pair_id'), 'code_settlements', ['pair_id'], unique=False)
    op.create_index(op.f('ix_code_settlements_post_id'), 'code_settlements', ['post_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_code_settlements_post_id'), table_name='code_settlements')
    op.drop_index(op.f('ix_code_settlements_pair_id'), table_name='code_settlements')
    op.drop_table('code_settlements')
    for column in ('coder_id', 'theme_id', 'post_id', 'pair_id'):
        op.drop_index(op.f(f'ix_coder_codes_{column}'), table_name='coder_codes')
    op.drop_table('coder_codes')
    with op.batch_alter_table('forum_pairs', schema=None) as batch_op:
        batch_op.drop_column('independent_coding')
