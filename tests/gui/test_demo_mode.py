"""Demo mode at the counter: F9 on the SIM page scans a free test SIM, and customers keep
taking tickets while the app runs. Without demo mode neither happens."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.models import QueueTicket, SimCard
from hall_app.demo.arrivals import GAP_SECONDS
from hall_app.demo.scanner import DemoSimScanner
from hall_app.domain.enums import SimStatus, TicketStatus
from hall_app.domain.telecom import parse_iccid
from hall_app.services.actor import Actor
from tests.conftest import FakeClock
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_pages import _wizard
from tests.gui.test_open_mobile_wizard import WAIT
from tests.integration.test_open_mobile import _customer_without_mobile
from ui.app import Session
from ui.demo import SIM_SCAN_HINT
from ui.ops import Operations


@pytest.fixture
def demo_hall(demo_url: str, clock: FakeClock) -> Iterator[HallApp]:
    app = build_app(Settings.load(env={"HALL_DEMO": "1"}, db_url=demo_url), clock=clock)
    yield app
    app.close()


def _waiting(hall: HallApp) -> int:
    with hall.db.read() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(QueueTicket)
                .where(QueueTicket.status == TicketStatus.WAITING)
            )
            or 0
        )


def test_f9_on_the_sim_page_scans_a_free_sim_and_it_is_accepted(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    demo = dataclasses.replace(hall, sim_scanner=DemoSimScanner(hall.db))
    wizard = _wizard(qtbot, demo, clerk, ops, _customer_without_mobile(hall))
    wizard.go_to(wizard.sim)
    sim = wizard.sim
    assert any(label.text() == SIM_SCAN_HINT for label in sim.findChildren(QLabel))
    edited: list[str] = []
    sim.iccid.textEdited.connect(edited.append)  # typed, as a scanner types
    qtbot.keyClick(sim.iccid, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: wizard.draft.sim is not None, timeout=WAIT)
    iccid = sim.iccid.text()
    assert parse_iccid(iccid).value == iccid and len(edited) == 20
    assert wizard.draft.sim is not None and wizard.draft.sim.iccid == iccid
    assert sim.is_complete() and iccid in sim.result.text()
    with hall.db.read() as s:
        status = s.scalars(select(SimCard.status).where(SimCard.iccid == iccid)).one()
    assert status is SimStatus.IN_STOCK
    qtbot.keyClick(sim.iccid, Qt.Key.Key_F9)  # a second scan: another card replaces it
    qtbot.waitUntil(
        lambda: wizard.draft.sim is not None and wizard.draft.sim.iccid != iccid, timeout=WAIT
    )
    assert sim.iccid.text() == wizard.draft.sim.iccid
    assert shown.items == []


def test_without_demo_mode_f9_on_the_sim_page_does_nothing(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    assert hall.sim_scanner is None
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    wizard.go_to(wizard.sim)
    sim = wizard.sim
    assert not any(label.text() == SIM_SCAN_HINT for label in sim.findChildren(QLabel))
    qtbot.keyClick(sim.iccid, Qt.Key.Key_F9)
    qtbot.wait(300)
    ops.wait_idle()
    assert sim.iccid.text() == "" and wizard.draft.sim is None
    assert shown.items == []


def test_demo_customers_take_tickets_while_the_app_runs(
    qtbot: QtBot, demo_hall: HallApp, ops: Operations, shown: ShownMessages
) -> None:
    session = Session(demo_hall, ops)
    try:
        window = _logged_in(qtbot, session)
        arrivals = session.arrivals
        assert arrivals is not None
        assert GAP_SECONDS[0] * 1000 - 2000 <= arrivals.next_in_ms <= GAP_SECONDS[1] * 1000
        before = _waiting(demo_hall)
        arrivals.arrive()  # the timer's tick, without waiting for it
        qtbot.waitUntil(lambda: arrivals.issued == 1, timeout=WAIT)
        assert _waiting(demo_hall) == before + 1
        assert arrivals.next_in_ms > GAP_SECONDS[0] * 1000 - 2000  # the next one is due
        total = before + 1
        qtbot.waitUntil(
            lambda: sum(int(p) for p in window.queue.waiting_label.text().split()[1::2]) == total,
            timeout=WAIT,
        )
        session._logout()
        assert session.arrivals is None
        assert shown.items == []
    finally:
        ops.wait_idle()
        if session.login is not None:
            session.login.close()


def test_without_demo_mode_nobody_arrives(
    qtbot: QtBot, session: Session, shown: ShownMessages
) -> None:
    _logged_in(qtbot, session)
    assert session.arrivals is None


@pytest.mark.parametrize("demo", [True, False])
def test_a_demo_started_on_a_later_day_has_todays_queue(demo_url: str, demo: bool) -> None:
    from hall_app.clock import business_date, system_clock
    from ui.app import _open_database

    env = {"HALL_DEMO": "1"} if demo else {}
    hall = _open_database(Settings.load(env=env, db_url=demo_url))  # the start-up worker's job
    try:
        with hall.db.read() as s:
            today = s.scalar(
                select(func.count())
                .select_from(QueueTicket)
                .where(QueueTicket.business_date == business_date(system_clock()))
            )
        assert bool(today) is demo
    finally:
        hall.close()


def test_f9_on_the_equipment_page_scans_a_modem_then_a_router(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    from tests.gui.fixed_helpers import bundle_customer, make_slots, next_page
    from tests.gui.test_fixed_line_pages import _covered, _plan
    from ui.demo import GEAR_SCAN_HINT
    from ui.fixed_line.wizard import FixedLineWizard

    demo = dataclasses.replace(hall, sim_scanner=DemoSimScanner(hall.db))
    make_slots(hall)
    customer_id, _ = bundle_customer(hall)
    wizard = FixedLineWizard(demo, clerk, ops, customer_id, customer_name="张三")
    qtbot.addWidget(wizard)
    wizard.show()
    _covered(qtbot, wizard)
    _plan(qtbot, wizard)
    next_page(qtbot, wizard)
    gear = wizard.equipment
    assert any(label.text() == GEAR_SCAN_HINT for label in gear.findChildren(QLabel))
    gear.serials["modem"].setFocus()
    qtbot.keyClick(gear.serials["modem"], Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: "modem" in wizard.draft.gear, timeout=WAIT)
    assert wizard.draft.gear["modem"].view.kind_label == "光猫"
    gear.serials["router"].setFocus()
    qtbot.keyClick(gear.serials["router"], Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: "router" in wizard.draft.gear, timeout=WAIT)
    assert wizard.draft.gear["router"].view.kind_label == "路由器"
    assert shown.items == []
