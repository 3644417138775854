"""A break of the audit chain found at start is put before the next supervisor to log in."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import update

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry
from hall_app.services import audit
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_login import _type_login
from ui.app import Session


def _break_the_chain(hall: HallApp, clerk: Actor) -> None:
    with hall.db.unit_of_work() as s:
        for i in range(3):
            audit.record(
                s, at=hall.clock(), actor=clerk, action="test.step", entity="order", entity_id=i
            )
    with hall.db.unit_of_work() as s:
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.action == "test.step", AuditEntry.entity_id == "1")
            .values(after={"forged": True})
        )
    assert not hall.audit_chain.check_at_start().ok


def test_a_supervisor_is_warned_at_login_and_acknowledges(
    qtbot: QtBot, session: Session, hall: HallApp, clerk: Actor, shown: ShownMessages
) -> None:
    _break_the_chain(hall, clerk)
    _type_login(qtbot, session, "super1", "hall1234")
    qtbot.waitUntil(lambda: any(t == "审计链警告" for _, t, _ in shown.items), timeout=10_000)
    text = next(x for _, t, x in shown.items if t == "审计链警告")
    assert "审计链断裂" in text and "已被修改" in text and "1 条待处理" in text
    assert session.window is not None
    qtbot.addWidget(session.window)
    session.ops.wait_idle()  # "是" (the fixture answers yes): acknowledged
    supervisor = session.window.actor
    assert hall.audit_chain.alerts(supervisor) == []


def test_a_clerk_is_not_shown_the_alerts(
    qtbot: QtBot, session: Session, hall: HallApp, clerk: Actor, shown: ShownMessages
) -> None:
    _break_the_chain(hall, clerk)
    _type_login(qtbot, session, "clerk1", "hall1234")
    qtbot.waitUntil(lambda: session.window is not None, timeout=10_000)
    qtbot.addWidget(session.window)
    session.ops.wait_idle()
    assert not any(t == "审计链警告" for _, t, _ in shown.items)
