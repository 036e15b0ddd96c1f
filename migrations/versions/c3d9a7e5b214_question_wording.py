"""question_wording: the text people answered before a question was reworded

Revision ID: c3d9a7e5b214
Revises: b7c41e2d9f13
Create Date: 2026-11-29 04:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9a7e5b214'
down_revision = 'b7c41e2d9f13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('question_wording',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('used_until', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_wording_question_id_question'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_wording'))
    )
    with op.batch_alter_table('question_wording', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_wording_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('question_wording', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_wording_question_id'))
    op.drop_table('question_wording')
