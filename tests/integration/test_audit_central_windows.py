"""Two windows of a hall each keep a chain of the entries they record with no window (the
system's); centrally each stays its own (origin_counter_id, migration 0020), so `audit verify
--central` passes with several windows and still names a tampered entry of one of them. The
second window, started from a copy of the first one's synced file (as a hall sets one up),
shares the start of that chain: its own part branches off where the copy was taken."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from hall_app.app import HallApp, build_app
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, Counter
from hall_app.domain.errors import ValidationError
from hall_app.services import audit_chain
from tests.conftest import CentralSnapshots, FakeClock, Snapshot
from tests.integration.test_audit_chain import _record
from tests.integration.test_sync_service import _online_start

pytestmark = pytest.mark.postgres


def _window(url: str, path: Path, code: str, clock: FakeClock) -> HallApp:
    env = {"HALL_CENTRAL_URL": url, "HALL_COUNTER": code}
    return build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)


@pytest.fixture
def two_windows(
    central_snapshots: CentralSnapshots,
    restore: Callable[[Snapshot], str],
    tmp_path: Path,
    clock: FakeClock,
) -> Iterator[tuple[str, Engine, dict[str, HallApp]]]:
    """Window 01 after its first load; window 02 started from a copy of 01's file. Each has
    recorded entries with no window and pushed them."""
    snap = central_snapshots.get("online", _online_start)
    url = restore(snap)
    first = tmp_path / "counter.sqlite3"  # window 01's, as the snapshot left it
    second = tmp_path / "counter-02.sqlite3"
    shutil.copyfile(first, second)
    apps = {"01": _window(url, first, "01", clock), "02": _window(url, second, "02", clock)}
    central = make_engine(url)
    try:
        for code, app in apps.items():
            _record(app.db, 6, tag=f"w{code}-")  # the same seqs at both windows
        for app in apps.values():
            assert app.sync.run_round().quarantined == 0
        yield url, central, apps
    finally:
        for app in apps.values():
            app.close()
        central.dispose()


def _no_window_chain(central: Engine, origin: uuid.UUID) -> list[AuditEntry]:
    with Session(central, expire_on_commit=False) as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.counter_id.is_(None), AuditEntry.origin_counter_id == origin)
                .order_by(AuditEntry.seq)
            )
        )


def _counter_id(central: Engine, code: str) -> uuid.UUID:
    with central.connect() as conn:
        found = conn.scalar(select(Counter.id).where(Counter.code == code))
    assert found is not None
    return found


def test_two_windows_no_window_entries_verify_centrally(
    two_windows: tuple[str, Engine, dict[str, HallApp]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, central, apps = two_windows
    ones, twos = (_no_window_chain(central, _counter_id(central, c)) for c in ("01", "02"))
    assert [e.actor_name for e in twos] == [f"w02-{i}" for i in range(6)]  # only its own
    assert ones[-1].actor_name == "w01-5"
    # Window 02's part continues the chain it was copied with, where 01's goes on too.
    assert twos[0].seq == ones[-6].seq and twos[0].prev_hash == ones[-6].prev_hash
    for app in apps.values():
        assert audit_chain.verify(app.db.engine).ok
    report = audit_chain.verify(central)
    assert report.ok, report.problem
    assert report.checked >= len(ones) + len(twos)
    monkeypatch.setenv("HALL_CENTRAL_URL", url)
    db_url = apps["01"].db.engine.url.render_as_string(hide_password=False)
    assert cli_main(["--db", db_url, "audit", "verify", "--central"]) == 0
    out = capsys.readouterr().out
    assert "中心数据库审计链完整" in out
    assert "无窗口（窗口 01 推送）" in out and "无窗口（窗口 02 推送）" in out


def _unguarded(central: Engine) -> Callable[[str, dict[str, object]], None]:
    def run(sql: str, params: dict[str, object]) -> None:
        with central.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER trg_audit_append_only"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER trg_audit_append_only"))

    return run


def test_a_tampered_entry_of_one_windows_no_window_chain_is_named(
    two_windows: tuple[str, Engine, dict[str, HallApp]],
) -> None:
    _url, central, _apps = two_windows
    twos = _no_window_chain(central, _counter_id(central, "02"))
    victim = twos[3]
    _unguarded(central)(
        "UPDATE audit_log SET actor_name = 'forged' WHERE id = :id", {"id": victim.id}
    )
    report = audit_chain.verify(central)
    assert not report.ok
    assert "窗口 02" in report.problem and "推送的无窗口审计链" in report.problem
    assert f"第 {victim.seq} 条审计记录已被修改" in report.problem
    assert report.first_bad_seq == victim.seq and report.counter_id is None


def test_an_entry_deleted_from_a_branch_or_its_start_is_found(
    two_windows: tuple[str, Engine, dict[str, HallApp]],
) -> None:
    _url, central, _apps = two_windows
    ones = _no_window_chain(central, _counter_id(central, "01"))
    twos = _no_window_chain(central, _counter_id(central, "02"))
    # The entry window 02's part continues from, gone: its part continues nothing.
    fork = next(e for e in ones if e.seq == twos[0].seq - 1)
    _unguarded(central)("DELETE FROM audit_log WHERE id = :id", {"id": fork.id})
    report = audit_chain.verify(central)
    assert not report.ok
    assert f"第 {fork.seq} 条审计记录已被删除" in report.problem, report.problem


def test_a_pushed_entry_moved_into_another_windows_chain_breaks_both(
    two_windows: tuple[str, Engine, dict[str, HallApp]],
) -> None:
    _url, central, _apps = two_windows
    one, two = (_counter_id(central, c) for c in ("01", "02"))
    victim = _no_window_chain(central, two)[2]
    _unguarded(central)(
        "UPDATE audit_log SET origin_counter_id = :o WHERE id = :id", {"o": one, "id": victim.id}
    )
    report = audit_chain.verify(central)
    assert not report.ok
    assert f"第 {victim.seq} 条" in report.problem


def test_the_origin_is_filled_only_centrally(
    two_windows: tuple[str, Engine, dict[str, HallApp]],
) -> None:
    _url, central, apps = two_windows
    for app in apps.values():
        with app.db.read() as s:
            assert (
                s.scalar(
                    select(AuditEntry.id).where(AuditEntry.origin_counter_id.is_not(None)).limit(1)
                )
                is None
            )
    with central.connect() as conn:  # windowed entries keep their chain by window alone
        assert (
            conn.scalar(
                select(AuditEntry.id)
                .where(
                    AuditEntry.counter_id.is_not(None), AuditEntry.origin_counter_id.is_not(None)
                )
                .limit(1)
            )
            is None
        )
    # Nothing edited at a window reaches the central copy through the origin either.
    with apps["02"].db.unit_of_work() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(actor_name="x"))


def test_an_alert_on_a_windows_no_window_entry_is_its_halls_only(
    two_windows: tuple[str, Engine, dict[str, HallApp]],
) -> None:
    _url, central, apps = two_windows
    two = _counter_id(central, "02")
    victim = _no_window_chain(central, two)[1]
    with central.begin() as conn:  # refused by the trigger, and flagged
        conn.execute(update(AuditEntry).where(AuditEntry.id == victim.id).values(action="x"))
    supervisor = apps["02"].auth.log_in("super1", "hall1234")
    elsewhere = replace(supervisor, hall_id=uuid.uuid4())
    with Session(central) as s:
        ours = audit_chain.hall_alerts(
            s, supervisor.hall_id, audit_chain.CENTRAL, acknowledged=False
        )
        theirs = audit_chain.hall_alerts(
            s, elsewhere.hall_id, audit_chain.CENTRAL, acknowledged=False
        )
    [alert] = [a for a in ours if a.kind == "central_update"]
    assert alert.counter_name == "无窗口"
    assert all(a.id != alert.id for a in theirs)  # another hall's supervisor does not see it
    with Session(central) as s, pytest.raises(ValidationError):
        audit_chain._mark_acknowledged(s, elsewhere, alert.id, apps["02"].clock())
    with Session(central) as s:
        assert audit_chain._mark_acknowledged(s, supervisor, alert.id, apps["02"].clock())


def test_the_last_entries_of_a_branched_chain_verify(
    two_windows: tuple[str, Engine, dict[str, HallApp]],
) -> None:
    _url, central, _apps = two_windows
    twos = _no_window_chain(central, _counter_id(central, "02"))
    for last in (1, 3, len(twos), len(twos) + 5, 10_000):  # within the branch, and past it
        report = audit_chain.verify(central, last=last)
        assert report.ok, (last, report.problem)
    victim = twos[-2]
    _unguarded(central)(
        "UPDATE audit_log SET actor_name = 'forged' WHERE id = :id", {"id": victim.id}
    )
    for last in (3, 10_000):
        report = audit_chain.verify(central, last=last)
        assert not report.ok and f"第 {victim.seq} 条审计记录已被修改" in report.problem
