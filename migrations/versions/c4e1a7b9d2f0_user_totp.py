"""user_account: optional TOTP second factor

Revision ID: c4e1a7b9d2f0
Revises: 3d5ecd3687ff
Create Date: 2026-11-29 03:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e1a7b9d2f0'
down_revision = '3d5ecd3687ff'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
