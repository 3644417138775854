"""After a handset sale: the customer's contracts with each instalment's state, paying the next
instalments or paying off early on the order pipeline (the principal on the receipt only, the
fee invoiced when paid, the clerk's till), and two clerks paying the same instalment at once."""

from __future__ import annotations

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    AuditEntry,
    InstallmentContract,
    Instalment,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    VatCategory,
)
from hall_app.domain.enums import ContractStatus, OrderType, PaymentMethod
from hall_app.domain.errors import HallError, NotFound, PermissionDenied, ValidationError
from hall_app.domain.money import format_yuan
from hall_app.domain.payments import PaymentInput
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.instalments import InstalmentPayRequest, PayoffRequest
from tests.integration.handset_rows import adult, contract_sale, installment_sale, with_mobile


def cash(fen: int) -> tuple[PaymentInput, ...]:
    return (PaymentInput(PaymentMethod.CASH, fen, tendered_fen=fen),)


def _repayments(hall: HallApp) -> int:
    with hall.db.read() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.order_type == OrderType.INSTALMENT_PAYMENT)
            )
            or 0
        )


def test_a_contract_shows_paid_due_overdue_and_upcoming_instalments(
    hall: HallApp, clerk: Actor
) -> None:
    # Sold 2026-07-28 over 6 months, the first paid; today is 2026-11-24.
    sold = installment_sale(hall, clerk, adult(hall))
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    assert c.order_no == sold.order_no and c.imei == sold.imei
    assert c.handset_name == sold.handset_name and c.months == 6
    assert [(i.seq, i.due_date, i.state) for i in c.instalments] == [
        (1, date(2026, 8, 28), "已还"),
        (2, date(2026, 9, 28), "逾期"),
        (3, date(2026, 10, 28), "逾期"),
        (4, date(2026, 11, 28), "待还"),
        (5, date(2026, 12, 28), "未到期"),
        (6, date(2027, 1, 28), "未到期"),
    ]
    assert c.overdue_count == 2 and c.next_due is not None and c.next_due.seq == 2
    assert sum(i.amount_fen for i in c.instalments) == c.financed_fen + c.fee_fen
    assert c.paid_fen == c.instalments[0].amount_fen
    assert c.outstanding_fen == c.financed_fen + c.fee_fen - c.paid_fen
    # Paying off: the principal still unpaid, the fee of the overdue 2 and 3 (4 is not due
    # until the 28th: its fee is waived, as are 5's and 6's) and the payoff fee (50.00).
    fees_due = c.instalments[1].fee_fen + c.instalments[2].fee_fen
    assert fees_due > 0
    assert c.payoff_fen == sum(i.principal_fen for i in c.instalments[1:]) + fees_due + 5_000
    assert [i.payoff_fen for i in c.instalments] == [
        0,
        *(i.amount_fen for i in c.instalments[1:3]),
        *(i.principal_fen for i in c.instalments[3:]),
    ]
    assert c.status is ContractStatus.ACTIVE


def test_paying_two_instalments_pays_the_overdue_ones_first_invoicing_their_fee(
    hall: HallApp, clerk: Actor
) -> None:
    sold = installment_sale(hall, clerk, adult(hall))
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    due = c.instalments[1].amount_fen + c.instalments[2].amount_fen
    paid = hall.instalments.pay_instalments(
        clerk, InstalmentPayRequest(sold.contract, 2, cash(due), from_seq=2)
    )
    assert paid.paid_seqs == (2, 3) and paid.total_fen == due
    assert paid.contract_status is ContractStatus.ACTIVE
    with hall.db.read() as s:
        order = s.get_one(Order, paid.order_id)
        assert order.order_type is OrderType.INSTALMENT_PAYMENT
        assert order.customer_id == sold.customer_id and order.total_fen == due
        two, three = c.instalments[1], c.instalments[2]
        lines = s.execute(
            select(OrderLine.description, OrderLine.amount_fen, OrderLine.invoiceable).where(
                OrderLine.order_id == order.id
            )
        ).all()
        assert sorted(lines) == [
            (f"分期手续费：{sold.order_no} 第 2–3 期", two.fee_fen + three.fee_fen, True),
            (
                f"分期还款：{sold.order_no} 第 2/6 期（到期 2026-09-28）本金",
                two.principal_fen,
                False,
            ),
            (
                f"分期还款：{sold.order_no} 第 3/6 期（到期 2026-10-28）本金",
                three.principal_fen,
                False,
            ),
        ]
        # the fee is invoiced now (6 %, *金融服务*分期手续费); the principal never again
        [invoice] = s.scalars(select(Invoice).where(Invoice.order_id == order.id)).all()
        assert invoice.total_fen == two.fee_fen + three.fee_fen
        assert paid.invoice_no == invoice.invoice_no
        [item] = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
        assert item.item_name == "*金融服务*分期手续费" and item.rate == Decimal("0.06")
        assert item.amount_fen + item.tax_fen == invoice.total_fen
        [payment] = s.scalars(select(Payment).where(Payment.order_id == order.id)).all()
        assert payment.amount_fen == due and payment.cash_session_id is not None
        marked = s.scalars(select(Instalment.seq).where(Instalment.paid_order_id == order.id)).all()
        assert sorted(marked) == [2, 3]
        assert (
            s.scalar(
                select(func.count()).where(
                    AuditEntry.action == "order.instalment_payment",
                    AuditEntry.entity_id == str(order.id),
                )
            )
            == 1
        )
    [after] = hall.instalments.contracts(clerk, sold.customer_id)
    assert after.overdue_count == 0 and after.next_due is not None
    assert after.next_due.seq == 4 and after.next_due.state == "待还"


def test_paying_the_last_instalment_completes_the_contract(hall: HallApp, clerk: Actor) -> None:
    sold = installment_sale(hall, clerk, adult(hall))
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    paid = hall.instalments.pay_instalments(
        clerk, InstalmentPayRequest(sold.contract, 5, cash(c.outstanding_fen))
    )
    assert paid.paid_seqs == (2, 3, 4, 5, 6)
    assert paid.contract_status is ContractStatus.COMPLETED
    [done] = hall.instalments.contracts(clerk, sold.customer_id)
    assert done.status is ContractStatus.COMPLETED and done.outstanding_fen == 0
    assert done.next_due is None and done.payoff_fen == 0
    with hall.db.read() as s:
        assert s.get_one(InstallmentContract, sold.contract_id).ended_at is not None
    with pytest.raises(ValidationError) as err:
        hall.instalments.pay_instalments(clerk, InstalmentPayRequest(sold.contract, 1, cash(100)))
    assert err.value.field == "分期合同" and "已履约" in err.value.message


def test_paying_off_early_takes_the_unpaid_principal_and_the_payoff_fee(
    hall: HallApp, clerk: Actor
) -> None:
    sold = installment_sale(hall, clerk, adult(hall))
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    assert c.fee_fen > 0  # a monthly rate: the fee of the months not yet due is waived
    paid = hall.instalments.pay_off(
        clerk,
        PayoffRequest(sold.contract, cash(c.payoff_fen), from_seq=2),
    )
    assert paid.total_fen == c.payoff_fen < c.outstanding_fen
    overdue_fee = c.instalments[1].fee_fen + c.instalments[2].fee_fen
    principal = sum(i.principal_fen for i in c.instalments[1:])
    assert paid.paid_seqs == (2, 3, 4, 5, 6)
    assert paid.contract_status is ContractStatus.PAID_OFF
    with hall.db.read() as s:
        lines = s.execute(
            select(OrderLine.description, OrderLine.amount_fen).where(
                OrderLine.order_id == paid.order_id
            )
        ).all()
        assert sorted(lines) == sorted(
            [
                (f"提前结清：{sold.order_no} 第 2–6 期（共 6 期）剩余本金", principal),
                (f"分期手续费：{sold.order_no} 第 2–3 期（已到期）", overdue_fee),
                (f"提前结清手续费：{sold.order_no}", 5_000),
            ]
        )
        # what is not principal is invoiced: the overdue fee and the payoff fee
        [invoice] = s.scalars(select(Invoice).where(Invoice.order_id == paid.order_id)).all()
        assert invoice.total_fen == overdue_fee + 5_000 == c.payoff_fen - principal
        assert paid.invoice_no == invoice.invoice_no
        # each fee under its own name (walk-through: 分期手续费 twice)
        items = s.execute(
            select(InvoiceLine.item_name, InvoiceLine.amount_fen + InvoiceLine.tax_fen).where(
                InvoiceLine.invoice_id == invoice.id
            )
        ).all()
        assert sorted(items) == sorted(
            [("*金融服务*分期手续费", overdue_fee), ("*金融服务*提前结清手续费", 5_000)]
        )
        unpaid = s.scalars(
            select(Instalment).where(Instalment.contract_id == sold.contract_id)
        ).all()
        assert all(i.paid_at is not None for i in unpaid)
        assert {i.paid_order_id for i in unpaid if i.seq > 1} == {paid.order_id}
        assert (
            s.scalar(select(func.count()).where(AuditEntry.action == "order.instalment_payoff"))
            == 1
        )
    [after] = hall.instalments.contracts(clerk, sold.customer_id)
    assert after.status is ContractStatus.PAID_OFF and after.next_due is None
    with pytest.raises(ValidationError) as err:
        hall.instalments.pay_off(clerk, PayoffRequest(sold.contract, cash(100)))
    assert "提前结清" in err.value.message and err.value.field == "分期合同"


def test_bad_repayments_are_refused_naming_the_field_and_nothing_is_saved(
    hall: HallApp, clerk: Actor
) -> None:
    sold = installment_sale(hall, clerk, adult(hall))
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    one = c.instalments[1].amount_fen
    before = _repayments(hall)  # the demo data's own repayments
    refusals = [
        (InstalmentPayRequest(sold.contract, 0, cash(one)), "还款期数", "至少还 1 期"),
        (InstalmentPayRequest(sold.contract, 6, cash(one)), "还款期数", "只剩 5 期未还"),
        # The screen showed instalment 1 as next: it has been paid since, so nothing is taken.
        (
            InstalmentPayRequest(sold.contract, 1, cash(one), from_seq=1),
            "还款期数",
            "第 1 期已由其他窗口收款",
        ),
        (InstalmentPayRequest(sold.contract, 1, cash(one - 1)), None, None),
    ]
    for req, field, text in refusals:
        with pytest.raises(ValidationError) as err:
            hall.instalments.pay_instalments(clerk, req)
        if field is not None:
            assert err.value.field == field and text is not None and text in err.value.message
    no_till = replace(clerk, permissions=clerk.permissions - {Permission.PAYMENT_TAKE})
    with pytest.raises(PermissionDenied):
        hall.instalments.pay_instalments(no_till, InstalmentPayRequest(sold.contract, 1, cash(one)))
    with pytest.raises(PermissionDenied):
        hall.instalments.pay_off(no_till, PayoffRequest(sold.contract, cash(c.payoff_fen)))
    with pytest.raises(NotFound):
        hall.instalments.pay_instalments(
            clerk,
            InstalmentPayRequest(sold.customer_id, 1, cash(one)),  # not a contract's id
        )
    assert _repayments(hall) == before
    with hall.db.read() as s:
        assert (
            s.scalar(
                select(func.count()).where(
                    Instalment.contract_id == sold.contract_id, Instalment.paid_at.is_not(None)
                )
            )
            == 1
        )
    assert hall.instalments.contracts(clerk, sold.customer_id) == [c]


def test_two_clerks_paying_the_same_instalment_take_the_money_once(
    hall: HallApp, clerk: Actor
) -> None:
    sold = installment_sale(hall, clerk, adult(hall))
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    other = hall.auth.log_in("clerk2", "hall1234")
    assert other.counter_id != clerk.counter_id
    due = c.instalments[1].amount_fen
    before = _repayments(hall)  # the demo data's own repayments
    barrier = threading.Barrier(2)

    def pay(actor: Actor) -> object:
        barrier.wait()
        try:
            return hall.instalments.pay_instalments(
                actor, InstalmentPayRequest(sold.contract, 1, cash(due), from_seq=2)
            )
        except HallError as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(pay, (clerk, other)))
    refused = [r for r in results if isinstance(r, HallError)]
    assert len(refused) == 1, results
    assert "第 2 期已由其他窗口收款" in refused[0].text
    assert _repayments(hall) == before + 1
    with hall.db.read() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Payment)
                .join(Order, Order.id == Payment.order_id)
                .where(
                    Order.order_type == OrderType.INSTALMENT_PAYMENT,
                    Order.customer_id == sold.customer_id,
                    Order.completed_at >= hall.clock(),
                )
            )
            == 1
        )
        paid = s.scalars(
            select(Instalment.seq).where(
                Instalment.contract_id == sold.contract_id, Instalment.paid_at.is_not(None)
            )
        ).all()
        assert sorted(paid) == [1, 2]


def test_a_contract_phone_shows_months_left_and_todays_clawback(
    hall: HallApp, clerk: Actor
) -> None:
    # 1,200.00 over 24 months from 2026-01-24: on 2026-11-24, 10 served and 14 left: 700.00.
    sold = contract_sale(hall, clerk, with_mobile(hall), starts_on=date(2026, 1, 24))
    [v] = hall.instalments.commitments(clerk, sold.customer_id)
    assert v.commitment_id == sold.commitment_id and v.subscription_id == sold.subscription_id
    assert (v.months, v.months_left, v.clawback_fen, v.monthly_fen) == (24, 14, 70_000, 5_000)
    assert v.ends_on == date(2028, 1, 23) and v.status is ContractStatus.ACTIVE
    assert v.imei == sold.imei and "****" in v.number_masked


def test_a_repayment_gets_its_receipt_naming_the_contract_and_instalments(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    sold = installment_sale(hall, clerk, adult(hall))
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    due = c.instalments[1].amount_fen
    paid = hall.instalments.pay_instalments(
        clerk, InstalmentPayRequest(sold.contract, 1, cash(due), from_seq=2)
    )
    receipt = hall.documents.print_document(clerk, paid.order_id, DocumentKind.RECEIPT)
    path = tmp_path / "receipt.pdf"
    path.write_bytes(receipt.pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert paid.order_no in text and "业务：分期还款" in text
    # the line wraps on the 80 mm slip, the amount beside its first part
    assert f"分期还款：{sold.order_no} 第 2/6" in text and "期（到期 2026-09-28）" in text
    flat = "".join(text.split())
    assert f"合计{format_yuan(due)}" in flat
    # the receipt says what is true: the principal is not invoiced again, the fee is
    assert "分期本金不另开发票" in flat and "分期手续费已开具增值税电子发票" in flat
    assert f"发票号码：{paid.invoice_no}" in flat
    # and the fee's own invoice: 6 %, the financial service, the fee of instalment 2 only
    invoice = hall.documents.print_document(clerk, paid.order_id, DocumentKind.INVOICE)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(invoice.pdf)
    shown = "".join(
        subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "*金融服务*分期手续费" in shown and "6%" in shown
    assert format_yuan(c.instalments[1].fee_fen) in shown and paid.invoice_no in shown


def test_without_its_own_category_the_payoff_fee_is_invoiced_as_an_instalment_fee(
    hall: HallApp, clerk: Actor
) -> None:
    # A catalog not yet synced with the payoff fee's category: the payoff is still taken, its
    # fee invoiced under the instalment fee's category.
    sold = installment_sale(hall, clerk, adult(hall))
    with hall.db.unit_of_work() as s:
        s.execute(
            update(VatCategory)
            .where(VatCategory.code == "instalment_payoff_fee")
            .values(code="other_payoff_fee")
        )
    [c] = hall.instalments.contracts(clerk, sold.customer_id)
    paid = hall.instalments.pay_off(clerk, PayoffRequest(sold.contract, cash(c.payoff_fen)))
    with hall.db.read() as s:
        [invoice] = s.scalars(select(Invoice).where(Invoice.order_id == paid.order_id)).all()
        names = s.scalars(
            select(InvoiceLine.item_name).where(InvoiceLine.invoice_id == invoice.id)
        ).all()
        total = invoice.total_fen
    assert names and set(names) == {"*金融服务*分期手续费"}
    unpaid = sum(i.principal_fen for i in c.instalments if i.paid_at is None)
    assert total == c.payoff_fen - unpaid > 0


def test_without_the_fees_invoice_category_no_fee_is_taken_and_nothing_saved(
    hall: HallApp, clerk: Actor
) -> None:
    # A catalog that lacks the category (not yet synced from the central catalog): the fee
    # could not be invoiced, so the payment is refused in Chinese and nothing is kept; a
    # contract without any fee is still paid (there is nothing to invoice).
    charged = installment_sale(hall, clerk, adult(hall))
    free = installment_sale(hall, clerk, adult(hall, 1), monthly_rate=Decimal(0), payoff_fee_fen=0)
    with hall.db.unit_of_work() as s:  # (renamed: the demo's own repayments may use it)
        s.execute(
            update(VatCategory).where(VatCategory.code == "instalment_fee").values(code="other_fee")
        )
    before = _repayments(hall)
    [c] = hall.instalments.contracts(clerk, charged.customer_id)
    one = c.instalments[1].amount_fen
    with pytest.raises(ValidationError) as err:
        hall.instalments.pay_instalments(
            clerk, InstalmentPayRequest(charged.contract, 1, cash(one), from_seq=2)
        )
    assert err.value.field == "发票类目" and "分期手续费" in err.value.message
    with pytest.raises(ValidationError) as err:
        hall.instalments.pay_off(clerk, PayoffRequest(charged.contract, cash(c.payoff_fen)))
    assert err.value.field == "发票类目"
    assert _repayments(hall) == before
    assert hall.instalments.contracts(clerk, charged.customer_id) == [c]
    [f] = hall.instalments.contracts(clerk, free.customer_id)
    off = hall.instalments.pay_off(clerk, PayoffRequest(free.contract, cash(f.payoff_fen)))
    assert off.contract_status is ContractStatus.PAID_OFF and off.invoice_no is None
    assert off.total_fen == f.financed_fen - f.instalments[0].principal_fen
