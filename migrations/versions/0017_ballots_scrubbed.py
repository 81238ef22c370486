"""Rounds: `scrubbed`, set when a sealed round's anonymous ballots were rewritten so no trace links them to voters

Anonymous rounds sealed by an older release only had their keys replaced; they start unscrubbed,
so the scheduler's seal job rewrites their ballots at its next run.

Revision ID: 0017_ballots_scrubbed
Revises: 0016_login_sessions
Create Date: 2026-11-30 20:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017_ballots_scrubbed'
down_revision = '0016_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scrubbed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('scrubbed')
