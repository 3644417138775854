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

import pytest
from sqlalchemy import delete, insert, select, update

from hall_app.app import HallApp
from hall_app.db.engine import Database, make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import AuditEntry
from hall_app.domain.errors import AuthenticationError
from hall_app.services import audit, audit_chain
from hall_app.services.actor import Actor
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
    values = {
        "id": uuid.uuid4(),
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
    return values["id"]


def _tamper(db: Database, how: str, chain: list[AuditEntry]) -> int:
    """Tamper with the chain's entry at index -4 (an entry in the middle); its seq."""
    victim, after_it = chain[-4], chain[-3]
    by_id = AuditEntry.id == victim.id
    with db.unit_of_work() as s:
        if how == "altered":
            s.execute(update(AuditEntry).where(by_id).values(after={"ok": False}))
        elif how == "deleted":
            s.execute(delete(AuditEntry).where(by_id))
        elif how == "reordered":
            s.execute(update(AuditEntry).where(by_id).values(seq=after_it.seq))
            s.execute(update(AuditEntry).where(AuditEntry.id == after_it.id).values(seq=victim.seq))
    if how == "inserted":
        _forge(db, victim, victim.seq, chain[-5].entry_hash or "")
    assert victim.seq is not None
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
