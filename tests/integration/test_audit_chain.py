"""The tamper-evident audit chain: every entry numbered and hashed as it is recorded, and
``verify`` naming the first entry altered, deleted, inserted or reordered (SQLite and
PostgreSQL)."""

from __future__ import annotations

import hashlib
import itertools
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update

from hall_app.app import HallApp
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db.engine import Database, make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import AuditEntry
from hall_app.domain.errors import AuthenticationError, PermissionDenied, ValidationError
from hall_app.services import audit, audit_chain
from hall_app.services.actor import Actor
from hall_app.services.audit_chain import AuditChainService
from tests.conftest import TEST_KEYS

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def _record(db: Database, n: int, actor: Actor | None = None, tag: str = "t") -> None:
    """``n`` entries in one unit of work (the second and later ones are not flushed yet when
    the next is numbered)."""
    with db.unit_of_work() as s:
        for i in range(n):
            audit.record(
                s,
                at=T0 + timedelta(seconds=i, microseconds=123),
                actor=actor,
                actor_name=f"{tag}{i}",
                action="test.step",
                entity="order",
                entity_id=str(i),
                before={"n": i, "名": "甲", "nested": {"b": 1, "a": [1, 2.5, None]}},
                after={"ok": True},
            )


def _chain(db: Database, counter_id: uuid.UUID | None) -> list[AuditEntry]:
    where = (
        AuditEntry.counter_id.is_(None)
        if counter_id is None
        else AuditEntry.counter_id == counter_id
    )
    with db.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(where).order_by(AuditEntry.seq)))
        s.expunge_all()
        return rows


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    db = Database(engine)
    yield db
    db.dispose()


def test_the_demo_database_chains_are_whole(hall: HallApp) -> None:
    report = audit_chain.verify(hall.db.engine)
    assert report.ok, report.problem
    assert report.checked > 0 and report.first_bad_seq is None


def test_entries_are_numbered_and_linked_in_their_transaction(hall: HallApp, clerk: Actor) -> None:
    before = _chain(hall.db, clerk.counter_id)
    _record(hall.db, 3, clerk)
    _record(hall.db, 2, clerk)
    chain = _chain(hall.db, clerk.counter_id)
    new = chain[len(before) :]
    assert len(new) == 5
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    for prev, entry in itertools.pairwise(chain):
        assert entry.prev_hash == prev.entry_hash
    assert chain[0].prev_hash == audit_chain.GENESIS
    last = new[-1]
    assert last.entry_hash == audit_chain.hash_of_row(
        {
            c: getattr(last, c)
            for c in (
                "id",
                "at",
                "staff_id",
                "actor_name",
                "counter_id",
                "action",
                "entity",
                "entity_id",
                "before",
                "after",
                "seq",
                "prev_hash",
            )
        }
    )
    with hall.db.read() as s:
        assert audit_chain.chain_head(s, clerk.counter_id) == (last.seq, last.entry_hash)


def _forge(db: Database, template: AuditEntry, seq: int, prev_hash: str) -> uuid.UUID:
    """A well-formed entry (its hash recomputed) slipped in at ``seq``."""
    forged = uuid.uuid4()
    values: dict[str, object] = {
        "id": forged,
        "created_at": template.at,
        "updated_at": template.at,
        "at": template.at,
        "staff_id": None,
        "actor_name": "intruder",
        "counter_id": template.counter_id,
        "action": "cash.refund",
        "entity": "order",
        "entity_id": "x",
        "before": None,
        "after": {"fen": 100000},
        "seq": seq,
        "prev_hash": prev_hash,
    }
    values["entry_hash"] = audit_chain.hash_of_row(values)
    with db.unit_of_work() as s:
        s.execute(insert(AuditEntry), [values])
    return forged


def _tamper(db: Database, how: str, chain: list[AuditEntry]) -> int:
    """Tamper with the chain's entry at index -4 (an entry in the middle); its seq."""
    victim, after_it = chain[-4], chain[-3]
    by_id = AuditEntry.id == victim.id
    with db.unit_of_work() as s:
        if db.engine.dialect.name == "postgresql":  # someone with the owner's rights
            s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER trg_audit_append_only"))
        if how == "altered":
            s.execute(update(AuditEntry).where(by_id).values(after={"ok": False}))
        elif how == "deleted":
            s.execute(delete(AuditEntry).where(by_id))
        elif how == "reordered":
            s.execute(update(AuditEntry).where(by_id).values(seq=after_it.seq))
            s.execute(update(AuditEntry).where(AuditEntry.id == after_it.id).values(seq=victim.seq))
        if db.engine.dialect.name == "postgresql":
            s.execute(text("ALTER TABLE audit_log ENABLE TRIGGER trg_audit_append_only"))
    assert victim.seq is not None
    if how == "inserted":
        _forge(db, victim, victim.seq, chain[-5].entry_hash or "")
    return victim.seq


WORDS = {
    "altered": "已被修改",
    "deleted": "已被删除",
    "inserted": "插入",
    "reordered": "顺序被调换",
}


@pytest.mark.parametrize("how", sorted(WORDS))
def test_verify_names_the_first_tampered_entry_sqlite(
    hall: HallApp, clerk: Actor, how: str
) -> None:
    _record(hall.db, 8, clerk)
    chain = _chain(hall.db, clerk.counter_id)
    seq = _tamper(hall.db, how, chain)
    report = audit_chain.verify(hall.db.engine)
    assert not report.ok
    assert report.first_bad_seq == seq and report.counter_id == clerk.counter_id
    assert WORDS[how] in report.problem and f"第 {seq} 条" in report.problem
    assert "窗口" in report.problem  # which counter's chain
    # One counter's chain alone, and only the last entries: the same break, or none before.
    assert not audit_chain.verify(hall.db.engine, counter_id=clerk.counter_id).ok
    assert audit_chain.verify(hall.db.engine, counter_id=clerk.counter_id, last=2).ok


@pytest.mark.postgres
@pytest.mark.parametrize("how", sorted(WORDS))
def test_verify_names_the_first_tampered_entry_postgres(pg_db: Database, how: str) -> None:
    _record(pg_db, 4)
    _record(pg_db, 6)
    chain = _chain(pg_db, None)
    assert [e.seq for e in chain] == list(range(1, 11))
    assert audit_chain.verify(pg_db.engine).ok
    seq = _tamper(pg_db, how, chain)
    report = audit_chain.verify(pg_db.engine)
    assert not report.ok and report.first_bad_seq == seq, report.problem
    assert WORDS[how] in report.problem and "无窗口的审计链" in report.problem


@pytest.mark.parametrize("how", sorted(WORDS))
def test_a_chain_read_a_few_rows_at_a_time_names_the_same_break(
    hall: HallApp, clerk: Actor, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain is streamed from the cursor a page at a time: a break on a page's edge (a
    forged duplicate seq split over two pages, two swapped entries on either side) is named
    as when read at once."""
    _record(hall.db, 8, clerk)
    chain = _chain(hall.db, clerk.counter_id)
    seq = _tamper(hall.db, how, chain)
    whole = audit_chain.verify(hall.db.engine)
    for page in (1, 2, 3):
        monkeypatch.setattr(audit_chain, "_STREAM", page)
        report = audit_chain.verify(hall.db.engine)
        assert report == whole and report.first_bad_seq == seq, (page, report.problem)
    monkeypatch.setattr(audit_chain, "_STREAM", 2)
    assert audit_chain.verify(hall.db.engine, counter_id=clerk.counter_id, last=2).ok


def test_a_chain_stored_out_of_seq_order_is_read_again_in_seq_order(
    hall: HallApp, clerk: Actor
) -> None:
    """The one pass in table order proves a chain whole only when its entries come in seq
    order; one stored otherwise is read again through its index, and found whole."""
    _record(hall.db, 6, clerk)
    whole = audit_chain.verify(hall.db.engine)
    assert whole.ok
    with hall.db.engine.connect() as conn:
        assert clerk.counter_id is not None and (clerk.counter_id.hex, None) in audit_chain._scan(
            conn
        )
    chain = _chain(hall.db, clerk.counter_id)
    columns = [c.name for c in AuditEntry.__table__.c]
    rows = [{c: getattr(e, c) for c in columns} for e in chain]
    with hall.db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.counter_id == clerk.counter_id))
        for row in reversed(rows):
            s.execute(insert(AuditEntry), [row])
    with hall.db.engine.connect() as conn:
        assert (clerk.counter_id.hex, None) not in audit_chain._scan(conn)
    report = audit_chain.verify(hall.db.engine)
    assert report.ok and report.checked == whole.checked, report.problem
    _tamper(hall.db, "altered", _chain(hall.db, clerk.counter_id))
    assert "已被修改" in audit_chain.verify(hall.db.engine).problem


def test_each_rows_digest_is_the_canonical_serialisations() -> None:
    """verify's per-row digest (the canonical form written out) hashes what entry_hash hashes,
    whichever nullable field is NULL."""
    full: tuple[object, ...] = (
        uuid.uuid4().hex,
        "2026-11-24 02:00:00.000123",
        uuid.uuid4().hex,
        "张三",
        uuid.uuid4().hex,
        "order.completed",
        "order",
        "42",
        '{"n": 1, "\\u540d": "\\u7532"}',
        "null",
        7,
        "ab" * 32,
        "",
    )
    for blank in (None, 2, 4, 7, 8, 9, 10, 11):
        row = tuple(None if i == blank else v for i, v in enumerate(full))
        canon = audit_chain._digest(audit_chain._canon(row))
        assert audit_chain._row_digest(row) == canon, blank
    row = full
    at = datetime(2026, 11, 24, 2, 0, 0, 123, tzinfo=UTC)
    assert audit_chain._row_digest(row) == audit_chain.entry_hash(
        id=str(row[0]),
        at=at,
        staff_id=str(row[2]),
        actor_name="张三",
        counter_id=str(row[4]),
        action="order.completed",
        entity="order",
        entity_id="42",
        before={"n": 1, "名": "甲"},
        after=None,
        seq=7,
        prev_hash="ab" * 32,
    )


def test_an_entry_outside_the_chain_is_an_insertion(hall: HallApp, clerk: Actor) -> None:
    _record(hall.db, 2, clerk)
    chain = _chain(hall.db, clerk.counter_id)
    with hall.db.unit_of_work() as s:
        s.add(
            AuditEntry(
                at=chain[-1].at + timedelta(seconds=1),
                actor_name="intruder",
                counter_id=clerk.counter_id,
                action="cash.refund",
                entity="order",
                entity_id=None,
            )
        )
    report = audit_chain.verify(hall.db.engine, counter_id=clerk.counter_id)
    assert not report.ok and "插入了不属于审计链的记录" in report.problem
    assert report.first_bad_seq is None


def _concurrently(dbs: list[Database], per_thread: int) -> None:
    errors: list[BaseException] = []

    def work(db: Database, k: int) -> None:
        try:
            for i in range(per_thread):
                _record(db, 1 + i % 2, tag=f"w{k}-{i}-")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(db, k)) for k, db in enumerate(dbs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_two_processes_on_one_sqlite_file_never_share_a_number(demo_url: str) -> None:
    """Two engines (as two processes) on one file, recording at once."""
    dbs = [Database(make_engine(demo_url)) for _ in range(3)]
    try:
        start = len(_chain(dbs[0], None))
        _concurrently(dbs, 30)
        seqs = [e.seq for e in _chain(dbs[0], None)]
        assert len(seqs) == start + 3 * 45
        assert seqs == list(range(1, len(seqs) + 1))
        assert audit_chain.verify(dbs[0].engine).ok
    finally:
        for db in dbs:
            db.dispose()


@pytest.mark.postgres
def test_two_sessions_on_postgres_never_share_a_number(pg_db: Database) -> None:
    other = Database(make_engine(str(pg_db.engine.url.render_as_string(hide_password=False))))
    try:
        _concurrently([pg_db, other, pg_db], 20)
        seqs = [e.seq for e in _chain(pg_db, None)]
        assert seqs == list(range(1, 3 * 30 + 1))
        assert audit_chain.verify(pg_db.engine).ok
    finally:
        other.dispose()


def test_an_unknown_user_name_is_stored_as_a_keyed_hmac(hall: HallApp) -> None:
    typed = "13800001234"
    with pytest.raises(AuthenticationError):
        hall.auth.log_in(typed, "x")
    with hall.db.read() as s:
        name = s.scalars(
            select(AuditEntry.actor_name).where(AuditEntry.action == "auth.login_failed")
        ).all()[-1]
    assert name == "unknown:" + TEST_KEYS.blind("username", typed)[:16]
    assert hashlib.sha256(typed.encode()).hexdigest()[:12] not in name


def test_hall_app_audit_verify_command(
    hall: HallApp, clerk: Actor, demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _record(hall.db, 6, clerk)
    assert cli_main(["--db", demo_url, "audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "本机数据库审计链完整" in out and "链头第" in out
    chain = _chain(hall.db, clerk.counter_id)
    seq = _tamper(hall.db, "deleted", chain)
    assert cli_main(["--db", demo_url, "audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "审计链断裂" in err and f"第 {seq} 条审计记录已被删除" in err
    assert cli_main(["--db", demo_url, "audit", "verify", "--last", "2"]) == 0
    assert "各链最后 2 条" in capsys.readouterr().out
    assert cli_main(["--db", demo_url, "audit", "verify", "--last", "0"]) == 2


def test_a_break_found_at_start_warns_the_supervisor_once(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    assert hall.audit_chain.check_at_start().ok
    _record(hall.db, 5, clerk)
    _tamper(hall.db, "altered", _chain(hall.db, clerk.counter_id))
    report = hall.audit_chain.check_at_start()
    assert not report.ok
    hall.audit_chain.check_at_start()  # started again: still one alert
    alerts = hall.audit_chain.alerts(supervisor)
    assert len(alerts) == 1 and alerts[0].kind_label == "审计链断裂"
    assert "已被修改" in alerts[0].detail
    with pytest.raises(PermissionDenied):
        hall.audit_chain.alerts(clerk)
    hall.audit_chain.acknowledge(supervisor, alerts[0].id)
    assert hall.audit_chain.alerts(supervisor) == []
    with hall.db.read() as s:
        assert s.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "audit.alert_acknowledged")
        )
    with pytest.raises(ValidationError):
        hall.audit_chain.acknowledge(supervisor, alerts[0].id)


def test_the_check_at_start_reads_only_the_last_entries(hall: HallApp, clerk: Actor) -> None:
    _record(hall.db, 8, clerk)
    _tamper(hall.db, "altered", _chain(hall.db, clerk.counter_id))  # the 4th from the head
    lenient = AuditChainService(hall.db, hall.clock, verify_last=3)
    assert lenient.check_at_start().ok
    assert not AuditChainService(hall.db, hall.clock, verify_last=10).check_at_start().ok
    assert AuditChainService(hall.db, hall.clock, verify_last=0).check_at_start().checked == 0


def test_the_setting_of_the_check_at_start() -> None:
    assert Settings.load(env={}).audit_verify_last == 2000
    assert Settings.load(env={"HALL_AUDIT_VERIFY_LAST": "50"}).audit_verify_last == 50
    with pytest.raises(ValueError, match="HALL_AUDIT_VERIFY_LAST"):
        Settings.load(env={"HALL_AUDIT_VERIFY_LAST": "-3"})


def test_the_z_report_prints_the_chain_head_at_close(hall: HallApp, clerk: Actor) -> None:
    from tests.integration.test_tills import _pdf_text, _sale

    hall.cash.open_session(clerk, 0)
    _sale(hall, clerk)
    with hall.db.read() as s:
        head = audit_chain.chain_head(s, clerk.counter_id)
    assert head is not None
    closed = hall.cash.close_session(clerk, 6_950)
    z = hall.cash.z_report(clerk, closed.id)
    assert z.content["audit_head"] == {"seq": head[0], "hash": head[1]}
    text = _pdf_text(hall.cash.print_z_report(clerk, closed.id).pdf)
    assert "审计链头" in text and f"第 {head[0]} 条，哈希 {head[1][:16]}" in text
    with hall.db.read() as s:  # the close itself is the next entry, naming the Z report
        close = s.scalars(select(AuditEntry).where(AuditEntry.action == "cash_session.close")).one()
        assert close.seq == head[0] + 1 and close.prev_hash == head[1]


@pytest.mark.parametrize("how", [None, *sorted(WORDS)])
def test_the_parallel_pass_finds_what_the_single_pass_finds(
    hall: HallApp, clerk: Actor, how: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large SQLite file is read in consecutive stretches by one process per core and the
    chains stitched across them: whole chains, and each tampering, come out as from the one
    pass (stretch edges fall inside the chains here)."""
    _record(hall.db, 9, clerk)
    _record(hall.db, 5)  # the no-counter chain, interleaved in the table with the counter's
    _record(hall.db, 6, clerk)
    if how is not None:
        _tamper(hall.db, how, _chain(hall.db, clerk.counter_id))
    single = audit_chain.verify(hall.db.engine)
    with hall.db.engine.connect() as conn:
        one_pass = audit_chain._scan(conn)
    monkeypatch.setattr(audit_chain, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(audit_chain, "_may_fork", lambda: True)
    for workers in (2, 3, 5):
        monkeypatch.setattr(audit_chain, "_workers", lambda w=workers: w)
        with hall.db.engine.connect() as conn:
            parts = audit_chain._parallel_parts(conn)
            assert parts is not None and len(parts) == workers
            assert audit_chain._scan(conn) == one_pass
        assert audit_chain.verify(hall.db.engine) == single, workers
    assert single.ok is (how is None)
    if how is None:
        assert clerk.counter_id is not None and (clerk.counter_id.hex, None) in one_pass
        assert (None, None) in one_pass


def test_stretches_are_stitched_only_where_one_ends_and_the_next_begins() -> None:
    g, h1, h2, h3 = audit_chain.GENESIS, "a" * 64, "b" * 64, "c" * 64
    at = "2026-11-24 02:00:00.000000"

    def part(first: int, prev: str, last: int, last_hash: str, n: int, ok: bool = True) -> Any:
        return {"k": [first, prev, at, last, last_hash, n, ok]}

    stitch = audit_chain._stitch
    assert stitch([part(1, g, 3, h1, 3), part(4, h1, 6, h2, 3)]) == {"k": (6, at)}
    assert stitch([part(1, g, 3, h1, 3), {}, part(4, h1, 5, h2, 2)]) == {"k": (5, at)}
    assert stitch([part(1, g, 3, h1, 3), part(5, h1, 6, h2, 2)]) == {}  # a gap at the edge
    assert stitch([part(1, g, 3, h1, 3), part(4, h3, 6, h2, 3)]) == {}  # a broken link
    assert stitch([part(2, g, 3, h1, 2)]) == {}  # not from the start
    assert stitch([part(1, h1, 3, h1, 3)]) == {}  # not from the genesis hash
    assert stitch([part(1, g, 3, h1, 3, ok=False), part(4, h1, 6, h2, 3)]) == {}
    assert stitch([part(1, g, 3, h1, 3), part(4, h1, 6, h2, 3, ok=False)]) == {}
    # Left out once, it stays out.
    assert stitch([part(1, g, 3, h1, 3), part(5, h1, 6, h2, 2), part(7, h2, 8, h3, 2)]) == {}


def test_an_entry_deleted_where_a_stretch_begins_is_found(
    hall: HallApp, clerk: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gap falls exactly on the edge of two stretches: each stretch is whole alone, and
    only the stitching sees the missing entry."""
    _record(hall.db, 12, clerk)
    monkeypatch.setattr(audit_chain, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(audit_chain, "_may_fork", lambda: True)
    monkeypatch.setattr(audit_chain, "_workers", lambda: 2)
    assert audit_chain.verify(hall.db.engine).ok
    with hall.db.engine.begin() as conn:
        low, high = conn.exec_driver_sql("SELECT min(rowid), max(rowid) FROM audit_log").one()
        edge = low + (high - low) // 2 + 1  # the second stretch's first row
        chain, victim = conn.exec_driver_sql(
            "SELECT counter_id, seq FROM audit_log WHERE rowid = ?", (edge,)
        ).one()
        head = conn.exec_driver_sql(
            "SELECT max(seq) FROM audit_log WHERE counter_id IS ?", (chain,)
        ).scalar()
        assert victim is not None and victim < head  # a chained entry, not its chain's head
        conn.exec_driver_sql("DELETE FROM audit_log WHERE rowid = ?", (edge,))
    with hall.db.engine.connect() as conn:
        parts = audit_chain._parallel_parts(conn)
        assert parts is not None and all(p[chain][6] for p in parts if chain in p)
    report = audit_chain.verify(hall.db.engine)
    assert not report.ok and "已被删除" in report.problem and report.first_bad_seq == victim
