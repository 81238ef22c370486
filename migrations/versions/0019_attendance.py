"""Webinars: attended minutes and joins per registration, an attendance threshold, certificates

Revision ID: 0019_attendance
Revises: 0018_assist
Create Date: 2026-11-30 21:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019_attendance'
down_revision = '0018_assist'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webinars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance_threshold', sa.Integer(), nullable=True))
    with op.batch_alter_table('webinar_registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attended_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('joins', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('certificate_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('certificate_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_webinar_registrations_certificate_code'), ['certificate_code'])


def downgrade():
    with op.batch_alter_table('webinar_registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_webinar_registrations_certificate_code'), type_='unique')
        batch_op.drop_column('certificate_sent_at')
        batch_op.drop_column('certificate_code')
        batch_op.drop_column('joins')
        batch_op.drop_column('attended_minutes')
    with op.batch_alter_table('webinars', schema=None) as batch_op:
        batch_op.drop_column('attendance_threshold')
