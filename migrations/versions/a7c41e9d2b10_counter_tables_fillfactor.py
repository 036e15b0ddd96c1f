"""running totals keep half of each page free on PostgreSQL (HOT updates, no bloat)

Revision ID: a7c41e9d2b10
Revises: f3a8c2d19b47
Create Date: 2026-11-29 13:00:00

"""
from alembic import op


revision = 'a7c41e9d2b10'
down_revision = 'f3a8c2d19b47'
branch_labels = None
depends_on = None

TABLES = ("result_count", "word_count")


def upgrade():
    # PostgreSQL only: SQLite has no row versions to place (webapp/results/models.py).
    # New pages follow the setting at once; existing ones as VACUUM or updates rewrite them.
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
