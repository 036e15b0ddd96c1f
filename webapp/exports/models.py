"""Workbooks built on a worker: one row per build, reused while the data is unchanged."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db_types import UTCDateTime, enum_column, utcnow
from webapp.enums import LabelledEnum
from webapp.extensions import Model


class BuildStatus(LabelledEnum):
    PENDING = "pending", "Waiting to start"
    BUILDING = "building", "Being built"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"


class WorkbookBuild(Model):
    """A workbook asked for by one user: built by a worker into a file under EXPORTS_DIR.
    `data_key` fingerprints everything the file shows, so a second request for
    unchanged data gets the finished file instead of a new build."""

    __tablename__ = "workbook_build"
    __table_args__ = (sa.Index("ix_workbook_build_data_key", "data_key", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programme.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    # The ResultsFilter as JSON: session ids and ISO dates.
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    include_attendance: Mapped[bool] = mapped_column(default=False)
    data_key: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[BuildStatus] = mapped_column(enum_column(BuildStatus, 16), default=BuildStatus.PENDING)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int] = mapped_column(default=0)
    # The file's name inside EXPORTS_DIR (never a path a request chose).
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    # What the audit entry of each download says (responses, sessions, filters).
    detail: Mapped[str] = mapped_column(sa.String(1000), default="")

    @property
    def percent(self) -> int:
        if self.status == BuildStatus.READY:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    def __repr__(self) -> str:
        return f"<WorkbookBuild {self.id} {self.status}>"
