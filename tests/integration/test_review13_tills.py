"""Review of issue 13 (tills): defects shown by failing tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import Approval, CashSession, Counter, Hall, PrintRecord, Staff
from hall_app.domain.enums import CashSessionStatus, Role
from hall_app.domain.errors import HallError, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from hall_app.services.cash import TillCount
from tests.conftest import FakeClock
from tests.integration.test_tills import _sale


def test_review13_z_prints_of_another_hall_do_not_make_the_first_print_a_reprint(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """Z numbers are per hall (Z00000001 exists in every hall), yet prints are counted by
    document_ref alone: on the central database (every hall's prints) a hall's first print
    of its Z00000001 is taken for a reprint of another hall's Z00000001."""
    hall.cash.open_session(clerk, 0)
    _sale(hall, clerk)
    closed = hall.cash.close_session(clerk, 6_950)
    z = hall.cash.z_report(supervisor, closed.id)
    now = hall.clock()
    with hall.db.unit_of_work() as s:  # another hall's Z report of the same number, printed
        other = Hall(
            code="OTHER-HALL",
            name="另一营业厅",
            region_code="440300",
            province_code="44",
            address="深圳市南山区",
            seller_name="另一营业厅",
            seller_tax_id="91440300000000000X",
        )
        s.add(other)
        s.flush()
        someone = Staff(
            hall_id=other.id,
            username="otherclerk",
            full_name="外厅营业员",
            employee_no="X9001",
            role=Role.CLERK,
            password_hash="x",
        )
        s.add(someone)
        s.flush()
        s.add(
            PrintRecord(
                document_type="z_report",
                document_ref=z.z_ref,
                staff_id=someone.id,
                copy_no=1,
                reason="",
                printed_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    assert hall.cash.z_report(supervisor, closed.id).prints == ()  # not this hall's print
    first = hall.cash.print_z_report(clerk, closed.id)  # no reprint reason: the first print
    assert first.copy_no == 1
    with hall.db.read() as s:
        mine = s.scalars(
            select(PrintRecord.copy_no).where(
                PrintRecord.document_ref == z.print_ref, PrintRecord.staff_id == clerk.staff_id
            )
        ).all()
    assert mine == [1]


def test_review13_a_variance_approval_does_not_cover_a_bigger_variance_after_a_recount(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """The supervisor approves a 100-yuan shortage (the request names the amount); the clerk
    then recounts to a 200-yuan shortage and closes with the same approval: redeem checks the
    till id only, so the bigger variance is signed off by an approval that never saw it."""
    hall.cash.open_session(clerk, 20_000)
    asked_view = hall.cash.record_count(clerk, TillCount({10_000: 1}))  # 100 yuan short
    assert asked_view.variance_fen == 10_000
    till = hall.cash.till_to_count(clerk)
    assert till is not None
    asked = hall.approvals.request(
        clerk,
        ApprovalRequest(
            kind="cash_variance",
            subject_ref=str(till.id),
            request_reason="点钞短款 100 元",
            summary="现金差异 短款 ¥100.00",
            amount_fen=asked_view.variance_fen,
        ),
    )
    hall.approvals.decide(supervisor, asked.id, True, "已核实短款 100 元")
    later = hall.cash.record_count(clerk, TillCount({}))  # recounted: the whole 200 short
    assert later.variance_fen == 20_000
    with pytest.raises(ValidationError, match="审批"):
        hall.cash.close_session(clerk, reason="少了两百", approval_id=asked.id)
    with hall.db.read() as s:
        assert s.get_one(Approval, asked.id).used_at is None


def test_review13_no_till_opens_on_a_business_day_the_hall_has_closed(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    """营业厅日结 freezes the day's summary (every till, the Z reports against the payments),
    yet a clerk may open a new till on that same business day and take payments: they are
    in no closed summary and the closed day's figures no longer hold."""
    day = business_date(clock())
    hall.cash.open_session(clerk, 0)
    _sale(hall, clerk)
    hall.cash.close_session(clerk, 6_950)
    if hall.cash.hall_day(supervisor, day).open_tills:
        pytest.skip("the demo left another clerk's till open today")
    hall.cash.close_hall_day(supervisor, day)
    with pytest.raises(ValidationError, match="已日结"):
        hall.cash.open_session(clerk, 0)


def test_review13_a_supervisor_reads_no_till_of_another_hall(
    hall: HallApp, supervisor: Actor
) -> None:
    """x_report (and z_report) look a till up by id with no hall check: a supervisor with
    CASH_RECONCILE reads, and audits an X report of, another hall's till (on a synced hall
    through the central database, which holds every hall's tills)."""
    now = hall.clock()
    with hall.db.unit_of_work() as s:
        other = Hall(
            code="OTHER-HALL2",
            name="另一营业厅",
            region_code="440300",
            province_code="44",
            address="深圳市南山区",
            seller_name="另一营业厅",
            seller_tax_id="91440300000000001X",
        )
        s.add(other)
        s.flush()
        counter = Counter(hall_id=other.id, code="91", name="外厅 1 号窗口")
        someone = Staff(
            hall_id=other.id,
            username="otherclerk2",
            full_name="外厅营业员",
            employee_no="X9002",
            role=Role.CLERK,
            password_hash="x",
        )
        s.add_all([counter, someone])
        s.flush()
        till = CashSession(
            counter_id=counter.id,
            staff_id=someone.id,
            business_date=business_date(now),
            status=CashSessionStatus.OPEN,
            opened_at=now,
            opening_float_fen=50_000,
        )
        s.add(till)
        s.flush()
        till_id = till.id
    with pytest.raises(HallError):
        hall.cash.x_report(supervisor, till_id)
