"""The monthly billing run (出账) and the arrears suspension on the demo database: the items a
bill holds, idempotence, the keep-number fee, a next-month plan switch, add-ons, instalments,
and the CLI."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.cli import main
from hall_app.db.models import (
    AuditEntry,
    Bill,
    BillItem,
    InstallmentContract,
    Instalment,
    Product,
    Subscription,
    SubscriptionAddon,
)
from hall_app.domain.billing import due_date
from hall_app.domain.enums import (
    BillItemKind,
    BillStatus,
    ContractStatus,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
    SuspendReason,
)
from hall_app.domain.errors import PermissionDenied
from hall_app.services.actor import Actor

PERIOD = "2026-12"  # after the demo's bills: nothing billed yet


def _active_mobile(hall: HallApp, n: int = 0) -> Subscription:
    with hall.db.read() as s:
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Subscription.promotion_id.is_(None),
            )
            .order_by(Subscription.id)
            .offset(n)
        ).first()
        assert sub is not None
        s.expunge(sub)
        return sub


def _items(hall: HallApp, sub_id: uuid.UUID, period: str = PERIOD) -> list[BillItem]:
    with hall.db.read() as s:
        bill = s.scalars(
            select(Bill).where(Bill.subscription_id == sub_id, Bill.period == period)
        ).one()
        items = list(
            s.scalars(select(BillItem).where(BillItem.bill_id == bill.id).order_by(BillItem.seq))
        )
        s.expunge_all()
        return items


def test_run_bills_each_subscription_once(hall: HallApp) -> None:
    with hall.db.read() as s:
        billable = s.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(
                Subscription.status.in_((SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)),
                Subscription.activated_at.is_not(None),
            )
        )
    first = hall.billing.run_billing(None, PERIOD)
    assert first.bills == billable and first.bills > 1000
    assert first.items >= first.bills and first.skipped == 0
    with hall.db.read() as s:
        total = s.scalar(select(func.sum(Bill.amount_fen)).where(Bill.period == PERIOD))
        due = s.scalars(select(Bill.due_date).where(Bill.period == PERIOD)).all()
        items = s.scalar(
            select(func.count()).select_from(BillItem).join(Bill).where(Bill.period == PERIOD)
        )
    assert total == first.total_fen and items == first.items
    assert set(due) == {due_date(PERIOD, hall.settings.rules.bill_due_day)} == {date(2027, 1, 15)}
    again = hall.billing.run_billing(None, PERIOD)
    assert (again.bills, again.items, again.total_fen, again.skipped) == (0, 0, 0, first.bills)
    with hall.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Bill).where(Bill.period == PERIOD)) == (
            first.bills
        )
        audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "billing.run")).all()
        assert [a.after["bills"] for a in audits if a.after] == [first.bills, 0]


def test_plan_fee_addons_and_keep_number_fee(hall: HallApp) -> None:
    plain, kept = _active_mobile(hall, 0), _active_mobile(hall, 1)
    with hall.db.unit_of_work() as s:
        vas = s.scalars(
            select(Product).where(Product.kind == ProductKind.VALUE_ADDED).order_by(Product.code)
        ).all()
        s.add(
            SubscriptionAddon(
                subscription_id=plain.id,
                product_id=vas[0].id,
                active_from=date(2026, 12, 10),
                active_to=None,
            )
        )
        s.add(
            SubscriptionAddon(
                subscription_id=plain.id,
                product_id=vas[1].id,
                active_from=date(2026, 1, 1),
                active_to=date(2026, 11, 30),
            )
        )
        k = s.get(Subscription, kept.id)
        assert k is not None
        k.status, k.suspend_reason = SubscriptionStatus.SUSPENDED, SuspendReason.VOLUNTARY
        plan = s.get(Product, plain.product_id)
        assert plan is not None
        plan_fee, plan_name, vas_fee = plan.price_fen, plan.name, vas[0].price_fen
    hall.billing.run_billing(None, PERIOD)
    items = _items(hall, plain.id)
    kinds = [(i.kind, i.amount_fen) for i in items if i.kind is not BillItemKind.USAGE]
    assert kinds == [(BillItemKind.PLAN, plan_fee), (BillItemKind.ADDON, vas_fee)]
    assert items[0].description == plan_name and all(i.vat_category_id for i in items)
    kept_items = _items(hall, kept.id)
    assert [(i.kind, i.amount_fen) for i in kept_items] == [
        (BillItemKind.KEEP_NUMBER, hall.settings.rules.keep_number_fee_fen)
    ]
    with hall.db.read() as s:
        bill = s.scalars(
            select(Bill).where(Bill.subscription_id == plain.id, Bill.period == PERIOD)
        ).one()
        s.expunge_all()
    assert bill.amount_fen == plan_fee + vas_fee and bill.status is BillStatus.UNPAID


def test_next_month_plan_change_switches_on_its_date(hall: HallApp) -> None:
    sub = _active_mobile(hall, 2)
    with hall.db.unit_of_work() as s:
        other = s.scalars(
            select(Product)
            .where(Product.kind == ProductKind.MOBILE_PLAN, Product.id != sub.product_id)
            .order_by(Product.code)
        ).first()
        assert other is not None
        other_id, other_fee = other.id, other.price_fen
        row = s.get(Subscription, sub.id)
        assert row is not None
        row.next_product_id, row.next_product_from = other_id, date(2027, 1, 1)
    report = hall.billing.run_billing(None, PERIOD)  # not yet: January's change
    assert report.plan_switches == 0
    assert _items(hall, sub.id)[0].product_id == sub.product_id
    report = hall.billing.run_billing(None, "2027-01")
    assert report.plan_switches == 1
    plan_item = _items(hall, sub.id, "2027-01")[0]
    assert (plan_item.product_id, plan_item.amount_fen) == (other_id, other_fee)
    with hall.db.read() as s:
        row = s.get(Subscription, sub.id)
        assert row is not None
        assert (row.product_id, row.next_product_id, row.next_product_from) == (
            other_id,
            None,
            None,
        )
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "subscription.plan_switch")
        ).one()
        s.expunge_all()
    assert audit.entity_id == str(sub.id) and audit.actor_name == "billing-run"


def test_instalments_due_go_on_the_bill_once(hall: HallApp) -> None:
    with hall.db.read() as s:
        row = s.execute(
            select(Instalment.id, Instalment.due_date, Instalment.principal_fen, Instalment.fee_fen)
            .join(InstallmentContract)
            .where(
                InstallmentContract.status == ContractStatus.ACTIVE.value,
                Instalment.paid_at.is_(None),
                Instalment.due_date >= date(2026, 12, 1),
                Instalment.due_date <= date(2026, 12, 31),
            )
            .order_by(Instalment.id)
        ).first()
    assert row is not None, "the demo has running instalment contracts"
    hall.billing.run_billing(None, PERIOD)
    with hall.db.read() as s:
        items = s.scalars(select(BillItem).where(BillItem.instalment_id == row.id)).all()
        s.expunge_all()
    principal = [i for i in items if not i.invoiceable]
    fee = [i for i in items if i.invoiceable]
    assert [(i.kind, i.amount_fen) for i in principal] == [
        (BillItemKind.INSTALMENT, row.principal_fen)
    ]
    assert [i.amount_fen for i in fee] == ([row.fee_fen] if row.fee_fen else [])
    hall.billing.run_billing(None, "2027-01")  # a later run does not bill it again
    with hall.db.read() as s:
        again = s.scalar(
            select(func.count()).select_from(BillItem).where(BillItem.instalment_id == row.id)
        )
    assert again == len(items)


def test_arrears_suspends_only_past_the_grace_days(hall: HallApp) -> None:
    late, recent = _active_mobile(hall, 3), _active_mobile(hall, 4)
    hall.billing.run_billing(None, PERIOD)
    with hall.db.unit_of_work() as s:
        for sub, due in ((late, date(2026, 11, 13)), (recent, date(2026, 11, 14))):
            bill = s.scalars(
                select(Bill).where(Bill.subscription_id == sub.id, Bill.period == PERIOD)
            ).one()
            bill.due_date = due  # today 2026-11-24: 11 and 10 days overdue
    count = hall.billing.suspend_for_arrears(None, date(2026, 11, 24))
    assert count >= 1
    with hall.db.read() as s:
        a, b = s.get(Subscription, late.id), s.get(Subscription, recent.id)
        assert a is not None and b is not None
        assert (a.status, a.suspend_reason) == (SubscriptionStatus.SUSPENDED, SuspendReason.ARREARS)
        assert a.suspended_at == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
        assert b.status is SubscriptionStatus.ACTIVE
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "subscription.suspend_arrears",
                AuditEntry.entity_id == str(late.id),
            )
        ).one()
        s.expunge_all()
    assert entry.before and entry.after and entry.after["suspend_reason"] == "arrears"
    assert hall.billing.suspend_for_arrears(None, date(2026, 11, 24)) == 0  # nothing new


def test_a_clerk_may_not_run_billing(hall: HallApp, clerk: Actor) -> None:
    with pytest.raises(PermissionDenied):
        hall.billing.run_billing(clerk, PERIOD)
    with pytest.raises(PermissionDenied):
        hall.billing.suspend_for_arrears(clerk)


def test_cli_runs_a_period(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", demo_url, "billing", "run", "--period", PERIOD]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{PERIOD} 出账：新出账单 ") and "已出账跳过 0 张" in out
    assert main(["--db", demo_url, "billing", "run", "--period", PERIOD]) == 0
    assert "新出账单 0 张" in capsys.readouterr().out
    assert main(["--db", demo_url, "billing", "arrears", "--date", "2026-11-24"]) == 0
    assert capsys.readouterr().out.startswith("欠费停机：")
    assert main(["--db", demo_url, "billing", "run", "--period", "2026-13"]) == 1
    assert "账期" in capsys.readouterr().err
