"""The supervisor's desk lists the hall's audit alerts: this counter's and, over the live link,
the central database's (an attempt there to delete an audit entry); a supervisor acknowledges
a central one at the central database, audited here; offline the central ones are missing and
the service says so."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditAlert, AuditEntry
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.errors import PermissionDenied, StorageError, ValidationError
from hall_app.services import audit
from hall_app.services.audit_chain import CENTRAL, CENTRAL_OFFLINE, CENTRAL_READ, LOCAL
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.integration.test_sync_service import _online_start

pytestmark = pytest.mark.postgres


@pytest.fixture
def online(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[tuple[HallApp, Engine]]:
    """Counter 01 after its first load and a round (the snapshot test_sync_service makes),
    and its central database."""
    snap = central_snapshots.get("online", _online_start)
    assert clock.now == snap.now
    url = restore(snap)
    env = {"HALL_CENTRAL_URL": url, "HALL_COUNTER": "01"}
    hall = build_app(
        Settings.load(env=env, db_url=f"sqlite:///{tmp_path / 'counter.sqlite3'}"), clock=clock
    )
    central = make_engine(url)
    yield hall, central
    central.dispose()
    hall.close()


def test_the_desk_lists_and_acknowledges_central_and_local_alerts(
    online: tuple[HallApp, Engine], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hall, central = online
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    with hall.db.unit_of_work() as s:
        audit.record(s, at=clock(), actor=clerk, action="test.step", entity="order", entity_id=1)
    hall.sync.run_round()  # the entry reaches the central database
    with central.begin() as conn:  # someone tries to delete it there: refused and flagged
        conn.execute(delete(AuditEntry).where(AuditEntry.action == "test.step"))
        assert conn.scalar(select(AuditEntry.id).where(AuditEntry.action == "test.step"))
        # another hall's alert (a window this hall does not know) is not this desk's
        conn.execute(
            AuditAlert.__table__.insert().values(
                id=uuid.uuid4(),
                detected_at=clock(),
                kind="central_update",
                counter_id=uuid.uuid4(),
                detail="别的营业厅",
            )
        )
    with hall.db.unit_of_work() as s:  # and a break found at start on this counter
        s.add(
            AuditAlert(
                detected_at=clock(),
                kind="chain_break",
                counter_id=clerk.counter_id,
                seq=3,
                detail="第 3 条审计记录已被修改",
            )
        )

    found = hall.audit_chain.desk_alerts(supervisor)
    assert found.central == CENTRAL_READ
    assert sorted((a.source, a.kind) for a in found.open) == [
        (CENTRAL, "central_delete"),
        (LOCAL, "chain_break"),
    ]
    there = next(a for a in found.alerts if a.source == CENTRAL)
    assert there.counter_name == clerk.counter_name and "试图删除" in there.detail
    assert there.source_label == "中心" and there.kind_label == "中心审计记录被试图删除"
    with pytest.raises(PermissionDenied):
        hall.audit_chain.desk_alerts(clerk)
    with pytest.raises(PermissionDenied):
        hall.audit_chain.acknowledge(clerk, there.id, central=True)

    # The entry here cannot be written: the central alert stays open (recorded here first).
    with monkeypatch.context() as m:

        def broken(*_args: object, **_kwargs: object) -> None:
            raise StorageError("本机数据库写入失败", "审计")

        m.setattr(audit, "record", broken)
        with pytest.raises(StorageError):
            hall.audit_chain.acknowledge(supervisor, there.id, central=True)
    with central.connect() as conn:
        still = conn.execute(select(AuditAlert).where(AuditAlert.id == there.id)).one()
    assert still.acknowledged_at is None
    hall.audit_chain.acknowledge(supervisor, there.id, central=True)
    with central.connect() as conn:
        row = conn.execute(select(AuditAlert).where(AuditAlert.id == there.id)).one()
    assert row.acknowledged_at == clock() and row.acknowledged_by_id == supervisor.staff_id
    with hall.db.read() as s:
        entry = s.execute(
            select(AuditEntry.entity_id, AuditEntry.staff_id, AuditEntry.before).where(
                AuditEntry.action == "audit.alert_acknowledged"
            )
        ).one()
    assert entry.entity_id == str(there.id) and entry.staff_id == supervisor.staff_id
    seq = there_seq(central, there.id)
    assert entry.before == {"kind": "central_delete", "seq": seq, "source": "central"}
    with pytest.raises(ValidationError):  # once only
        hall.audit_chain.acknowledge(supervisor, there.id, central=True)
    after = hall.audit_chain.desk_alerts(supervisor, acknowledged=True)
    assert [a.source for a in after.open] == [LOCAL]
    done = next(a for a in after.alerts if a.id == there.id)
    assert done.acknowledged_by == f"{supervisor.full_name}（{supervisor.employee_no}）"

    # Offline: this counter's alerts, and the service says the central ones are missing.
    hall.link.mark_offline()
    offline = hall.audit_chain.desk_alerts(supervisor, acknowledged=True)
    assert offline.central == CENTRAL_OFFLINE
    assert {a.source for a in offline.alerts} == {LOCAL}
    with pytest.raises(StorageError) as err:
        hall.audit_chain.acknowledge(supervisor, there.id, central=True)
    assert err.value.field == "审计警告" and "中心数据库暂时无法连接" in err.value.text
    local = offline.open[0]
    hall.audit_chain.acknowledge(supervisor, local.id)  # a local one needs no link
    assert hall.audit_chain.desk_alerts(supervisor).open == []


def there_seq(central: Engine, alert_id: uuid.UUID) -> int | None:
    with central.connect() as conn:
        return conn.scalar(select(AuditAlert.seq).where(AuditAlert.id == alert_id))
