"""each answer keeps the earlier words it was to, once its question is reworded

Revision ID: d41f0a7c9e35
Revises: 5b257f68b074
Create Date: 2026-11-29 06:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd41f0a7c9e35'
down_revision = '5b257f68b074'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wording_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_answer_wording_id'), ['wording_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_answer_wording_id_question_wording'), 'question_wording',
                                    ['wording_id'], ['id'], ondelete='SET NULL')
    # Answers given before a rewording, matched by time as they were until now: each
    # wording covers the answers sent before its used_until and after the one before it.
    op.execute("""
        UPDATE answer SET wording_id = (
            SELECT qw.id FROM question_wording qw, response r
            WHERE qw.question_id = answer.question_id AND r.id = answer.response_id
              AND r.submitted_at < qw.used_until
            ORDER BY qw.used_until LIMIT 1)
        WHERE question_id IN (SELECT question_id FROM question_wording)
    """)


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answer_wording_id_question_wording'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_answer_wording_id'))
        batch_op.drop_column('wording_id')
