"""Blind indexes: kept by the ORM on every flush, normalised, and only what lookups need."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from hall_app.db import blind
from hall_app.db.models import Base, Customer
from hall_app.domain.enums import CustomerKind, IdDocType


def _session() -> Session:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    return Session(engine)


def test_the_orm_fills_the_indexes_on_insert_and_keeps_them_on_update() -> None:
    with _session() as s:
        c = Customer(
            kind=CustomerKind.INDIVIDUAL,
            name="欧阳娜娜",
            id_doc_type=IdDocType.RESIDENT_ID,
            id_number="35010220000202002X",
            contact_phone="13905910004",
            address="福州市晋安区福新路 4 号",
        )
        s.add(c)
        s.commit()
        assert c.id_number_bidx == blind.id_index("35010220000202002x")  # normalised
        assert c.contact_phone_bidx == blind.phone_index("139 0591 0004")
        assert c.alt_phone_bidx is None
        assert [c.name_p1, c.name_p2, c.name_p3, c.name_p4] == blind.name_prefix_indexes("欧阳娜娜")
        assert c.initials_p4 == blind.initials_prefix_indexes("欧阳娜娜")[3]
        c.contact_phone = "13905910009"
        c.alt_phone = "13905910010"
        c.name = "欧阳"
        s.commit()
        assert c.contact_phone_bidx == blind.phone_index("13905910009")
        assert c.alt_phone_bidx == blind.phone_index("13905910010")
        assert (c.name_p2, c.name_p3) == (blind.name_prefix_indexes("欧阳")[1], None)
        found = s.scalar(
            select(Customer.id).where(
                Customer.contact_phone_bidx == blind.phone_index("13905910009")
            )
        )
        assert found == c.id


def test_a_long_query_uses_the_four_prefix_and_is_filtered_after() -> None:
    column, value, filtered = blind.prefix_lookup("name", "福州市鼓楼区")
    assert (column, filtered) == ("name_p4", True)
    assert value == blind.name_prefix_indexes("福州市鼓楼")[3]
    assert blind.prefix_lookup("initials", "zs")[:3:2] == ("initials_p2", False)


def test_indexes_differ_by_kind_and_are_no_plaintext() -> None:
    assert blind.id_index("13905910004") != blind.phone_index("13905910004")
    assert blind.name_prefix_indexes("张")[0] != blind.initials_prefix_indexes("张")[0]
    index = blind.phone_index("13905910004")
    assert index is not None and "1390591" not in index and len(index) == 32
