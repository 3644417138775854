"""Can this address have broadband or a landline, and how fast? Looked up in the coverage the
central database maintains for the hall (pulled with each sync round)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, literal, select
from sqlalchemy.orm import Session

from hall_app.db.engine import Database
from hall_app.db.models import CoverageArea, Hall
from hall_app.db.text_limits import check_value
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor

ADDRESS_FIELD = "装机地址"
PROVINCE = re.compile(r"^.{2,7}?(?:省|自治区)")
CITY = re.compile(r"^(.{2,7}?市)")


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
        check_value(ADDRESS_FIELD, None, text)  # a lone surrogate cannot be bound to a query
        with self._db.read() as s:
            rows = covered_in(s, actor.hall_id, text)
            return [
                CoverageView(r.community, r.technology, r.max_down_mbps, r.landline) for r in rows
            ]


def city_of(address: str) -> str | None:
    """The city an address names (福州市 in 福建省福州市鼓楼区…), or None when it names none
    (鼓楼区闽江花园…: the hall's own city is meant)."""
    found = CITY.match(PROVINCE.sub("", address.strip(), count=1))
    return found.group(1) if found else None


def covered_in(session: Session, hall_id: uuid.UUID, address: str) -> list[CoverageArea]:
    """The hall's coverage of the community the address names, the one it names last first
    (in 闽江花园路 1 号榕城苑 the community is 榕城苑, 闽江花园 is in the road's name), then
    the longer name. An address in another city is refused: the hall serves its own."""
    hall = session.get(Hall, hall_id)
    city, own = city_of(address), city_of(hall.address) if hall is not None else None
    if city is not None and own is not None and city != own:
        raise ValidationError(
            f"该地址在{city}，不在本营业厅的服务范围（{own}），请客户到当地营业厅办理",
            ADDRESS_FIELD,
        )
    rows = session.scalars(
        select(CoverageArea).where(
            CoverageArea.hall_id == hall_id,
            CoverageArea.active,
            CoverageService.named_in(address),
        )
    ).all()
    return sorted(rows, key=lambda r: (-address.rfind(r.community), -len(r.community)))
