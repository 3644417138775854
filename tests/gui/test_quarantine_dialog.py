"""A supervisor sees what the central database refused and queues it again."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from hall_app.db.models import AuditEntry, Counter, Customer, ResourceClash, SyncOutbox
from hall_app.db.outbox import PENDING, QUARANTINED
from hall_app.domain.errors import PermissionDenied
from tests.conftest import FakeClock, synced_counter
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT
from ui.ops import Operations
from ui.sync.quarantine import QuarantineDialog


def test_supervisor_lists_and_requeues_refused_records(
    qtbot: QtBot,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    hall = synced_counter(demo_template, tmp_path, "postgresql://x@127.0.0.1:1/none", clock)
    try:
        with hall.db.unit_of_work() as s:  # a customer edited here, then refused centrally
            edited = s.scalars(select(Customer).limit(1)).one()
            edited.address = "新地址"  # sealed on flush
            cid = edited.id
        with hall.db.unit_of_work() as s:
            s.execute(
                update(SyncOutbox)
                .where(SyncOutbox.row_id == cid)
                .values(status=QUARANTINED, last_error="22001 value too long", attempts=1)
            )
        with pytest.raises(PermissionDenied):
            hall.sync.quarantined(hall.auth.log_in("clerk1", "hall1234"))
        boss = hall.auth.log_in("super1", "hall1234")
        dialog = QuarantineDialog(hall.sync, boss, ops)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.rows.rowCount() == 1, timeout=WAIT)
        assert dialog.rows.data(dialog.rows.index(0, 0)) == "客户"
        assert dialog.rows.data(dialog.rows.index(0, 1)) == str(cid)
        assert "22001" in dialog.rows.data(dialog.rows.index(0, 2))
        assert dialog.retry_button.isEnabled()
        dialog.retry_button.click()
        qtbot.waitUntil(lambda: dialog.rows.rowCount() == 0, timeout=WAIT)
        assert "已重新排队 1 条" in shown.texts()[-1]
        assert not dialog.retry_button.isEnabled() and "没有被拒收" in dialog.summary.text()
        with hall.db.read() as s:
            status = s.scalar(select(SyncOutbox.status).where(SyncOutbox.row_id == cid))
            audited = s.scalars(
                select(AuditEntry.staff_id).where(AuditEntry.action == "sync.retry_quarantined")
            ).one()
        assert status == PENDING and audited == boss.staff_id
    finally:
        ops.wait_idle()
        hall.close()


def test_supervisor_settles_a_resource_clash(
    qtbot: QtBot,
    demo_template: Path,
    tmp_path: Path,
    clock: FakeClock,
    ops: Operations,
    shown: ShownMessages,
) -> None:
    hall = synced_counter(demo_template, tmp_path, "postgresql://x@127.0.0.1:1/none", clock)
    try:
        with hall.db.unit_of_work() as s:  # as a pull brings it from the central database
            counter = s.scalars(select(Counter).where(Counter.code == "02")).one()
            clash = ResourceClash(
                hall_id=counter.hall_id, counter_id=counter.id, resource="number",
                resource_key="13800001111", detected_at=clock(),
                detail="号码 138****1111 已由1号窗口办理，2号窗口同时使用了它。以中心为准。",
            )  # fmt: skip
            s.add(clash)
            s.flush()
            clash_id = clash.id
        boss = hall.auth.log_in("super1", "hall1234")
        dialog = QuarantineDialog(hall.sync, boss, ops)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.clash_rows.rowCount() == 1, timeout=WAIT)
        assert dialog.tabs.tabText(1) == "资源冲突（1）"
        assert dialog.clash_rows.data(dialog.clash_rows.index(0, 2)) == "2号窗口"
        dialog.tabs.setCurrentIndex(1)
        dialog.resolve_button.click()  # no result written yet
        qtbot.waitUntil(lambda: bool(shown.items), timeout=WAIT)
        assert "处理结果" in shown.texts()[-1]
        dialog.resolution.setText("已联系客户改选 13800002222")
        dialog.resolve_button.click()
        qtbot.waitUntil(lambda: dialog.clash_rows.rowCount() == 0, timeout=WAIT)
        assert dialog.tabs.tabText(1) == "资源冲突" and "没有待处理" in dialog.clash_summary.text()
        with hall.db.read() as s:
            done = s.get_one(ResourceClash, clash_id)
            by, resolution = done.resolved_by_id, done.resolution
            audited = s.scalars(
                select(AuditEntry.staff_id).where(AuditEntry.action == "sync.resolve_clash")
            ).one()
        assert by == boss.staff_id and audited == boss.staff_id
        assert resolution == "已联系客户改选 13800002222"
    finally:
        ops.wait_idle()
        hall.close()
