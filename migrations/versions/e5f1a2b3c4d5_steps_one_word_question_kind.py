"""steps: the one-word question kind (a word cloud on the presenter view)

Revision ID: e5f1a2b3c4d5
Revises: deb25037beca
Create Date: 2026-11-29 06:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5f1a2b3c4d5'
down_revision = 'deb25037beca'
branch_labels = None
depends_on = None

KINDS = "'agreement', 'rating', 'single_choice', 'multi_choice', 'short_text', 'long_text'"


def _kinds(kinds: str) -> None:
    # batch mode: SQLite rebuilds the table to change a CHECK constraint.
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_question_kind_known'), type_='check')
        batch_op.create_check_constraint('kind_known', f"kind IN ({kinds})")


def upgrade():
    _kinds(KINDS + ", 'one_word'")


def downgrade():
    # One-word questions cannot be kept under the old rule: they (and their answers) go.
    op.execute("DELETE FROM answer WHERE question_id IN (SELECT id FROM question WHERE kind = 'one_word')")
    op.execute("DELETE FROM result_count WHERE question_id IN (SELECT id FROM question WHERE kind = 'one_word')")
    op.execute("DELETE FROM question WHERE kind = 'one_word'")
    _kinds(KINDS)
