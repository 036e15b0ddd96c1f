"""running word counts for one-word questions, filled from the answers already stored

Revision ID: f3a8c2d19b47
Revises: 7d517ff3094e
Create Date: 2026-11-29 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3a8c2d19b47'
down_revision = '7d517ff3094e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('word_count',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=60), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_word_count_question_id_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['event_session.id'], name=op.f('fk_word_count_session_id_event_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'question_id', 'word', name=op.f('pk_word_count'))
    )
    op.execute("""
        INSERT INTO word_count (session_id, question_id, word, count)
        SELECT response.session_id, answer.question_id, answer.text, count(*)
        FROM answer JOIN response ON response.id = answer.response_id
        JOIN question ON question.id = answer.question_id
        WHERE question.kind = 'one_word' AND answer.text IS NOT NULL AND response.excluded_at IS NULL
        GROUP BY response.session_id, answer.question_id, answer.text
    """)


def downgrade():
    op.drop_table('word_count')
