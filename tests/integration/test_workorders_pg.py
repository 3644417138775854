"""Rescheduling at a counter synced with the real PostgreSQL: the new slot's place is booked at
the central database and the old one given back there, so no other counter can take it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hall_app.db.models import InstallSlot, WorkOrder
from hall_app.domain.enums import WorkOrderStatus
from hall_app.domain.errors import ValidationError
from tests.integration.test_fixed_line import LANDLINES, Setup, _paid, _request
from tests.integration.test_fixed_line_pg import synced  # noqa: F401  (the fixture)
from tests.integration.test_sync_resources import Hall

pytestmark = pytest.mark.postgres


def _booked(h: Hall, slot_id: object) -> int:
    with h.central.connect() as conn:
        booked = conn.scalar(select(InstallSlot.booked).where(InstallSlot.id == slot_id))
    assert booked is not None
    return int(booked)


def test_an_online_reschedule_books_and_gives_back_centrally(
    synced: tuple[Hall, Setup],  # noqa: F811
) -> None:
    h, st = synced
    app, clerk = h.apps["01"], h.clerk("01")
    app.fixed_line.reserve_landline(clerk, LANDLINES[0])
    req = _paid(
        app,
        clerk,
        _request(app, clerk, st, landline_plan_code="LL20", landline_number=LANDLINES[0]),
    )
    done = app.fixed_line.install(clerk, req)
    assert _booked(h, req.slot_id) == 1
    later = next(
        s.slot_id for s in app.slots.free_slots(clerk, st.community) if s.slot_id != req.slot_id
    )
    view = app.work_orders.reschedule(clerk, done.work_order_id, later, "客户要求改期")
    assert view.slot_id == later and view.status is WorkOrderStatus.SCHEDULED
    assert (_booked(h, req.slot_id), _booked(h, later)) == (0, 1)
    with app.db.read() as s:
        assert s.get_one(InstallSlot, later).booked == 1  # mirrored from the central answer
        assert s.get_one(WorkOrder, done.work_order_id).reschedules == 1
    # A slot another counter filled meanwhile is refused centrally, and nothing changes.
    with h.central.begin() as conn:
        conn.execute(
            InstallSlot.__table__.update()
            .where(InstallSlot.__table__.c.id == req.slot_id)
            .values(booked=InstallSlot.__table__.c.capacity)
        )
    with pytest.raises(ValidationError) as full:
        app.work_orders.reschedule(clerk, done.work_order_id, req.slot_id, "再改回去")
    assert full.value.field == "预约时段"
    assert _booked(h, later) == 1
    with app.db.read() as s:
        assert s.get_one(WorkOrder, done.work_order_id).slot_id == later
