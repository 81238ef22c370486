"""Webinars: events, speakers, registrations; attachments on outbox messages

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 05:52:02.732953

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webinars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=True),
    sa.Column('title_es', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('description_es_md', sa.Text(), nullable=False),
    sa.Column('description_en_md', sa.Text(), nullable=False),
    sa.Column('description_es_html', sa.Text(), nullable=False),
    sa.Column('description_en_html', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('languages', sa.String(length=10), nullable=False),
    sa.Column('interpretation', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('join_url', sa.String(length=1000), nullable=False),
    sa.Column('recording_url', sa.String(length=1000), nullable=False),
    sa.Column('slides_url', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('uid', sa.String(length=120), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('registered_count', sa.Integer(), nullable=False),
    sa.Column('waitlist_count', sa.Integer(), nullable=False),
    sa.Column('attended_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_webinars_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_webinars_created_by_id_users')),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_webinars_pair_id_forum_pairs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinars')),
    sa.UniqueConstraint('uid', name=op.f('uq_webinars_uid'))
    )
    with op.batch_alter_table('webinars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webinars_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webinars_pair_id'), ['pair_id'], unique=False)
        batch_op.create_index('ix_webinars_starts_at', ['starts_at'], unique=False)
        batch_op.create_index('ix_webinars_ends_at', ['ends_at'], unique=False)

    op.create_table('webinar_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webinar_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('institution', sa.String(length=200), nullable=True),
    sa.Column('sector', sa.String(length=40), nullable=True),
    sa.Column('gender', sa.String(length=20), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_webinar_registrations_user_id_users')),
    sa.ForeignKeyConstraint(['webinar_id'], ['webinars.id'], name=op.f('fk_webinar_registrations_webinar_id_webinars')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinar_registrations')),
    sa.UniqueConstraint('webinar_id', 'email', name=op.f('uq_webinar_registrations_webinar_id_email'))
    )
    with op.batch_alter_table('webinar_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webinar_registrations_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_webinar_registrations_webinar_id_status', ['webinar_id', 'status'], unique=False)

    op.create_table('webinar_speakers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webinar_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('affiliation', sa.String(length=300), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('photo_key', sa.String(length=64), nullable=True),
    sa.Column('photo_type', sa.String(length=40), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['webinar_id'], ['webinars.id'], name=op.f('fk_webinar_speakers_webinar_id_webinars')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webinar_speakers'))
    )
    with op.batch_alter_table('webinar_speakers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webinar_speakers_webinar_id'), ['webinar_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('attachment_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('attachment_body', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('attachment_body')
        batch_op.drop_column('attachment_type')
        batch_op.drop_column('attachment_name')

    with op.batch_alter_table('webinar_speakers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webinar_speakers_webinar_id'))

    op.drop_table('webinar_speakers')
    with op.batch_alter_table('webinar_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_webinar_registrations_webinar_id_status')
        batch_op.drop_index(batch_op.f('ix_webinar_registrations_user_id'))

    op.drop_table('webinar_registrations')
    with op.batch_alter_table('webinars', schema=None) as batch_op:
        batch_op.drop_index('ix_webinars_starts_at')
        batch_op.drop_index('ix_webinars_ends_at')
        batch_op.drop_index(batch_op.f('ix_webinars_pair_id'))
        batch_op.drop_index(batch_op.f('ix_webinars_community_id'))

    op.drop_table('webinars')
