"""Broadband and landline coverage: which residential communities of the hall's area can be
served, with what technology and up to what speed. Maintained centrally, pulled by counters."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hall_app.db.models.base import Base, CentralStamped, SyncedMixin


class CoverageArea(CentralStamped, SyncedMixin, Base):
    __tablename__ = "coverage_areas"
    __table_args__ = (Index("ix_coverage_areas_hall_id_community", "hall_id", "community"),)

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    region_code: Mapped[str] = mapped_column(String(6))
    community: Mapped[str] = mapped_column(String(64))  # 闽江花园, as written in addresses
    technology: Mapped[str] = mapped_column(String(16))  # FTTH, FTTB
    max_down_mbps: Mapped[int]
    landline: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
