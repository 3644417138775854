"""携号转网资格查询 and 授权码: each of the five conditions failing alone, all passing, and the
code: issued once while valid, again after it expired, printed on the acceptance form."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    AuditEntry,
    Customer,
    Device,
    HandsetCommitment,
    Order,
    OrderLine,
    Payment,
    PortAuthCode,
    QueueTicket,
    Subscription,
    SyncOutbox,
)
from hall_app.domain.enums import (
    ContractStatus,
    OrderType,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.porting import CODE_ALPHABET, CODE_LENGTH
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.porting import PortCheck, PortCodeDone, PortCodeRequest, PortingService
from tests.conftest import FakeClock
from tests.handset_fixtures import SIGNED
from tests.integration.handset_rows import contract_sale, installment_sale, with_mobile
from tests.porting_helpers import (
    activated_days_ago,
    add_bill,
    eligible_number,
    make_eligible,
    mobile_of,
)

CODES = ("real_name", "in_service", "no_unpaid_bill", "no_agreement", "tenure")


def _failed(check: PortCheck) -> dict[str, str]:
    return {c.code: c.reason for c in check.conditions if not c.passed}


def _issue(
    hall: HallApp, clerk: Actor, sub_id: uuid.UUID, ticket_id: uuid.UUID | None = None
) -> PortCodeDone:
    """As the wizard does: the terms of the check, signed."""
    check = hall.porting.check_porting(clerk, sub_id)
    req = PortCodeRequest(sub_id, ticket_id, signature_png=SIGNED, terms_text=check.terms)
    return hall.porting.issue_port_code(clerk, req)


def test_all_five_pass(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    check = hall.porting.check_porting(clerk, sub_id)
    assert [c.code for c in check.conditions] == list(CODES)
    assert all(c.passed for c in check.conditions), check.conditions
    assert check.allowed and check.valid_code is None
    assert "入网 200 天" in check.conditions[4].reason
    assert "72 小时" in check.terms and check.number_masked in check.terms
    assert "****" in check.number_masked


def test_not_real_name_registered(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    with hall.db.unit_of_work() as s:
        owner = s.get_one(Subscription, sub_id).customer_id
        s.execute(update(Customer).where(Customer.id == owner).values(real_name_verified_at=None))
    check = hall.porting.check_porting(clerk, sub_id)
    assert not check.allowed and check.terms == ""
    assert list(_failed(check)) == ["real_name"]
    assert "实名登记" in _failed(check)["real_name"]


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        (SuspendReason.VOLUNTARY, "停机保号"),
        (SuspendReason.ARREARS, "欠费停机"),
        (SuspendReason.LOST, "挂失"),
    ],
)
def test_not_in_normal_service(
    hall: HallApp, clerk: Actor, clock: FakeClock, reason: SuspendReason, shown: str
) -> None:
    sub_id = eligible_number(hall, clock.now)
    with hall.db.unit_of_work() as s:
        sub = s.get_one(Subscription, sub_id)
        sub.status, sub.suspend_reason, sub.suspended_at = (
            SubscriptionStatus.SUSPENDED,
            reason,
            clock.now,
        )
    failed = _failed(hall.porting.check_porting(clerk, sub_id))
    assert list(failed) == ["in_service"]
    assert shown in failed["in_service"]


def test_unpaid_bill(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    add_bill(hall, sub_id, "2026-09", 12_900, issued=clock.now - timedelta(days=50))
    add_bill(hall, sub_id, "2026-10", 13_450, paid_fen=450, issued=clock.now - timedelta(days=20))
    failed = _failed(hall.porting.check_porting(clerk, sub_id))
    assert list(failed) == ["no_unpaid_bill"]
    assert failed["no_unpaid_bill"] == "有 2 期未缴账单（2026-09、2026-10），共 ¥259.00，请先缴费"


def test_paid_bill_does_not_count(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    add_bill(hall, sub_id, "2026-10", 12_900, paid_fen=12_900, issued=clock.now)
    assert hall.porting.check_porting(clerk, sub_id).allowed


def test_lock_in_not_expired(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    with hall.db.unit_of_work() as s:
        s.get_one(Subscription, sub_id).lock_in_until = (clock.now + timedelta(days=40)).date()
    failed = _failed(hall.porting.check_porting(clerk, sub_id))
    assert list(failed) == ["no_agreement"]
    assert "在网约定期至 2027-01-03" in failed["no_agreement"]


def test_lock_in_ended_yesterday_passes(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    with hall.db.unit_of_work() as s:
        s.get_one(Subscription, sub_id).lock_in_until = (clock.now - timedelta(days=1)).date()
    assert hall.porting.check_porting(clerk, sub_id).allowed


def test_running_contract_phone(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sold = contract_sale(hall, clerk, with_mobile(hall, 3))
    assert sold.subscription_id is not None
    make_eligible(hall, sold.subscription_id, clock.now)
    with hall.db.unit_of_work() as s:  # make_eligible ended it: the sale's commitment runs
        s.get_one(HandsetCommitment, sold.commitment_id).status = ContractStatus.ACTIVE
    failed = _failed(hall.porting.check_porting(clerk, sold.subscription_id))
    assert list(failed) == ["no_agreement"]
    # 24 months from 2025-09-24, 14 months served by 2026-11-24: 1,200.00 × 10/24 = 500.00
    assert f"合约机“{sold.handset_name}”合约期至" in failed["no_agreement"]
    assert "须退还购机优惠 ¥500.00" in failed["no_agreement"]


def test_running_installment_contract(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    customer = with_mobile(hall, 5)
    sub_id = mobile_of(hall, customer)
    make_eligible(hall, sub_id, clock.now)
    sold = installment_sale(hall, clerk, customer, paid=2)
    # not bound to the number: the customer's debt, not the number's agreement
    assert hall.porting.check_porting(clerk, sub_id).allowed
    with hall.db.unit_of_work() as s:
        s.get_one(Device, sold.device_id).subscription_id = sub_id
    failed = _failed(hall.porting.check_porting(clerk, sub_id))
    assert list(failed) == ["no_agreement"]
    assert f"分期合同 {sold.order_no} 尚有 4 期未还" in failed["no_agreement"]


def test_tenure_too_short(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    activated_days_ago(hall, sub_id, 87, clock.now)
    failed = _failed(hall.porting.check_porting(clerk, sub_id))
    assert failed == {"tenure": "入网 87 天，不足 120 天（还差 33 天）"}
    activated_days_ago(hall, sub_id, 119, clock.now)
    assert "还差 1 天" in _failed(hall.porting.check_porting(clerk, sub_id))["tenure"]
    activated_days_ago(hall, sub_id, 120, clock.now)
    assert hall.porting.check_porting(clerk, sub_id).allowed


def test_tenure_is_configurable(clerk: Actor, hall: HallApp, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    activated_days_ago(hall, sub_id, 87, clock.now)
    rules = replace(hall.settings.rules, port_min_tenure_days=60)
    service = PortingService(hall.db, rules, clock)
    check = service.check_porting(clerk, sub_id)
    assert check.allowed and check.conditions[4].name == "在网满 60 天"


def test_issue_code(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    done = _issue(hall, clerk, sub_id)
    assert len(done.code) == CODE_LENGTH and set(done.code) <= set(CODE_ALPHABET)
    assert done.expires_at == clock.now + timedelta(hours=72)
    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.PORT_AUTH and order.total_fen == 0
        assert order.subscription_id == sub_id and order.signature_png == SIGNED
        assert not s.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert not s.scalars(select(Payment).where(Payment.order_id == order.id)).all()
        row = s.scalars(select(PortAuthCode).where(PortAuthCode.order_id == order.id)).one()
        assert (row.code, row.subscription_id, row.staff_id) == (
            done.code,
            sub_id,
            clerk.staff_id,
        )
        details = dict(json.loads(order.details_json or "[]"))
        assert details["携号转网授权码"] == done.code
        assert details["授权码有效期至"] == "2026-11-27 10:00"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(order.id))).one()
        assert entry.action == "order.port_auth"
        text = json.dumps(entry.after, ensure_ascii=False)
        assert done.code not in text
        number = s.get_one(Subscription, sub_id).service_number
        assert number not in text
        # the code goes to the central database with the next push, like any order
        queued = s.scalars(
            select(SyncOutbox.table_name).where(SyncOutbox.row_id.in_([row.id, order.id]))
        ).all()
        assert sorted(queued) == ["orders", "port_auth_codes"]
    check = hall.porting.check_porting(clerk, sub_id)
    assert check.valid_code is not None and check.valid_code.code == done.code


def test_second_code_refused_while_valid_then_issued(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    sub_id = eligible_number(hall, clock.now)
    first = _issue(hall, clerk, sub_id)
    clock.now += timedelta(hours=71, minutes=59)
    with pytest.raises(ValidationError) as refused:
        _issue(hall, clerk, sub_id)
    assert refused.value.field == "授权码"
    assert first.order_no in str(refused.value) and "有效至 2026-11-27 10:00" in str(refused.value)
    clock.now += timedelta(minutes=1)  # 72 hours: expired
    assert hall.porting.check_porting(clerk, sub_id).valid_code is None
    second = _issue(hall, clerk, sub_id)
    assert second.code and second.order_id != first.order_id
    with hall.db.read() as s:
        assert (
            len(s.scalars(select(PortAuthCode).where(PortAuthCode.subscription_id == sub_id)).all())
            == 2
        )


def test_code_refused_when_a_condition_fails(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    terms = hall.porting.check_porting(clerk, sub_id).terms
    activated_days_ago(hall, sub_id, 30, clock.now)  # changed after the check
    with pytest.raises(ValidationError) as refused:
        hall.porting.issue_port_code(
            clerk, PortCodeRequest(sub_id, signature_png=SIGNED, terms_text=terms)
        )
    assert refused.value.field == "携号转网"
    assert "入网 30 天，不足 120 天（还差 90 天）" in str(refused.value)
    with hall.db.read() as s:
        assert not s.scalars(
            select(PortAuthCode).where(PortAuthCode.subscription_id == sub_id)
        ).all()
        assert not s.scalars(select(Order).where(Order.order_type == OrderType.PORT_AUTH)).all()


def test_terms_signed_must_match(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    with pytest.raises(ValidationError) as refused:
        hall.porting.issue_port_code(
            clerk, PortCodeRequest(sub_id, signature_png=SIGNED, terms_text="别的内容")
        )
    assert refused.value.field == "客户确认"
    terms = hall.porting.check_porting(clerk, sub_id).terms
    with pytest.raises(ValidationError, match="签字"):  # the owner signs in person
        hall.porting.issue_port_code(clerk, PortCodeRequest(sub_id, terms_text=terms))
    with pytest.raises(ValidationError, match="签名图片"):
        hall.porting.issue_port_code(
            clerk, PortCodeRequest(sub_id, signature_png=b"png", terms_text=terms)
        )
    with hall.db.read() as s:
        assert not s.scalars(
            select(PortAuthCode).where(PortAuthCode.subscription_id == sub_id)
        ).all()


def test_order_belongs_to_the_visit(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    sub_id = eligible_number(hall, clock.now)
    with hall.db.read() as s:
        ticket = s.scalars(select(QueueTicket.id).limit(1)).one()
    done = _issue(hall, clerk, sub_id, ticket_id=ticket)
    with hall.db.read() as s:
        assert s.get_one(Order, done.order_id).ticket_id == ticket


def test_not_a_mobile_number_or_unknown(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(NotFound):
        hall.porting.check_porting(clerk, uuid.uuid4())
    with hall.db.read() as s:
        broadband = s.scalars(
            select(Subscription.id).where(Subscription.kind != SubscriptionKind.MOBILE).limit(1)
        ).first()
    if broadband is not None:
        with pytest.raises(ValidationError, match="只适用于移动号码"):
            hall.porting.check_porting(clerk, broadband)


def test_acceptance_form_prints_the_code(
    hall: HallApp, clerk: Actor, clock: FakeClock, tmp_path: Path
) -> None:
    done = _issue(hall, clerk, eligible_number(hall, clock.now))
    printed = hall.documents.print_document(clerk, done.order_id, DocumentKind.ACCEPTANCE_FORM)
    pdf = tmp_path / "port-acceptance.pdf"
    pdf.write_bytes(printed.pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert f"携号转网授权码：{done.code}" in flat
    assert "授权码有效期至：2026-11-2710:00" in flat
    assert f"业务号码：{done.number_masked}" in flat
    assert "72小时内有效" in flat
