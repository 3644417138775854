"""预存话费 on the order pipeline: the balance rises at once, the best offer's bonus on its own
balance, a receipt and no invoice, the visit's ticket, and every bad number or amount refused
in Chinese with nothing saved."""

from __future__ import annotations

import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Invoice, Order, OrderLine, Payment, Subscription
from hall_app.domain.enums import (
    OrderType,
    PaymentMethod,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import HallError, NotFound, ValidationError
from hall_app.domain.masking import mask_phone
from hall_app.domain.payments import PaymentInput
from hall_app.domain.top_up import parse_top_up_amount
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.numbers import landline_display
from hall_app.services.top_up import TopUpRequest
from tests.integration.test_instalments import cash
from tests.top_up_helpers import balances, live_mobile, offers, set_state

OFFERS = (
    ("TU100", "充100送20", 10_000, 2_000),
    ("TU200", "充200送50", 20_000, 5_000),
    ("TU50", "充50送5", 5_000, 500),
)


def _top_ups(hall: HallApp) -> int:
    with hall.db.read() as s:
        return (
            s.scalar(
                select(func.count()).select_from(Order).where(Order.order_type == OrderType.TOP_UP)
            )
            or 0
        )


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(out.split())


def test_a_top_up_raises_the_balance_at_once_with_the_offers_bonus_on_a_receipt_only(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    offers(hall, *OFFERS)
    n = live_mobile(hall)
    target = hall.top_up.find_number(clerk, f"{n.number[:3]} {n.number[3:7]} {n.number[7:]}")
    assert target.subscription_id == n.subscription_id and target.customer_id == n.customer_id
    assert target.number == n.number and target.status_text == "正常"
    assert target.owner_masked.endswith("*") and len(target.owner_masked) >= 2
    assert (target.balance_fen, target.bonus_fen) == (n.balance_fen, n.bonus_fen)
    assert target.note == ""

    quote = hall.top_up.quote_top_up(clerk, n.number, 15_000)
    assert (quote.bonus_fen, quote.offer_name) == (2_000, "充100送20")
    [line] = quote.lines
    assert line.amount_fen == 15_000 and not line.invoiceable
    assert line.description == f"预存话费（{mask_phone(n.number)}）"

    tendered = PaymentInput(PaymentMethod.CASH, 15_000, tendered_fen=20_000)
    done = hall.top_up.top_up(clerk, TopUpRequest(n.number, 15_000, (tendered,)))
    assert done.amount_fen == 15_000 and done.bonus_fen == 2_000 and done.offer_name == "充100送20"
    assert done.balance_fen == n.balance_fen + 15_000
    assert done.bonus_balance_fen == n.bonus_fen + 2_000
    assert done.number_masked == mask_phone(n.number)
    [paid] = done.payments
    assert paid.change_fen == 5_000
    assert balances(hall, n.subscription_id) == (n.balance_fen + 15_000, n.bonus_fen + 2_000)

    with hall.db.read() as s:
        order = s.get_one(Order, done.order_id)
        assert order.order_type is OrderType.TOP_UP and order.total_fen == 15_000
        assert order.customer_id == n.customer_id  # the number's owner
        assert order.subscription_id == n.subscription_id
        [row] = s.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert row.amount_fen == 15_000 and row.invoiceable is False
        assert s.scalar(select(func.count()).where(Invoice.order_id == order.id)) == 0
        [payment] = s.scalars(select(Payment).where(Payment.order_id == order.id)).all()
        assert payment.cash_session_id is not None and payment.tendered_fen == 20_000
        after = s.scalars(
            select(AuditEntry.after).where(
                AuditEntry.action == "order.top_up", AuditEntry.entity_id == str(order.id)
            )
        ).one()
    audited = json.dumps(after, ensure_ascii=False)
    assert n.number not in audited and mask_phone(n.number) in audited

    printed = hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT)
    receipt = _text(printed.pdf, tmp_path)
    assert done.order_no in receipt and "预存话费" in receipt and "¥150.00" in receipt
    assert "预存话费发票随消费开具" in receipt and "发票号码" not in receipt
    assert "赠送金额" in receipt and "充100送20" in receipt
    with pytest.raises(ValidationError, match="没有开具发票"):
        hall.documents.preview_document(clerk, done.order_id, DocumentKind.INVOICE)


def test_the_best_offer_whose_minimum_the_amount_reaches(hall: HallApp, clerk: Actor) -> None:
    offers(hall, *OFFERS)
    n = live_mobile(hall)
    assert [o.code for o in hall.top_up.offers(clerk)] == ["TU50", "TU100", "TU200"]
    got = {a: hall.top_up.quote_top_up(clerk, n.number, a) for a in (4_999, 5_000, 19_999, 30_000)}
    assert [(q.bonus_fen, q.offer_name) for q in got.values()] == [
        (0, None), (500, "充50送5"), (2_000, "充100送20"), (5_000, "充200送50"),
    ]  # fmt: skip
    done = hall.top_up.top_up(clerk, TopUpRequest(n.number, 4_000, cash(4_000)))
    assert done.bonus_fen == 0 and done.bonus_balance_fen == n.bonus_fen


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "充值金额必须大于零"),
        (-100, "充值金额必须大于零"),
        (99, "不能少于 ¥1.00"),
        (500_001, "不能超过 ¥5,000.00"),
    ],
)
def test_amounts_outside_the_limits_are_refused_and_nothing_is_saved(
    hall: HallApp, clerk: Actor, amount: int, message: str
) -> None:
    n = live_mobile(hall)
    before = _top_ups(hall)
    with pytest.raises(ValidationError, match=message) as refused:
        hall.top_up.top_up(clerk, TopUpRequest(n.number, amount, cash(max(amount, 1))))
    assert refused.value.field == "充值金额"
    with pytest.raises(ValidationError):
        hall.top_up.quote_top_up(clerk, n.number, amount)
    assert _top_ups(hall) == before and balances(hall, n.subscription_id) == (
        n.balance_fen, n.bonus_fen,
    )  # fmt: skip


def test_typed_amounts_with_three_decimals_are_refused_naming_the_field() -> None:
    assert parse_top_up_amount("100") == 10_000 and parse_top_up_amount("¥49.90") == 4_990
    for bad, message in (("100.005", "最多两位小数"), ("一百", "不是有效金额"), ("", "不能为空")):
        with pytest.raises(ValidationError, match=message) as refused:
            parse_top_up_amount(bad)
        assert refused.value.field == "充值金额"


def test_bad_unknown_cancelled_and_pending_numbers_are_refused(hall: HallApp, clerk: Actor) -> None:
    n, other = live_mobile(hall), live_mobile(hall, 1)
    set_state(hall, other.subscription_id, SubscriptionStatus.CANCELLED)
    pending = live_mobile(hall, 1)
    set_state(hall, pending.subscription_id, SubscriptionStatus.PENDING)
    with hall.db.read() as s:
        taken = set(s.scalars(select(Subscription.service_number)))
    unknown = next(f"1890000{i:04d}" for i in range(10_000) if f"1890000{i:04d}" not in taken)
    before = _top_ups(hall)
    cases: list[tuple[str, type[HallError], str]] = [
        ("1891234567", ValidationError, "长度应为 11 位"),
        ("18912345a78", ValidationError, "非法字符"),
        ("12012345678", ValidationError, "不是已分配的手机号段"),
        ("13812345678", NotFound, "属于中国移动，不是中国电信号码"),
        (unknown, NotFound, "没有这个号码"),
        (other.number, ValidationError, "已拆机"),
        (pending.number, ValidationError, "待开通"),
        ("0591-0123456", ValidationError, "区号加 8 位号码"),
        ("", ValidationError, "请输入"),
    ]
    for typed, error, message in cases:
        with pytest.raises(error, match=message) as refused:
            hall.top_up.find_number(clerk, typed)
        assert refused.value.field == "充值号码", typed
        with pytest.raises(error, match=message):
            hall.top_up.top_up(clerk, TopUpRequest(typed, 10_000, cash(10_000)))
    assert _top_ups(hall) == before
    assert hall.top_up.find_number(clerk, n.number).status_text == "正常"


def test_a_number_suspended_for_arrears_is_topped_up_but_stays_suspended(
    hall: HallApp, clerk: Actor
) -> None:
    n = live_mobile(hall)
    set_state(hall, n.subscription_id, SubscriptionStatus.SUSPENDED, SuspendReason.ARREARS)
    target = hall.top_up.find_number(clerk, n.number)
    assert target.arrears_suspended and "充值不会复机" in target.note
    assert target.status_text == "停机（欠费停机）"
    done = hall.top_up.top_up(clerk, TopUpRequest(n.number, 5_000, cash(5_000)))
    assert done.arrears_suspended and done.balance_fen == n.balance_fen + 5_000
    with hall.db.read() as s:
        sub = s.get_one(Subscription, n.subscription_id)
        assert sub.status is SubscriptionStatus.SUSPENDED
        assert sub.suspend_reason is SuspendReason.ARREARS


def test_the_top_up_belongs_to_the_visit_being_served(hall: HallApp, clerk: Actor) -> None:
    hall.queue.issue_ticket(clerk, "general")
    called = hall.queue.call_next(clerk)
    assert called is not None
    n = live_mobile(hall)
    done = hall.top_up.top_up(
        clerk, TopUpRequest(n.number, 10_000, cash(10_000), ticket_id=called.id)
    )
    with hall.db.read() as s:
        assert s.get_one(Order, done.order_id).ticket_id == called.id


def test_the_number_chosen_on_the_record_is_topped_up_by_its_id(
    hall: HallApp, clerk: Actor
) -> None:
    n = live_mobile(hall)
    target = hall.top_up.target(clerk, n.subscription_id)
    assert target.number == "" and target.customer_id == n.customer_id
    quote = hall.top_up.quote_top_up(clerk, "", 10_000, subscription_id=n.subscription_id)
    assert quote.amount_fen == 10_000
    done = hall.top_up.top_up(
        clerk, TopUpRequest("", 10_000, cash(10_000), subscription_id=n.subscription_id)
    )
    assert balances(hall, n.subscription_id)[0] == n.balance_fen + 10_000 == done.balance_fen


def test_a_landline_typed_with_its_area_code(hall: HallApp, clerk: Actor) -> None:
    n = live_mobile(hall, kind=SubscriptionKind.LANDLINE)
    typed = landline_display(n.number)  # 0591-87654321
    target = hall.top_up.find_number(clerk, typed)
    assert target.subscription_id == n.subscription_id and target.kind is SubscriptionKind.LANDLINE
    done = hall.top_up.top_up(clerk, TopUpRequest(typed, 2_000, cash(2_000)))
    assert done.number_masked == typed and done.balance_fen == n.balance_fen + 2_000


def test_two_windows_topping_up_the_same_number_at_once_both_count(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    n = live_mobile(hall)
    start = threading.Barrier(2)

    def top_up(actor: Actor, fen: int) -> int:
        start.wait()
        return hall.top_up.top_up(actor, TopUpRequest(n.number, fen, cash(fen))).balance_fen

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(top_up, (clerk, supervisor), (10_000, 5_000)))
    assert balances(hall, n.subscription_id)[0] == n.balance_fen + 15_000
    assert sorted(results) in (
        [n.balance_fen + 10_000, n.balance_fen + 15_000],
        [n.balance_fen + 5_000, n.balance_fen + 15_000],
    )
