"""Can this address have broadband or a landline, and how fast? Looked up in the coverage the
central database maintains for the hall (pulled with each sync round)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, literal, select

from hall_app.db.engine import Database
from hall_app.db.models import CoverageArea
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor

ADDRESS_FIELD = "装机地址"


@dataclass(frozen=True)
class CoverageView:
    community: str
    technology: str  # FTTH 光纤到户, FTTB 光纤到楼
    max_down_mbps: int
    landline: bool


class CoverageService:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def named_in(address: str) -> ColumnElement[bool]:
        """The coverage rows whose community the address names (LIKE, on SQLite and
        PostgreSQL)."""
        return literal(address).contains(CoverageArea.community)

    def lookup(self, actor: Actor, address: str) -> list[CoverageView]:
        """The hall's coverage of the community named in ``address``, fastest first; empty
        when the address is not covered."""
        actor.require(Permission.ORDER_CREATE)
        text = address.strip()
        if len(text) < 4:
            raise ValidationError("请输入完整的装机地址（含小区名称）", ADDRESS_FIELD)
        if len(text) > 200:
            raise ValidationError("地址过长（不超过 200 字）", ADDRESS_FIELD)
        named = self.named_in(text)
        with self._db.read() as s:
            rows = s.scalars(
                select(CoverageArea)
                .where(CoverageArea.hall_id == actor.hall_id, CoverageArea.active, named)
                .order_by(CoverageArea.max_down_mbps.desc(), CoverageArea.community)
            ).all()
            return [
                CoverageView(r.community, r.technology, r.max_down_mbps, r.landline) for r in rows
            ]
