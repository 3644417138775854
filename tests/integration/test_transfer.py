"""过户 at the service: the checks, four-eyes (inline and remote), the card limit and the
arrears refusals, what moves and what stays, and the history under both customers."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import (
    Approval,
    AuditEntry,
    Bill,
    Device,
    HandsetCommitment,
    Order,
    OwnershipTransfer,
    PhoneNumber,
    PrettyTier,
    Subscription,
)
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import (
    BillStatus,
    NumberStatus,
    OrderType,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import HallError, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from hall_app.services.documents import DocumentKind
from hall_app.services.transfer import transfer_subject
from hall_app.services.transfer_history import IN, OUT
from tests.integration.handset_rows import contract_sale
from tests.integration.test_instalments_pg import race
from tests.transfer_helpers import Pair, add_bill, fill_card_limit, pair, request


def _counts(app: HallApp) -> tuple[int, int, int]:
    with app.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Order)) or 0,
            s.scalar(select(func.count()).select_from(OwnershipTransfer)) or 0,
            s.scalar(select(func.count()).select_from(Approval)) or 0,
        )


def _owner(app: HallApp, p: Pair) -> object:
    with app.db.read() as s:
        return s.get_one(Subscription, p.subscription_id).customer_id


def test_the_checks_pass_for_an_adult_real_name_customer(hall: HallApp, clerk: Actor) -> None:
    p = pair(hall)
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    assert check.allowed, check.checks
    assert [c.name for c in check.checks] == [
        "号码状态",
        "实名登记",
        "办理资格",
        "欠费",
        "分期合同",
    ]
    assert check.arrears_fen == 0
    assert check.number_masked == f"{p.number[:3]}****{p.number[-4:]}"
    assert "*" in check.from_name_masked and "*" in check.to_name_masked
    assert check.from_name_masked in check.terms_text and check.to_name_masked in check.terms_text


def test_inline_supervisor_moves_the_number_and_both_records_show_it(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = pair(hall)
    with hall.db.read() as s:
        old_orders = s.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id == p.from_id)
        )
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    done = hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    assert _owner(hall, p) == p.to_id
    assert done.approver == supervisor.full_name
    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.TRANSFER_OWNERSHIP
        assert order.customer_id == p.to_id and order.total_fen == 0
        assert order.terms_text == check.terms_text and order.signature_png
        assert order.details_json and "新机主人像比对" in order.details_json
        row = s.scalars(select(OwnershipTransfer)).one()
        assert (row.from_customer_id, row.to_customer_id) == (p.from_id, p.to_id)
        approval = s.get_one(Approval, row.approval_id)
        assert approval.approver_id == supervisor.staff_id and approval.inline
        assert approval.order_id == done.order_id
        # the old orders stay with the old owner
        assert old_orders == s.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id == p.from_id)
        )
        audit = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "order.transfer_ownership",
                AuditEntry.entity_id == str(done.order_id),
            )
        ).one()
        assert audit.after is not None
        assert audit.after["before"]["customer_id"] == str(p.from_id)  # type: ignore[index]
        assert audit.after["after"]["customer_id"] == str(p.to_id)  # type: ignore[index]
        assert p.number not in str(audit.after)  # masked
    old = hall.customers.get_customer_record(clerk, p.from_id)
    new = hall.customers.get_customer_record(clerk, p.to_id)
    assert [(t.direction, t.order_no) for t in old.transfers] == [(OUT, done.order_no)]
    assert [(t.direction, t.order_no) for t in new.transfers] == [(IN, done.order_no)]
    assert old.transfers[0].other_name_masked == done.to_name_masked
    assert new.transfers[0].other_name_masked == done.from_name_masked
    assert p.subscription_id in {s.id for s in new.subscriptions}
    assert p.subscription_id not in {s.id for s in old.subscriptions}
    # done once: the number is no longer the old owner's to give
    with pytest.raises(ValidationError, match="机主已变化"):
        hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))


def test_four_eyes_the_clerk_never_approves_their_own_transfer(
    hall: HallApp, supervisor: Actor
) -> None:
    p = pair(hall)
    # a supervisor taking the transfer at their own counter cannot authorise it too
    check = hall.transfers.check_transfer(supervisor, p.subscription_id, p.to_id)
    before = _counts(hall)
    with pytest.raises(ValidationError, match="不能为自己受理的业务授权"):
        hall.transfers.transfer(supervisor, request(p, check, supervisor=supervisor))
    # nor through the inbox: the requester cannot decide their own request
    asked = hall.approvals.request(
        supervisor,
        ApprovalRequest(
            "ownership_transfer",
            transfer_subject(p.subscription_id, p.to_id),
            "双方到场办理过户",
            f"过户 {check.number_masked}",
        ),
    )
    with pytest.raises(HallError):
        hall.approvals.decide(supervisor, asked.id, True, "同意")
    with pytest.raises(ValidationError, match="主管尚未审批"):
        hall.transfers.transfer(supervisor, request(p, check, approval_id=asked.id))
    # and without any approval there is no transfer
    with pytest.raises(ValidationError, match="须值班主管审批"):
        hall.transfers.transfer(supervisor, request(p, check))
    assert _owner(hall, p) == p.from_id
    orders, transfers, _approvals = _counts(hall)
    assert (orders, transfers) == before[:2]
    # another supervisor does approve it
    other = hall.auth.log_in("super2", DEMO_PASSWORD)
    done = hall.transfers.transfer(supervisor, request(p, check, supervisor=other))
    assert done.approver == other.full_name and _owner(hall, p) == p.to_id


def test_a_remote_approval_is_redeemed_once_for_this_number_and_new_owner(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = pair(hall)
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    wrong = hall.approvals.request(
        clerk,
        ApprovalRequest(
            "ownership_transfer",
            transfer_subject(p.subscription_id, p.from_id),
            "双方到场办理过户",
            "过户",
        ),
    )
    hall.approvals.decide(supervisor, wrong.id, True, "同意")
    with pytest.raises(ValidationError, match="不是本笔业务"):
        hall.transfers.transfer(clerk, request(p, check, approval_id=wrong.id))
    asked = hall.approvals.request(
        clerk,
        ApprovalRequest(
            "ownership_transfer",
            transfer_subject(p.subscription_id, p.to_id),
            "双方到场办理过户",
            f"过户 {check.number_masked}",
            customer_id=p.to_id,
        ),
    )
    hall.approvals.decide(supervisor, asked.id, True, "同意")
    done = hall.transfers.transfer(clerk, request(p, check, approval_id=asked.id))
    assert done.approver == supervisor.full_name
    with hall.db.read() as s:
        approval = s.get_one(Approval, asked.id)
        assert approval.used_at is not None and approval.order_id == done.order_id
        assert s.scalars(select(OwnershipTransfer.approval_id)).one() == asked.id
    # used once: the same approval cannot move another number (nor this one back)
    back = Pair(p.subscription_id, p.to_id, p.from_id, p.number)
    back_check = hall.transfers.check_transfer(clerk, p.subscription_id, p.from_id)
    with pytest.raises(ValidationError, match=r"已使用|不是本笔业务"):
        hall.transfers.transfer(clerk, request(back, back_check, approval_id=asked.id))
    assert _owner(hall, p) == p.to_id


def test_a_new_owner_at_the_card_limit_is_refused(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = pair(hall)
    limit = fill_card_limit(hall, p.to_id)
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    assert not check.allowed
    failed = [c for c in check.checks if not c.passed]
    assert [c.name for c in failed] == ["办理资格"]
    assert f"达到上限 {limit} 个" in failed[0].reason
    before = _counts(hall)
    with pytest.raises(ValidationError, match=f"不能过户。办理资格：.*达到上限 {limit} 个"):
        hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    assert _counts(hall) == before and _owner(hall, p) == p.from_id


def test_arrears_are_settled_first(hall: HallApp, clerk: Actor, supervisor: Actor) -> None:
    p = pair(hall)
    bill_id = add_bill(hall, p, 12_345)
    add_bill(hall, p, 5_000, period="2026-09")
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    assert not check.allowed and check.arrears_fen == 17_345
    arrears = next(c for c in check.checks if c.name == "欠费")
    assert not arrears.passed and "¥173.45" in arrears.reason and "缴费" in arrears.reason
    with pytest.raises(ValidationError, match=r"欠费 ¥173\.45"):
        hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    assert _owner(hall, p) == p.from_id
    with hall.db.unit_of_work() as s:  # paid (as 缴费 would)
        for bill in s.scalars(select(Bill).where(Bill.subscription_id == p.subscription_id)):
            bill.paid_fen, bill.status = bill.amount_fen, BillStatus.PAID
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    assert check.allowed
    hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    with hall.db.read() as s:  # the bill before the transfer stays the old owner's
        assert s.get_one(Bill, bill_id).customer_id == p.from_id


def test_signed_terms_and_face_checks_are_required(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = pair(hall)
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    good = request(p, check, supervisor=supervisor)
    with pytest.raises(ValidationError, match="原机主的人像比对"):
        hall.transfers.transfer(clerk, replace(good, old_face_checked_by=" "))
    with pytest.raises(ValidationError, match="新机主的人像比对"):
        hall.transfers.transfer(clerk, replace(good, new_face_checked_by=""))
    with pytest.raises(ValidationError, match="签名确认"):
        hall.transfers.transfer(clerk, replace(good, signature_png=None))
    with pytest.raises(ValidationError, match="客户签字确认的不一致"):
        hall.transfers.transfer(clerk, replace(good, terms_text=check.terms_text + "x"))
    assert _owner(hall, p) == p.from_id


def test_the_order_belongs_to_the_visit(hall: HallApp, clerk: Actor, supervisor: Actor) -> None:
    p = pair(hall)
    ticket = hall.queue.serve_walk_in(clerk, "general")
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    done = hall.transfers.transfer(
        clerk, request(p, check, supervisor=supervisor, ticket_id=ticket.id)
    )
    with hall.db.read() as s:
        assert s.get_one(Order, done.order_id).ticket_id == ticket.id


def _number_of_commitment(hall: HallApp, clerk: Actor, p: Pair) -> Pair:
    """A contract phone on one of the old owner's numbers; that number to transfer."""
    contract_sale(hall, clerk, p.from_id, starts_on=date(2026, 5, 24), months=24)
    with hall.db.read() as s:
        c = s.scalars(
            select(HandsetCommitment).where(HandsetCommitment.customer_id == p.from_id)
        ).one()
        sub = s.get_one(Subscription, c.subscription_id)
        return Pair(sub.id, p.from_id, p.to_id, sub.service_number)


def test_contract_and_pretty_number_terms_are_resigned_and_the_commitment_moves(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = _number_of_commitment(hall, clerk, pair(hall))
    with hall.db.unit_of_work() as s:
        tier = s.scalars(select(PrettyTier).where(PrettyTier.code == "T1")).one()
        number = s.scalars(select(PhoneNumber).where(PhoneNumber.number == p.number)).first()
        if number is None:
            s.add(PhoneNumber(number=p.number, status=NumberStatus.ASSIGNED))
            s.flush()
            number = s.scalars(select(PhoneNumber).where(PhoneNumber.number == p.number)).one()
        number.pretty_tier_id = tier.id
        tier_name = tier.name
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    assert check.allowed
    resign = "\n".join(check.terms_to_resign)
    assert f"靓号（{tier_name}）" in resign
    assert "合约机约定" in resign and "2028-05-23" in resign
    assert "4. 新机主确认继续履行以下号码约定" in check.terms_text and resign.split("\n")[0] in (
        check.terms_text
    )
    done = hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    with hall.db.read() as s:
        c = s.scalars(
            select(HandsetCommitment).where(HandsetCommitment.subscription_id == p.subscription_id)
        ).one()
        assert c.customer_id == p.to_id  # the obligation goes with the number
        device = s.get_one(Device, c.device_id)
        assert device.customer_id == p.from_id  # the handset stays with its buyer
    # the acceptance form prints the transfer, both face checks and the re-signed terms
    pdf = hall.documents.preview_document(clerk, done.order_id, DocumentKind.ACCEPTANCE_FORM)
    text = _pdf_text(pdf.pdf)
    if out := os.environ.get("TRANSFER_SHOTS"):
        Path(out, "transfer_acceptance.pdf").write_bytes(pdf.pdf)
    for expected in ("过户号码", done.number_masked, "新机主人像比对", "主管审批", "重新签署"):
        assert expected in text, expected
    assert p.number not in text


def _pdf_text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def test_a_lost_number_or_a_fusion_member_is_not_transferred(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    p = pair(hall)
    with hall.db.unit_of_work() as s:
        sub = s.get_one(Subscription, p.subscription_id)
        sub.status, sub.suspend_reason = SubscriptionStatus.SUSPENDED, SuspendReason.LOST
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    state = check.checks[0]
    assert state.name == "号码状态" and not state.passed and "须先解挂" in state.reason
    with pytest.raises(ValidationError, match="号码状态"):
        hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    with hall.db.read() as s:
        member = s.execute(
            select(Subscription.id, Subscription.bundled_with_id)
            .where(Subscription.bundle_id.is_not(None), Subscription.bundled_with_id.is_not(None))
            .limit(1)
        ).first()
    assert member is not None, "the demo has fusion bundles"
    for sub_id in member:  # the broadband and the mobile number it is billed with
        check = hall.transfers.check_transfer(clerk, sub_id, p.to_id)
        assert not check.allowed
        assert any(c.name == "融合套餐" and not c.passed for c in check.checks)


def test_two_clerks_transferring_the_same_number_at_once(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """On SQLite (the counter's database); tests/integration/test_transfer_pg.py on PG."""
    two = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    a = pair(hall)
    b = Pair(a.subscription_id, a.from_id, pair(hall, skip=1).from_id, a.number)
    to_a = hall.transfers.check_transfer(clerk, a.subscription_id, a.to_id)
    to_b = hall.transfers.check_transfer(two, b.subscription_id, b.to_id)
    refused = race(
        lambda: hall.transfers.transfer(clerk, request(a, to_a, supervisor=supervisor)),
        lambda: hall.transfers.transfer(two, request(b, to_b, supervisor=supervisor)),
    )
    assert len(refused) == 1 and "机主已变化" in refused[0].text
    assert _owner(hall, a) in (a.to_id, b.to_id)
    with hall.db.read() as s:
        assert s.scalar(select(func.count()).select_from(OwnershipTransfer)) == 1
