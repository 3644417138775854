"""The places that need a supervisor accept a remote approval (审批) instead of the supervisor
at the counter: a second number within 30 days, a referred installment credit assessment, a
handset return, and a red-letter invoice a clerk asks for. Each redeems the approval in its own
transaction, once, for its own subject; the inline way still writes an approval row."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Approval, AuditEntry, CreditAssessment, Customer, Invoice
from hall_app.domain.enums import ApprovalState, CreditOutcome, InvoiceStatus, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from hall_app.services.handset_returns import ReturnRequest, handset_return_subject
from hall_app.services.invoicing import red_letter_subject
from hall_app.services.open_mobile import second_number_subject
from tests.conftest import FakeClock
from tests.handset_fixtures import HandsetSetup, prepare_handsets, sale_request, signed
from tests.integration.test_open_mobile import _request
from tests.return_fixtures import sell_outright, stock_unit


def _approved(
    hall: HallApp, clerk: Actor, supervisor: Actor, kind: str, subject: str, **more: object
) -> uuid.UUID:
    view = hall.approvals.request(
        clerk,
        ApprovalRequest(kind, subject, "客户急需办理", f"测试 {kind}", **more),  # type: ignore[arg-type]
    )
    hall.approvals.decide(supervisor, view.id, True, "同意")
    return view.id


def test_second_number_in_30_days_with_a_remote_approval(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    first = _request(hall, clerk)
    hall.orders.open_mobile_number(clerk, first)
    again = replace(_request(hall, clerk, skip=1), customer_id=first.customer_id)
    pending = hall.approvals.request(
        clerk,
        ApprovalRequest(
            "second_number_30d",
            second_number_subject(first.customer_id),
            "客户因工作需要第二个号码",
            "30天内再次开户",
            customer_id=first.customer_id,
        ),
    )
    with pytest.raises(ValidationError, match="主管尚未审批"):
        hall.orders.open_mobile_number(clerk, replace(again, approval_id=pending.id))
    hall.approvals.decide(supervisor, pending.id, True, "")
    other = _approved(hall, clerk, supervisor, "second_number_30d", str(uuid.uuid4()))
    with pytest.raises(ValidationError, match="不是本笔业务"):
        hall.orders.open_mobile_number(clerk, replace(again, approval_id=other))
    done = hall.orders.open_mobile_number(clerk, replace(again, approval_id=pending.id))
    with hall.db.read() as s:
        row = s.get_one(Approval, pending.id)
        assert row.order_id == done.order_id and row.used_at is not None
        assert row.approver_id == supervisor.staff_id and not row.inline
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == str(done.order_id))
        ).first()
        assert audit is not None and audit.after and audit.after["approved_by"] == "super1"
    third = replace(_request(hall, clerk, skip=2), customer_id=first.customer_id)
    with pytest.raises(ValidationError, match="该审批已使用"):
        hall.orders.open_mobile_number(clerk, replace(third, approval_id=pending.id))


def test_second_number_inline_still_records_an_approval(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    first = _request(hall, clerk)
    hall.orders.open_mobile_number(clerk, first)
    again = replace(_request(hall, clerk, skip=1), customer_id=first.customer_id)
    done = hall.orders.open_mobile_number(clerk, replace(again, supervisor=supervisor))
    with hall.db.read() as s:
        row = s.scalars(select(Approval).where(Approval.order_id == done.order_id)).one()
        assert row.inline and row.state is ApprovalState.APPROVED
        assert row.kind == "second_number_30d" and row.subject_ref == str(first.customer_id)
        assert row.customer_label and "*" in row.customer_label


@pytest.fixture
def st(hall: HallApp) -> HandsetSetup:
    return prepare_handsets(hall)


def test_referred_credit_assessment_approved_remotely(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup, clock: FakeClock
) -> None:
    with hall.db.unit_of_work() as s:
        s.get_one(Customer, st.customer_id).real_name_verified_at = clock() - timedelta(days=10)
    req = sale_request(st, SaleMode.INSTALLMENT)
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, st.customer_id, st.product_id, req.offer_id, req.down_payment_fen
    )
    assert credit.outcome is CreditOutcome.SUPERVISOR
    wrong = _approved(hall, clerk, supervisor, "handset_return", str(credit.assessment_id))
    with pytest.raises(ValidationError, match="不能用于"):
        hall.handsets.approve_credit(clerk, credit.assessment_id, approval_id=wrong)
    approval_id = _approved(
        hall, clerk, supervisor, "installment_credit", str(credit.assessment_id)
    )
    view = hall.handsets.approve_credit(clerk, credit.assessment_id, approval_id=approval_id)
    assert view.cleared and view.approved_by == supervisor.full_name
    with hall.db.read() as s:
        assert s.get_one(CreditAssessment, credit.assessment_id).approver_id == (
            supervisor.staff_id
        )
    sold = hall.handsets.sell(
        clerk, signed(hall, clerk, replace(req, credit_assessment_id=credit.assessment_id))
    )
    assert sold.contract_id is not None
    with pytest.raises(ValidationError, match="二者选一"):
        hall.handsets.approve_credit(clerk, credit.assessment_id)


def test_handset_return_with_a_remote_approval(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup
) -> None:
    imei = stock_unit(hall, clerk, st, 1)
    sold = sell_outright(hall, clerk, st, imei)
    req = ReturnRequest(sold.order_id, True, "七天无理由退货")
    with pytest.raises(ValidationError, match="二者选一"):
        hall.handset_returns.return_handset(clerk, req)
    approval_id = _approved(
        hall, clerk, supervisor, "handset_return", handset_return_subject(sold.order_id)
    )
    done = hall.handset_returns.return_handset(clerk, replace(req, approval_id=approval_id))
    with hall.db.read() as s:
        row = s.get_one(Approval, approval_id)
        assert row.order_id == done.order_id and row.used_at is not None
        red = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "invoice.red_letter", AuditEntry.after.is_not(None)
            )
        ).all()
        assert any(e.after and e.after.get("approved_by") == "super1" for e in red)


def test_a_clerk_red_letters_with_a_supervisors_approval(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    done = hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    assert done.invoice_no is not None
    approval_id = _approved(
        hall, clerk, supervisor, "red_letter", red_letter_subject(done.invoice_no)
    )
    red = hall.invoices.issue_red_letter(
        clerk, done.invoice_no, "购买方名称有误", approval_id=approval_id
    )
    assert red.original_invoice_no == done.invoice_no
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == done.invoice_no)).one()
        assert blue.status is InvoiceStatus.RED_LETTERED
        assert s.get_one(Approval, approval_id).used_at is not None
    with pytest.raises(ValidationError, match="该审批已使用"):
        hall.invoices.issue_red_letter(clerk, done.invoice_no, "再冲", approval_id=approval_id)
