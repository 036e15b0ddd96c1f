"""Running totals of the feedback, kept as each response is stored (results/totals.py).

One row counts, in one session, among the responses of one group (0: everyone;
otherwise the option an "about you" question was answered with):
- question 0, option 0: the responses themselves;
- question q, option 0: the responses that answered q;
- question q, option o: the responses that chose o.
Results pages, the presenter view and the workbook's summary sheets read these few
rows instead of every answer. `flask results rebuild` recomputes them from the answers.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import Model

EVERYONE = 0  # group_option_id of the whole session
ALL = 0  # question_id / option_id of "the responses" / "answered the question"


class ResultCount(Model):
    __tablename__ = "result_count"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_session.id", ondelete="CASCADE"), primary_key=True
    )
    # No foreign keys on these three: 0 stands for "everyone" / "all" (see above).
    group_option_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    question_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    option_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0)


class WordTotal(Model):
    """How many responses in one session gave one word to a one-word question (the words
    are stored case-folded, so "Hopeful" and "hopeful" are one row). Kept like ResultCount:
    word clouds and ranked lists read these rows, not every answer."""

    __tablename__ = "word_count"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_session.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    word: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


# Every response adds to a few dozen of these rows. On PostgreSQL an update writes a new
# row version; with full pages it lands on another page, the table swells with dead
# versions (100,000 responses left 14,000 live rows in 1,655 pages, 258,000 dead) and
# every results page scans them all. Pages kept half empty take the new version beside
# the old one (a HOT update), which PostgreSQL prunes on the spot without a VACUUM.
COUNTER_FILLFACTOR = 50
for _table in (ResultCount.__table__, WordTotal.__table__):
    sa.event.listen(_table, "after_create", sa.DDL(
        f"ALTER TABLE %(table)s SET (fillfactor = {COUNTER_FILLFACTOR})").execute_if(dialect="postgresql"))
