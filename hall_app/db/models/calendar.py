"""The holiday calendar as data: one row per day of each year the State Council has published
(holidays, make-up working days 调休, ordinary weekends and working days). Maintained centrally,
pulled by counters; seeded from the ``chinese-calendar`` package for the years it knows."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hall_app.db.models.base import Base, CentralStamped, SyncedMixin

# Rows are keyed by their date: the same day seeded at the central database and at a counter
# gets the same id, so a pull upserts it instead of clashing on the unique day.
CALENDAR_NS = uuid.UUID("0c6b4f3e-9a1d-4e57-b2a8-5d3f7c91e640")


def calendar_day_id(day: date) -> uuid.UUID:
    return uuid.uuid5(CALENDAR_NS, day.isoformat())


class CalendarDay(CentralStamped, SyncedMixin, Base):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(unique=True)
    is_working_day: Mapped[bool]
    holiday_name: Mapped[str | None] = mapped_column(String(32), default=None)  # 国庆节
    kind: Mapped[str] = mapped_column(String(16))  # workday, weekend, holiday, makeup
    source: Mapped[str] = mapped_column(String(64))  # chinese-calendar 1.11.0, 国办发明电〔…〕
