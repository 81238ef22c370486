"""Outbox: who claimed a message, the "unknown" outcome, and resends (who, when, of which message)

Messages the old sweep marked failed after an interrupted delivery are of unknown outcome:
they become "unknown", so organizers see them as such and can resend them.

Revision ID: 0014_outbox_outcomes
Revises: 0013_search_stems
Create Date: 2026-11-30 17:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_outbox_outcomes'
down_revision = '0013_search_stems'
branch_labels = None
depends_on = None

OLD_SWEEP_ERROR = "delivery interrupted: check the mail server's log before resending"


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('resent_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resend_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_resend_of_id'), ['resend_of_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_resent_by_id_users'), 'users', ['resent_by_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_outbox_resend_of_id_outbox'), 'outbox', ['resend_of_id'], ['id'],
                                    ondelete='SET NULL')
    outbox = sa.table('outbox', sa.column('status', sa.String), sa.column('last_error', sa.Text))
    op.execute(outbox.update().where(outbox.c.status == 'failed', outbox.c.last_error == OLD_SWEEP_ERROR)
               .values(status='unknown'))


def downgrade():
    outbox = sa.table('outbox', sa.column('status', sa.String))
    op.execute(outbox.update().where(outbox.c.status == 'unknown').values(status='failed'))
    op.execute(outbox.update().where(outbox.c.status == 'resent').values(status='failed'))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_resend_of_id_outbox'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbox_resent_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_resend_of_id'))
        batch_op.drop_column('resend_of_id')
        batch_op.drop_column('resent_at')
        batch_op.drop_column('resent_by_id')
        batch_op.drop_column('claimed_by')
