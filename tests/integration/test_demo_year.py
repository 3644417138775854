"""A year of the hall's history (``hall-app demo --days N``): the patterns of the days and
hours, the clerks' evaluations, the approvals in every state, the tills with their blind
counts, the Z reports numbered gap-free and the hall's day closes."""

from __future__ import annotations

import itertools
import json
import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hall_app.clock import HALL_TZ
from hall_app.db.crypto import encrypted_columns, open_value
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import (
    Approval,
    Base,
    CashMovement,
    CashSession,
    Hall,
    HallDayClose,
    Payment,
    PrintRecord,
    QueueTicket,
    ServiceType,
    Staff,
    ZReport,
)
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.tills import DENOMINATIONS, FLOAT_FEN
from hall_app.demo.year import is_month_end
from hall_app.domain.enums import (
    ApprovalState,
    CashMovementKind,
    PaymentMethod,
    Rating,
    TicketStatus,
)
from hall_app.domain.till import z_print_ref
from tests.conftest import DEMO_TODAY

DAYS = 75  # three month-ends: September, October, November's not yet


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("year") / "year.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    until = datetime.combine(DEMO_TODAY, time(10, 40), HALL_TZ)
    DemoBuilder(engine, seed=3, today=DEMO_TODAY, chunk=500, workers=1, queue_until=until).build(
        800, DAYS
    )
    yield engine
    engine.dispose()


def _past(s: Session) -> list[QueueTicket]:
    return list(s.scalars(select(QueueTicket).where(QueueTicket.business_date < DEMO_TODAY)))


def test_mornings_are_busier_than_lunch_and_the_afternoon_peak(year: Engine) -> None:
    with Session(year) as s:
        by_half_hour: Counter[time] = Counter()
        for t in _past(s):
            local = t.issued_at.astimezone(HALL_TZ)
            by_half_hour[time(local.hour, 30 if local.minute >= 30 else 0)] += 1
    morning = sum(by_half_hour[time(h, m)] for h in (9, 10) for m in (30, 0)) / 4
    lunch = sum(by_half_hour[time(h, m)] for h, m in ((12, 0), (12, 30), (13, 0))) / 3
    afternoon = sum(by_half_hour[time(h, m)] for h in (14, 15) for m in (0, 30)) / 4
    assert morning > 2 * lunch
    assert morning > afternoon > lunch
    assert min(by_half_hour) >= time(8, 30) and max(by_half_hour) <= time(17, 30)


def test_the_month_end_bill_rush_and_the_weekends(year: Engine) -> None:
    with Session(year) as s:
        billing = s.scalars(select(ServiceType.id).where(ServiceType.code == "billing")).one()
        per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for t in _past(s):
            per_day[t.business_date][0] += 1
            per_day[t.business_date][1] += t.service_type_id == billing
    assert len(per_day) == DAYS
    end = [b for d, (_, b) in per_day.items() if is_month_end(d)]
    rest = [b for d, (_, b) in per_day.items() if not is_month_end(d)]
    assert len(end) == 6  # the last three days of September and October
    assert statistics.mean(end) > 1.8 * statistics.mean(rest)
    saturdays = [n for d, (n, _) in per_day.items() if d.weekday() == 5 and not is_month_end(d)]
    weekdays = [n for d, (n, _) in per_day.items() if d.weekday() < 5 and not is_month_end(d)]
    assert statistics.mean(saturdays) > 1.2 * statistics.mean(weekdays)


def test_queue_times_are_consistent_with_recalls_transfers_and_no_shows(year: Engine) -> None:
    with Session(year) as s:
        tickets = _past(s)
    statuses = Counter(t.status for t in tickets)
    assert set(statuses) == {TicketStatus.DONE, TicketStatus.NO_SHOW}
    assert 0.01 < statuses[TicketStatus.NO_SHOW] / len(tickets) < 0.15
    for t in tickets:
        assert t.called_at is not None and t.called_at >= t.issued_at
        if t.status is TicketStatus.NO_SHOW:
            assert t.recall_count == 2 and t.started_at is None and t.customer_id is None
        else:
            assert t.started_at is not None and t.finished_at is not None
            assert t.called_at < t.started_at < t.finished_at
    # the counters serve one ticket at a time
    by_counter: dict[tuple[date, object], list[QueueTicket]] = defaultdict(list)
    for t in tickets:
        if t.status is TicketStatus.DONE:
            by_counter[(t.business_date, t.counter_id)].append(t)
    for served in by_counter.values():
        served.sort(key=lambda t: t.called_at)  # type: ignore[arg-type, return-value]
        for a, b in itertools.pairwise(served):
            assert a.finished_at is not None and b.called_at is not None
            assert b.called_at >= a.finished_at


def test_transfers_keep_their_number_and_clerks_differ_in_speed(year: Engine) -> None:
    with Session(year) as s:
        letters = {t.id: t.letter for t in s.scalars(select(ServiceType))}
        by_letter = {t.letter: t.code for t in s.scalars(select(ServiceType))}
        moved = [t for t in _past(s) if t.ticket_no[0] != letters[t.service_type_id]]
        general = [t for t in _past(s) if t.ticket_no[0] == "A"]
        # about 3 % of the general tickets, sent on to 宽带固话 or 缴费 with their number
        assert 0.01 < len(moved) / len(general) < 0.06
        for t in moved:
            assert by_letter[t.ticket_no[0]] == "general"
            assert t.service_type.code in ("fixed", "billing")
        speed: dict[str, list[float]] = defaultdict(list)
        for t in _past(s):
            if t.status is TicketStatus.DONE and t.staff is not None:
                assert t.finished_at is not None and t.started_at is not None
                speed[t.staff.username].append((t.finished_at - t.started_at).total_seconds())
    assert len(speed) == 6
    # the same mix of general business: the slow new clerk takes longest
    means = {u: statistics.mean(v) for u, v in speed.items()}
    assert means["clerk3"] > means["clerk2"] > means["clerk1"]


def test_evaluations_mostly_satisfied_a_few_dissatisfied_with_reasons(year: Engine) -> None:
    with Session(year) as s:
        done = [t for t in _past(s) if t.status is TicketStatus.DONE]
        names = {st.id: st.username for st in s.scalars(select(Staff))}
    ratings = Counter(t.rating for t in done)
    assert None not in ratings
    assert set(ratings) == set(Rating)
    satisfied = ratings[Rating.VERY_SATISFIED] + ratings[Rating.SATISFIED]
    assert satisfied / len(done) > 0.7
    assert 0.005 < ratings[Rating.DISSATISFIED] / len(done) < 0.08
    for t in done:
        assert t.rated_at is not None and t.finished_at is not None
        assert timedelta(0) < t.rated_at - t.finished_at <= timedelta(seconds=30)
        assert bool(t.rating_note) == (t.rating is Rating.DISSATISFIED)
    bad: Counter[str] = Counter()
    served: Counter[str] = Counter()
    for t in done:
        assert t.staff_id is not None
        served[names[t.staff_id]] += 1
        bad[names[t.staff_id]] += t.rating is Rating.DISSATISFIED
    rate = {u: bad[u] / served[u] for u in served}
    assert rate["clerk3"] > max(r for u, r in rate.items() if u != "clerk3")


def test_approvals_in_every_state_with_every_column(year: Engine) -> None:
    with Session(year) as s:
        rows = list(s.scalars(select(Approval)))
    states = Counter(a.state for a in rows)
    assert set(states) == set(ApprovalState)
    kinds = Counter(a.kind for a in rows)
    assert set(kinds) == {
        "second_number_30d",
        "installment_credit",
        "handset_return",
        "red_letter",
        "cash_variance",
    }
    assert {a.inline for a in rows} == {True, False}
    for a in rows:
        assert a.hall_id is not None and a.counter_id is not None
        assert a.requested_at is not None and a.expires_at == a.requested_at + timedelta(minutes=30)
        assert a.summary and a.subject_ref and a.request_reason
        assert a.approver_id != a.requested_by_id  # four-eyes
        # what is approved, as the services name it (hall_app.demo.history's docstring)
        if a.kind == "second_number_30d":
            assert a.subject_ref == str(a.customer_id)
        if a.kind == "handset_return":
            assert a.subject_ref == str(a.order_id)
        assert bool(a.customer_label) == (a.customer_id is not None)
        today = a.requested_at.astimezone(HALL_TZ).date() == DEMO_TODAY
        if a.state is ApprovalState.APPROVED:
            assert a.approver_id is not None and a.decided_at is not None
            assert a.decided_at >= a.requested_at
            if today:  # decided this morning, the clerk not yet gone on
                assert a.used_at is None
            else:
                assert a.used_at is not None and a.used_at >= a.decided_at
        elif a.state is ApprovalState.REJECTED:
            assert a.reason and a.decided_at is not None and a.used_at is None
            if a.kind == "second_number_30d":
                assert a.order_id is None  # the order stopped
        else:
            assert a.approver_id is None and a.decided_at is None and a.used_at is None
        if a.inline:
            assert a.state is ApprovalState.APPROVED and a.decided_at == a.requested_at
    pending = [a for a in rows if a.state is ApprovalState.PENDING]
    assert len(pending) == 2
    assert all(a.requested_at.astimezone(HALL_TZ).date() == DEMO_TODAY for a in pending)
    decided_today = [
        a
        for a in rows
        if a.decided_at is not None and a.decided_at.astimezone(HALL_TZ).date() == DEMO_TODAY
    ]
    assert {a.state for a in decided_today} == {ApprovalState.APPROVED, ApprovalState.REJECTED}


def test_todays_finished_tickets_are_rated_once_their_window_is_over(year: Engine) -> None:
    until = datetime.combine(DEMO_TODAY, time(10, 40), HALL_TZ)
    with Session(year) as s:
        done = list(
            s.scalars(
                select(QueueTicket).where(
                    QueueTicket.business_date == DEMO_TODAY,
                    QueueTicket.status == TicketStatus.DONE,
                )
            )
        )
    assert done
    for t in done:
        assert t.finished_at is not None
        if t.finished_at <= until - timedelta(seconds=30):
            assert t.rating is not None and t.rated_at is not None and t.rated_at <= until
        if t.rating is None:
            assert t.rated_at is None and t.finished_at > until - timedelta(seconds=30)


def test_receipts_reprinted_now_and_then_with_a_reason(year: Engine) -> None:
    with Session(year) as s:
        receipts = list(
            s.scalars(select(PrintRecord).where(PrintRecord.document_type == "receipt"))
        )
    originals = {r.document_ref for r in receipts if r.copy_no == 1}
    again = [r for r in receipts if r.copy_no == 2]
    assert 0.005 < len(again) / len(originals) < 0.04
    assert all(r.reason and r.document_ref in originals for r in again)


def test_tills_blind_counts_and_variances_signed_off(year: Engine) -> None:
    with Session(year) as s:
        tills = list(s.scalars(select(CashSession)))
        moves: dict[object, list[CashMovement]] = defaultdict(list)
        for m in s.scalars(select(CashMovement)):
            moves[m.cash_session_id].append(m)
        sales: Counter[tuple[object, PaymentMethod]] = Counter()
        for p in s.scalars(select(Payment).where(Payment.cash_session_id.is_not(None))):
            sales[(p.cash_session_id, p.method)] += p.amount_fen
        approvals = {a.id: a for a in s.scalars(select(Approval))}
    assert tills
    beyond = 0
    for till in tills:
        counts = json.loads(till.counts_json)
        assert all(int(d) in DENOMINATIONS and n > 0 for d, n in counts.items())
        assert sum(int(d) * n for d, n in counts.items()) == till.counted_cash_fen
        ins = sum(m.amount_fen for m in moves[till.id] if m.kind is CashMovementKind.IN)
        outs = sum(m.amount_fen for m in moves[till.id] if m.kind is CashMovementKind.OUT)
        assert till.expected_cash_fen == (
            FLOAT_FEN + sales[(till.id, PaymentMethod.CASH)] + ins - outs
        )
        assert till.counted_card_fen == sales[(till.id, PaymentMethod.BANK_CARD)]
        assert till.counted_qr_fen == sales[(till.id, PaymentMethod.QR_WALLET)]
        assert till.difference_fen == till.counted_cash_fen - till.expected_cash_fen
        assert till.difference_fen is not None
        if abs(till.difference_fen) > 1000:
            beyond += 1
            assert till.difference_reason and till.approval_id is not None
            a = approvals[till.approval_id]
            assert a.kind == "cash_variance" and a.state is ApprovalState.APPROVED
            assert a.subject_ref == str(till.id) and a.amount_fen == till.difference_fen
            assert a.approver_id != till.staff_id
        else:
            assert till.approval_id is None
    assert beyond > 0
    assert any(m for ms in moves.values() for m in ms if m.kind is CashMovementKind.OUT)
    assert any(m for ms in moves.values() for m in ms if m.kind is CashMovementKind.IN)


def test_z_reports_gap_free_per_hall_with_their_content(year: Engine) -> None:
    with Session(year) as s:
        zs = list(s.scalars(select(ZReport).order_by(ZReport.z_no)))
        tills = {t.id: t for t in s.scalars(select(CashSession))}
        prints = Counter(
            r.document_ref
            for r in s.scalars(select(PrintRecord).where(PrintRecord.document_type == "z_report"))
        )
        closes = list(s.scalars(select(HallDayClose).order_by(HallDayClose.business_date)))
        hall_code = s.scalars(select(Hall.code)).one()
    assert [z.z_no for z in zs] == list(range(1, len(zs) + 1))
    assert len(zs) == len(tills)  # every till of the history closed with its Z report
    assert [z.made_at for z in zs] == sorted(z.made_at for z in zs)
    for z in zs:
        c = json.loads(z.content_json)  # the shape the tills service writes (z_content)
        till = tills[z.cash_session_id]
        assert c["z_no"] == z.z_no and c["z_ref"] == f"Z{z.z_no:08d}"
        assert c["business_date"] == z.business_date.isoformat() == till.business_date.isoformat()
        assert c["float_fen"] == till.opening_float_fen
        methods = {m["code"]: m for m in c["methods"]}
        assert set(methods) == {"cash", "bank_card", "qr_wallet"}
        cash = methods["cash"]
        assert cash["expected_fen"] == till.expected_cash_fen
        assert cash["counted_fen"] == till.counted_cash_fen
        assert c["cash_tendered_fen"] - c["change_fen"] == c["takings"]["cash"]
        assert (
            cash["expected_fen"]
            == c["float_fen"] + c["takings"]["cash"] + c["cash_in_fen"] - c["cash_out_fen"]
        )
        assert methods["bank_card"]["counted_fen"] == till.counted_card_fen
        assert till.difference_fen is not None
        assert c["variance_fen"] == abs(till.difference_fen)  # only the cash is ever off
        assert (c["signed_off_by"] is not None) == (till.approval_id is not None)
        assert prints[z_print_ref(hall_code, z.z_no)] >= 1  # the hall's own print ref
        for r in c["red_letters"]:
            assert r["total_fen"] < 0 and r["original_no"]
            assert c["opened_at"][:16] <= r["at"] <= c["closed_at"][:16]  # the hall's local time
    assert any(json.loads(z.content_json)["red_letters"] for z in zs)
    assert any(n > 1 for n in prints.values())  # a reprint now and then
    assert [c.business_date for c in closes] == sorted({z.business_date for z in zs})
    balanced = 0
    for close in closes:
        summary = json.loads(close.summary_json)
        balanced += summary["balanced"]
        assert all(d["what"] and d["amount_fen"] for d in summary["differences"])
        contents = [
            json.loads(z.content_json) for z in zs if z.business_date == close.business_date
        ]
        totals = summary["z_totals_fen"]
        for method in ("cash", "bank_card", "qr_wallet"):
            assert totals[method] == sum(c["takings"][method] for c in contents)
        day_z = [z for z in zs if z.business_date == close.business_date]
        assert [t["z_no"] for t in summary["tills"]] == [z.z_no for z in day_z]
        assert summary["balanced"] == (not summary["differences"])
        assert close.closed_at > max(z.made_at for z in day_z)
    # the orders outside the queue (repayments, returns) go into the clerk's till of the day:
    # only a return on the clerk's rest day is left to name
    assert balanced > 0.8 * len(closes)


def test_same_seed_same_year(tmp_path: Path) -> None:
    def digest(name: str) -> list[tuple[object, ...]]:
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        upgrade_to_head(engine)
        DemoBuilder(engine, seed=5, today=DEMO_TODAY, chunk=300, workers=1).build(300, 8)
        rows: list[tuple[object, ...]] = []
        with engine.connect() as conn:
            for table in ("queue_tickets", "approvals", "z_reports", "hall_day_closes"):
                found = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
                names = list(found.keys())
                # sealed free text differs by its nonce: compared opened
                sealed = [names.index(c) for c in encrypted_columns(Base.metadata.tables[table])]
                at = names.index("id")
                for r in found:
                    row = list(r)
                    for i in sealed:
                        row[i] = open_value(row[i], table, names[i], uuid.UUID(row[at]))
                    rows.append(tuple(row))
        engine.dispose()
        return rows

    assert digest("a.sqlite3") == digest("b.sqlite3")


def test_the_demo_z_reports_are_what_the_tills_service_makes(year: Engine) -> None:
    """The demo freezes its Z reports in the service's own shape: the same keys, and the
    figures the service computes from the demo's tills, payments and counts."""
    from hall_app.services.tills import z_content

    with Session(year) as s:
        zs = list(s.scalars(select(ZReport).order_by(ZReport.z_no)))
        for z in zs[:: max(1, len(zs) // 60)]:
            frozen = json.loads(z.content_json)
            till = s.get_one(CashSession, z.cash_session_id)
            made = z_content(
                s,
                till,
                z_no=z.z_no,
                made_at=z.made_at,
                closed_by=frozen["closed_by"],
                signed_off_by=frozen["signed_off_by"],
                approval=frozen["approval"],
                x_reports=0,
                counts_made=1,
            )
            assert set(frozen) == set(made)
            for key in (
                "z_ref", "hall", "counter", "staff", "float_fen", "takings", "methods",
                "counts", "variance_fen", "verdict", "cash_in_fen", "cash_out_fen",
            ):  # fmt: skip
                assert frozen[key] == made[key], key
            assert frozen["opened_at"] == made["opened_at"]
            assert [m["amount_fen"] for m in frozen["movements"]] == [
                m["amount_fen"] for m in made["movements"]
            ]
