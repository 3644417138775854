"""资料变更, 挂失/解挂, 停机保号/复机 on the demo database: each a zero-fee order of the visit
with its signed terms, the number's state moved, the audit masked; and each refusal leaves
nothing behind."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Customer, Order, Payment, Subscription
from hall_app.devices.id_reader import DeviceError, SimulatedIdCardReader
from hall_app.domain.enums import OrderType, SubscriptionStatus, SuspendReason
from hall_app.domain.errors import ValidationError
from hall_app.services.account_changes import (
    RENAME_REFUSED,
    AccountChangeService,
    CustomerDataChange,
    LossRequest,
    ReinstateRequest,
    ResumeRequest,
    SuspendRequest,
)
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.custdata_helpers import NUMBER, OTHER_ID, OWNER_ID, PHONE, card, make_owner, overdue_bill
from tests.handset_fixtures import SIGNED


def _orders(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Order)) or 0


def _sub(hall: HallApp, owner_sub: object) -> Subscription:
    with hall.db.read() as s:
        sub = s.get_one(Subscription, owner_sub)
        s.expunge(sub)
        return sub


def _audit(hall: HallApp, action: str) -> dict[str, object]:
    with hall.db.read() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at.desc())
        ).first()
        assert entry is not None
        after: dict[str, object] = entry.after or {}
    text = json.dumps(after, ensure_ascii=False)
    assert NUMBER not in text and OWNER_ID not in text and PHONE not in text
    return after


def test_loss_then_reinstate_with_the_owners_card(hall: HallApp, clerk: Actor) -> None:
    owner = make_owner(hall)
    quote = hall.account_changes.quote_number_change(clerk, LossRequest(owner.subscription_id))
    assert quote.what == "挂失" and quote.status_after == "停机（挂失停机）"
    assert "189****0123" in quote.terms
    lost = hall.account_changes.report_loss(
        clerk,
        LossRequest(owner.subscription_id, signature_png=SIGNED, terms_text=quote.terms),
    )
    assert lost.status_text == "停机（挂失停机）" and lost.number_masked == "189****0123"
    sub = _sub(hall, owner.subscription_id)
    assert sub.status is SubscriptionStatus.SUSPENDED and sub.suspend_reason is SuspendReason.LOST
    assert sub.suspended_at is not None
    after = _audit(hall, "order.account_change")
    assert after["before"]["status"] == "active"  # type: ignore[index]
    assert after["after"]["suspend_reason"] == "lost"  # type: ignore[index]

    # 解挂 without the ID is refused; with someone else's card too
    with pytest.raises(ValidationError) as no_id:
        hall.account_changes.reinstate(clerk, ReinstateRequest(owner.subscription_id))
    assert no_id.value.field == "身份证"
    with pytest.raises(ValidationError) as other:
        hall.account_changes.reinstate(
            clerk, ReinstateRequest(owner.subscription_id, id_card_read=card(id_number=OTHER_ID))
        )
    assert "不符" in other.value.message
    req = ReinstateRequest(owner.subscription_id, id_card_read=card())
    quote = hall.account_changes.quote_number_change(clerk, req)
    done = hall.account_changes.reinstate(
        clerk,
        ReinstateRequest(
            owner.subscription_id,
            id_card_read=card(),
            terms_text=quote.terms,
            signature_png=SIGNED,
        ),
    )
    assert done.status_text == "正常"
    sub = _sub(hall, owner.subscription_id)
    assert sub.status is SubscriptionStatus.ACTIVE and sub.suspend_reason is None
    with hall.db.read() as s:
        types = s.scalars(
            select(Order.order_type)
            .where(Order.subscription_id == owner.subscription_id)
            .order_by(Order.order_no)
        ).all()
        assert types == [OrderType.LOSS_REPORT, OrderType.REINSTATE]
        assert (
            s.scalar(
                select(func.count())
                .select_from(Payment)
                .join(Order)
                .where(Order.subscription_id == owner.subscription_id)
            )
            == 0
        )


def test_a_second_loss_report_of_the_same_number_is_refused(hall: HallApp, clerk: Actor) -> None:
    owner = make_owner(hall)
    hall.account_changes.report_loss(clerk, LossRequest(owner.subscription_id))
    before = _orders(hall)
    with pytest.raises(ValidationError, match=r"停机（挂失停机）.*不能办理挂失"):
        hall.account_changes.report_loss(clerk, LossRequest(owner.subscription_id))
    assert _orders(hall) == before


def test_reinstate_by_typed_id_returns_to_arrears_when_a_bill_is_overdue(
    hall: HallApp, clerk: Actor
) -> None:
    owner = make_owner(hall, status=SubscriptionStatus.SUSPENDED, reason=SuspendReason.LOST)
    overdue_bill(hall, owner, due=date(2026, 10, 15))  # 40 days late on 2026-11-24
    req = ReinstateRequest(owner.subscription_id, id_number=OWNER_ID.lower())
    quote = hall.account_changes.quote_number_change(clerk, req)
    done = hall.account_changes.reinstate(
        clerk, replace(req, signature_png=SIGNED, terms_text=quote.terms)
    )
    assert done.status_text == "停机（欠费停机）"
    assert _sub(hall, owner.subscription_id).suspend_reason is SuspendReason.ARREARS


def test_a_bill_not_yet_overdue_past_the_grace_days_does_not_suspend(
    hall: HallApp, clerk: Actor
) -> None:
    owner = make_owner(hall, status=SubscriptionStatus.SUSPENDED, reason=SuspendReason.LOST)
    overdue_bill(hall, owner, due=date(2026, 11, 20))  # 4 days late: within the 10 days
    req = ReinstateRequest(owner.subscription_id, id_number=OWNER_ID)
    quote = hall.account_changes.quote_number_change(clerk, req)
    done = hall.account_changes.reinstate(
        clerk, replace(req, signature_png=SIGNED, terms_text=quote.terms)
    )
    assert done.status_text == "正常"


def test_suspend_and_resume_with_the_keep_number_fee_in_the_terms(
    hall: HallApp, clerk: Actor
) -> None:
    owner = make_owner(hall)
    quote = hall.account_changes.quote_number_change(clerk, SuspendRequest(owner.subscription_id))
    assert "每月收取停机保号费 ¥5.00/月" in quote.terms
    assert ("停机保号费", "¥5.00/月（计入账单）") in quote.rows
    done = hall.account_changes.suspend(
        clerk,
        SuspendRequest(
            owner.subscription_id, signature_png=SIGNED, terms_text=quote.terms, ticket_id=None
        ),
    )
    assert done.status_text == "停机（停机保号）"
    # a second 停机保号 is refused: not active
    with pytest.raises(ValidationError, match="不能办理停机保号"):
        hall.account_changes.suspend(clerk, SuspendRequest(owner.subscription_id))
    quote = hall.account_changes.quote_number_change(clerk, ResumeRequest(owner.subscription_id))
    done = hall.account_changes.resume(
        clerk, ResumeRequest(owner.subscription_id, signature_png=SIGNED, terms_text=quote.terms)
    )
    assert done.status_text == "正常"
    with pytest.raises(ValidationError, match="不能办理复机"):
        hall.account_changes.resume(clerk, ResumeRequest(owner.subscription_id))


def test_resume_refuses_arrears_and_loss_with_the_way_out(hall: HallApp, clerk: Actor) -> None:
    owner = make_owner(hall, status=SubscriptionStatus.SUSPENDED, reason=SuspendReason.ARREARS)
    before = _orders(hall)
    with pytest.raises(ValidationError, match="缴费") as arrears:
        hall.account_changes.resume(clerk, ResumeRequest(owner.subscription_id))
    assert arrears.value.field == "业务号码"
    with hall.db.unit_of_work() as s:
        s.get_one(Subscription, owner.subscription_id).suspend_reason = SuspendReason.LOST
    with pytest.raises(ValidationError, match="解挂"):
        hall.account_changes.resume(clerk, ResumeRequest(owner.subscription_id))
    with pytest.raises(ValidationError, match="不能办理停机保号"):
        hall.account_changes.suspend(clerk, SuspendRequest(owner.subscription_id))
    assert _orders(hall) == before


def test_signed_terms_must_be_the_change_done(hall: HallApp, clerk: Actor) -> None:
    owner = make_owner(hall)
    before = _orders(hall)
    with pytest.raises(ValidationError, match="客户签字确认的不一致"):
        hall.account_changes.suspend(
            clerk,
            SuspendRequest(owner.subscription_id, terms_text="别的条款", signature_png=SIGNED),
        )
    assert _orders(hall) == before
    assert _sub(hall, owner.subscription_id).status is SubscriptionStatus.ACTIVE


def test_loss_by_someone_else_and_the_acceptance_form(hall: HallApp, clerk: Actor) -> None:
    owner = make_owner(hall)
    done = hall.account_changes.report_loss(
        clerk, LossRequest(owner.subscription_id, reported_by="王大明")
    )
    assert ("挂失人", "代办人 王**") in done.rows
    shown = hall.documents.preview_document(clerk, done.order_id, DocumentKind.ACCEPTANCE_FORM)
    assert shown.kind is DocumentKind.ACCEPTANCE_FORM
    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.LOSS_REPORT and order.total_fen == 0
        assert NUMBER not in order.details_json
        details = [tuple(row) for row in json.loads(order.details_json)]
        assert details == [
            ("原状态", "正常"),
            ("办理后状态", "停机（挂失停机）"),
            ("挂失人", "代办人 王**"),
            ("客户签字", "未签字（挂失即时办理，机主可不在场）"),  # taken unsigned: said so
        ]  # 受理业务 and 业务号码 are the form's own rows


def test_change_contact_phone_and_renewed_card(hall: HallApp, clerk: Actor) -> None:
    owner = make_owner(hall)
    change = CustomerDataChange(
        owner.customer_id, contact_phone="133 0591 2345", alt_phone="13605910002", id_card=card()
    )
    quote = hall.account_changes.quote_customer_data(clerk, change)
    assert ("证件有效期", "2026-10-01 至 2046-10-01") in quote.rows
    assert "133****2345" in quote.terms
    done = hall.account_changes.change_customer_data(
        clerk,
        CustomerDataChange(
            owner.customer_id,
            contact_phone="133 0591 2345",
            alt_phone="13605910002",
            id_card=card(),
            signature_png=SIGNED,
            terms_text=quote.terms,
        ),
    )
    with hall.db.read() as s:
        c = s.get_one(Customer, owner.customer_id)
        assert c.contact_phone == "13305912345" and c.alt_phone == "13605910002"
        assert c.address == "福建省福州市台江区工业路 523 号"  # the card's
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.CHANGE_CUSTOMER and order.customer_id == c.id
    after = _audit(hall, "order.change_customer")
    assert after["before"]["contact_phone"] == "138****0001"  # type: ignore[index]
    assert after["after"]["contact_phone"] == "133****2345"  # type: ignore[index]
    assert after["after"]["card_valid_to"] == "2046-10-01"  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"id_card": card(name="林小岚")}, "身份证", RENAME_REFUSED),
        ({"id_card": card(id_number=OTHER_ID)}, "身份证", RENAME_REFUSED),
        ({"id_card": card(valid_to=date(2026, 1, 1))}, "身份证", "过期"),
        ({"contact_phone": "12345678901"}, "联系电话", "号段"),
        ({"alt_phone": "1380591"}, "备用电话", ""),
        ({"address": "五四路"}, "地址", "完整地址"),
        ({"address": "福" * 201}, "地址", ""),
        ({"contact_phone": PHONE}, "资料变更", "没有需要变更"),
    ],
)
def test_customer_data_refusals(
    hall: HallApp, clerk: Actor, change: dict[str, object], field: str, text: str
) -> None:
    owner = make_owner(hall)
    before = _orders(hall)
    with pytest.raises(ValidationError) as refused:
        hall.account_changes.change_customer_data(
            clerk,
            CustomerDataChange(owner.customer_id, **change),  # type: ignore[arg-type]
        )
    assert refused.value.field == field and text in refused.value.message
    assert _orders(hall) == before
    with hall.db.read() as s:
        assert s.get_one(Customer, owner.customer_id).contact_phone == PHONE


def test_the_order_belongs_to_the_visit(hall: HallApp, clerk: Actor) -> None:
    owner = make_owner(hall)
    ticket_id = hall.queue.issue_ticket(clerk, "billing").id
    req = SuspendRequest(owner.subscription_id, ticket_id=ticket_id)
    quote = hall.account_changes.quote_number_change(clerk, req)
    done = hall.account_changes.suspend(
        clerk, replace(req, signature_png=SIGNED, terms_text=quote.terms)
    )
    with hall.db.read() as s:
        assert s.get_one(Order, done.order_id).ticket_id == ticket_id


def test_the_service_reads_the_counters_card_reader(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(ValidationError, match="未连接身份证读卡器"):
        hall.account_changes.read_id_card(clerk)  # the test settings have no reader
    reader = SimulatedIdCardReader([card()])
    service = AccountChangeService(hall.db, hall.settings.rules, hall.clock, reader)
    assert service.read_id_card(clerk).id_number == OWNER_ID
    reader.present(None)
    with pytest.raises(DeviceError):
        service.read_id_card(clerk)
