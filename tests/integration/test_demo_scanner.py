"""The demo's SIM scanner hands out free test SIMs of the hall, which the order check accepts."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.models import SimCard
from hall_app.demo.scanner import DemoSimScanner
from hall_app.devices.id_reader import DeviceError
from hall_app.domain.enums import SimStatus
from hall_app.services.actor import Actor


def test_only_demo_mode_has_a_sim_scanner(hall: HallApp, demo_url: str) -> None:
    assert hall.sim_scanner is None
    demo = build_app(Settings.load(env={"HALL_DEMO": "1"}, db_url=demo_url))
    try:
        assert isinstance(demo.sim_scanner, DemoSimScanner)
    finally:
        demo.close()


def test_scans_are_free_sims_of_the_hall_that_the_order_accepts(
    hall: HallApp, clerk: Actor
) -> None:
    scanner = DemoSimScanner(hall.db)
    first = scanner.scan_sim(clerk.hall_id, clerk.counter_id)
    second = scanner.scan_sim(clerk.hall_id, clerk.counter_id)
    assert first != second  # a second scan shows another card
    for iccid in (first, second):
        assert hall.orders.check_sim(clerk, iccid).iccid == iccid
    with hall.db.unit_of_work() as s:
        s.execute(update(SimCard).where(SimCard.iccid == first).values(status=SimStatus.ASSIGNED))
    again = {scanner.scan_sim(clerk.hall_id, clerk.counter_id) for _ in range(60)}
    assert first not in again  # a used card is never scanned again


def test_no_free_sim_is_a_device_error(hall: HallApp, clerk: Actor) -> None:
    with hall.db.unit_of_work() as s:
        s.execute(update(SimCard).values(status=SimStatus.DEFECTIVE))
    with pytest.raises(DeviceError, match="没有本厅可用的 SIM 卡"):
        DemoSimScanner(hall.db).scan_sim(clerk.hall_id, clerk.counter_id)
