"""programme.allows_several_places: one confirmed place per person unless set

Revision ID: b7c41e2d9f13
Revises: 6640b4252ccd
Create Date: 2026-11-29 04:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e2d9f13'
down_revision = '6640b4252ccd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allows_several_places', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('allows_several_places')
