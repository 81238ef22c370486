"""Committees: processes, rounds, questions, options, sources, responses, ballots, answers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 06:31:32.673713

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('processes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=True),
    sa.Column('title_es', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('description_es', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_processes_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_processes_created_by_id_users')),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_processes_pair_id_forum_pairs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processes'))
    )
    with op.batch_alter_table('processes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processes_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_processes_pair_id'), ['pair_id'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('pair_id', sa.Integer(), nullable=True),
    sa.Column('source_round_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=15), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title_es', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('description_es', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('results_visibility', sa.String(length=12), nullable=False),
    sa.Column('quorum_percent', sa.Integer(), nullable=True),
    sa.Column('threshold_percent', sa.Integer(), nullable=True),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('eligible_count', sa.Integer(), nullable=True),
    sa.Column('sealed', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_rounds_community_id_communities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_rounds_created_by_id_users')),
    sa.ForeignKeyConstraint(['pair_id'], ['forum_pairs.id'], name=op.f('fk_rounds_pair_id_forum_pairs')),
    sa.ForeignKeyConstraint(['process_id'], ['processes.id'], name=op.f('fk_rounds_process_id_processes')),
    sa.ForeignKeyConstraint(['source_round_id'], ['rounds.id'], name=op.f('fk_rounds_source_round_id_rounds')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_rounds_thread_id_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds'))
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rounds_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rounds_process_id'), ['process_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rounds_thread_id'), ['thread_id'], unique=False)

    op.create_table('ballots',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('voter_key', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_ballots_round_id_rounds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ballots_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('round_id', 'voter_key', name=op.f('uq_ballots_round_id_voter_key')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_round_id'), ['round_id'], unique=False)

    op.create_table('round_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text_es', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('allow_comment', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_questions_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_questions'))
    )
    with op.batch_alter_table('round_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_questions_round_id'), ['round_id'], unique=False)

    op.create_table('round_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_responses_round_id_rounds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_round_responses_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_responses')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_round_responses_round_id_user_id'))
    )
    with op.batch_alter_table('round_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_responses_round_id'), ['round_id'], unique=False)

    op.create_table('question_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_question_sources_post_id_posts')),
    sa.ForeignKeyConstraint(['question_id'], ['round_questions.id'], name=op.f('fk_question_sources_question_id_round_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_sources')),
    sa.UniqueConstraint('question_id', 'post_id', name=op.f('uq_question_sources_question_id_post_id'))
    )
    with op.batch_alter_table('question_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_sources_question_id'), ['question_id'], unique=False)

    op.create_table('round_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label_es', sa.String(length=500), nullable=False),
    sa.Column('label_en', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['round_questions.id'], name=op.f('fk_round_options_question_id_round_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_options'))
    )
    with op.batch_alter_table('round_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_options_question_id'), ['question_id'], unique=False)

    op.create_table('answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_answers_ballot_id_ballots')),
    sa.ForeignKeyConstraint(['option_id'], ['round_options.id'], name=op.f('fk_answers_option_id_round_options')),
    sa.ForeignKeyConstraint(['question_id'], ['round_questions.id'], name=op.f('fk_answers_question_id_round_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answers_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_question_id'))
        batch_op.drop_index(batch_op.f('ix_answers_ballot_id'))

    op.drop_table('answers')
    with op.batch_alter_table('round_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_options_question_id'))

    op.drop_table('round_options')
    with op.batch_alter_table('question_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_sources_question_id'))

    op.drop_table('question_sources')
    with op.batch_alter_table('round_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_responses_round_id'))

    op.drop_table('round_responses')
    with op.batch_alter_table('round_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_questions_round_id'))

    op.drop_table('round_questions')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_round_id'))

    op.drop_table('ballots')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rounds_thread_id'))
        batch_op.drop_index(batch_op.f('ix_rounds_process_id'))
        batch_op.drop_index(batch_op.f('ix_rounds_community_id'))

    op.drop_table('rounds')
    with op.batch_alter_table('processes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processes_pair_id'))
        batch_op.drop_index(batch_op.f('ix_processes_community_id'))

    op.drop_table('processes')
