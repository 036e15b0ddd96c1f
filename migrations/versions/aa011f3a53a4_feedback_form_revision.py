"""feedback form revision: workers keep the phone form until it changes

Revision ID: aa011f3a53a4
Revises: 2d992965d9e2
Create Date: 2026-11-26 07:14:12.115922

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'aa011f3a53a4'
down_revision = '2d992965d9e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_form', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.String(length=32), server_default='initial', nullable=False))


def downgrade():
    with op.batch_alter_table('feedback_form', schema=None) as batch_op:
        batch_op.drop_column('revision')
