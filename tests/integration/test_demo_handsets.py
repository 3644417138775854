"""Handsets in the demo data: the catalog and its offers, IMEI stock, and past sales that are
real (the unit sold, the commitment or the installment contract with its schedule, the
repayments, a return with its red-letter invoice), consistent with the domain's arithmetic."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from hall_app.app import HallApp, build_app
from hall_app.clock import business_date
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import (
    Customer,
    Device,
    HandsetCommitment,
    HandsetOffer,
    InstallmentContract,
    Instalment,
    Invoice,
    Order,
    OrderLine,
    Payment,
    Product,
    Subscription,
    VatCategory,
)
from hall_app.demo.builder import CHUNK, DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD, HANDSET_MODELS
from hall_app.demo.scanner import DemoSimScanner
from hall_app.devices.id_reader import DeviceError
from hall_app.devices.scanner import DeviceScanner
from hall_app.domain.enums import (
    ContractStatus,
    CreditOutcome,
    DeviceStatus,
    InvoiceKind,
    InvoiceStatus,
    OfferKind,
    OrderType,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.handsets import (
    COMMITMENT_MONTHS,
    INSTALMENT_MONTHS,
    CreditFacts,
    CreditRules,
    ScheduledInstalment,
    assess_credit,
    clawback,
    commitment_end,
    min_down_payment_fen,
    payoff_fen,
    schedule,
)
from hall_app.domain.telecom import parse_imei
from hall_app.services.actor import Actor
from tests.conftest import DEMO_TODAY


@pytest.fixture
def demo_engine(demo_url: str) -> Engine:
    engine = make_engine(demo_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def test_the_catalog_has_models_by_brand_colour_and_storage_with_their_offers(
    demo_engine: Engine,
) -> None:
    with Session(demo_engine) as s:
        handsets = s.scalars(select(Product).where(Product.kind == ProductKind.HANDSET)).all()
        vat = {v.id: v for v in s.scalars(select(VatCategory))}
        offers = s.scalars(select(HandsetOffer)).all()
        plan_fees = set(
            s.scalars(select(Product.price_fen).where(Product.kind == ProductKind.MOBILE_PLAN))
        )
    models = {(p.brand, p.model) for p in handsets}
    assert 8 <= len(models) <= 15
    assert 3 <= len({p.brand for p in handsets}) <= 4
    for p in handsets:
        assert p.colour and p.storage and p.price_fen > 0
        assert p.name == f"{p.brand} {p.model} {p.storage} {p.colour}"
        assert vat[p.vat_category_id].invoice_label == "*通信设备*手机"
        assert vat[p.vat_category_id].rate == Decimal("0.13")
    assert len({p.code for p in handsets}) == len(handsets)
    by_product: dict[object, list[HandsetOffer]] = defaultdict(list)
    for o in offers:
        by_product[o.product_id].append(o)
    price = {p.id: p.price_fen for p in handsets}
    for p in handsets:
        kinds = Counter(o.kind for o in by_product[p.id])
        assert kinds[OfferKind.CONTRACT] >= 1 and kinds[OfferKind.INSTALLMENT] == 4
    for o in offers:
        assert o.active and o.valid_from <= DEMO_TODAY
        if o.kind is OfferKind.CONTRACT:
            assert o.months in COMMITMENT_MONTHS
            assert 0 < o.subsidy_fen < price[o.product_id]
            assert o.min_plan_fen in plan_fees
        else:
            assert o.months in INSTALMENT_MONTHS
            assert not (o.fee_fen and o.monthly_rate)  # a fee or a rate, never both
            assert 0 < o.min_down_payment_pct < 100
    months = {(o.kind, o.months) for o in offers}
    assert {m for k, m in months if k is OfferKind.CONTRACT} == set(COMMITMENT_MONTHS)
    assert any(o.fee_fen for o in offers) and any(o.monthly_rate for o in offers)


def test_stock_has_valid_imeis_with_the_models_tac(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        products = {p.id: p for p in s.scalars(select(Product))}
        devices = s.scalars(select(Device)).all()
    assert len({d.imei for d in devices}) == len(devices)
    tacs = {code: tac for code, _, _, tac, _, _ in HANDSET_MODELS}
    for d in devices:
        assert parse_imei(d.imei) == d.imei
        code = products[d.product_id].code
        model = next(c for c in tacs if code == c or code.startswith(c + "_"))
        assert d.imei[:8] == tacs[model]
        if d.status in (DeviceStatus.IN_STOCK, DeviceStatus.RETURNED):
            assert d.location == "营业厅库房"
            assert d.order_id is None and d.customer_id is None and d.sold_at is None
    statuses = Counter(d.status for d in devices)
    assert statuses[DeviceStatus.IN_STOCK] >= 300
    assert statuses[DeviceStatus.FAULTY] >= 1 and statuses[DeviceStatus.RETURNED] >= 1
    in_stock = Counter(d.product_id for d in devices if d.status is DeviceStatus.IN_STOCK)
    assert set(in_stock) == {p for p, x in products.items() if x.kind is ProductKind.HANDSET}


def test_every_unit_sold_is_its_sales_order_with_invoice_and_payment(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        sold = s.scalars(select(Device).where(Device.status == DeviceStatus.SOLD)).all()
        orders = {o.id: o for o in s.scalars(select(Order))}
        lines = defaultdict(list)
        for line in s.scalars(select(OrderLine)):
            lines[line.order_id].append(line)
        paid = Counter()
        for p in s.scalars(select(Payment)):
            paid[p.order_id] += p.amount_fen
        invoices = {i.order_id: i for i in s.scalars(select(Invoice)) if i.kind is InvoiceKind.BLUE}
        commitments = {c.device_id: c for c in s.scalars(select(HandsetCommitment))}
        contracts = {c.device_id: c for c in s.scalars(select(InstallmentContract))}
        prices = {p.id: p.price_fen for p in s.scalars(select(Product))}
    sale_orders = [o for o in orders.values() if o.order_type is OrderType.HANDSET_SALE]
    assert {d.order_id for d in sold} | returned_sales(orders, lines) == {o.id for o in sale_orders}
    modes = Counter()
    for d in sold:
        order = orders[d.order_id]
        assert order.customer_id == d.customer_id and d.location == "客户"
        assert d.sold_at == order.completed_at
        assert d.warranty_from == business_date(order.completed_at)
        assert any(d.imei in line.description for line in lines[order.id])
        assert paid[order.id] == order.total_fen == sum(x.amount_fen for x in lines[order.id])
        invoice = invoices[order.id]
        price = prices[d.product_id]
        if d.id in commitments:
            modes["contract"] += 1
            c = commitments[d.id]
            assert c.subscription_id == d.subscription_id and c.customer_id == d.customer_id
            assert invoice.total_fen == order.total_fen == price - c.subsidy_fen
        elif d.id in contracts:
            modes["installment"] += 1
            k = contracts[d.id]
            assert order.total_fen == k.down_payment_fen  # the rest in instalments
            assert invoice.total_fen == price == k.price_fen  # invoiced whole at the sale
        else:
            modes["outright"] += 1
            assert d.subscription_id is None
            assert invoice.total_fen == order.total_fen == price
    assert modes["outright"] and modes["contract"] >= 10 and modes["installment"] >= 10


def returned_sales(
    orders: dict[object, Order], lines: dict[object, list[OrderLine]]
) -> set[object]:
    """The sale orders of the units returned (named by the return's notes, as
    HandsetReturnService writes them)."""
    numbers = {o.order_no: o.id for o in orders.values()}
    return {
        numbers[_sale_no(o)] for o in orders.values() if o.order_type is OrderType.HANDSET_RETURN
    }


def _sale_no(ret: Order) -> str:
    assert ret.notes.startswith("退货：原受理单 ")
    return ret.notes.removeprefix("退货：原受理单 ").split("，")[0]


def test_commitments_bind_a_mobile_of_the_customer_meeting_the_minimum_plan(
    demo_engine: Engine,
) -> None:
    with Session(demo_engine) as s:
        commitments = s.scalars(select(HandsetCommitment)).all()
        subs = {x.id: x for x in s.scalars(select(Subscription))}
        fees = {p.id: p.price_fen for p in s.scalars(select(Product))}
        offers = {o.id: o for o in s.scalars(select(HandsetOffer))}
    assert commitments
    running = Counter()
    for c in commitments:
        sub = subs[c.subscription_id]
        assert sub.kind is SubscriptionKind.MOBILE and sub.customer_id == c.customer_id
        assert fees[sub.product_id] >= c.min_plan_fen
        offer = offers[c.offer_id]
        assert (c.months, c.subsidy_fen, c.min_plan_fen) == (
            offer.months,
            offer.subsidy_fen,
            offer.min_plan_fen,
        )
        assert c.ends_on == commitment_end(c.starts_on, c.months)
        served = c.ends_on < DEMO_TODAY
        assert c.status is (ContractStatus.COMPLETED if served else ContractStatus.ACTIVE)
        if not served:
            running[c.subscription_id] += 1
            assert sub.status is SubscriptionStatus.ACTIVE
    assert max(running.values()) == 1  # one running commitment per number


def test_installment_contracts_follow_the_schedule_and_their_repayments(
    demo_engine: Engine,
) -> None:
    with Session(demo_engine) as s:
        contracts = s.scalars(select(InstallmentContract)).all()
        offers = {o.id: o for o in s.scalars(select(HandsetOffer))}
        orders = {o.id: o for o in s.scalars(select(Order))}
        instalments = defaultdict(list)
        for i in s.scalars(select(Instalment).order_by(Instalment.seq)):
            instalments[i.contract_id].append(i)
        lines = defaultdict(list)
        for line in s.scalars(select(OrderLine)):
            lines[line.order_id].append(line)
        invoiced = {
            i.order_id: i.total_fen
            for i in s.scalars(select(Invoice).where(Invoice.kind == InvoiceKind.BLUE))
        }
        fee_vat = s.scalars(select(VatCategory).where(VatCategory.code == "instalment_fee")).one()
        payoff_vat = s.scalars(
            select(VatCategory).where(VatCategory.code == "instalment_payoff_fee")
        ).one()
    assert fee_vat.invoice_label == "*金融服务*分期手续费" and fee_vat.rate == Decimal("0.06")
    assert payoff_vat.invoice_label == "*金融服务*提前结清手续费"
    assert payoff_vat.rate == Decimal("0.06")
    statuses = Counter()
    overdue = 0
    for k in contracts:
        offer = offers[k.offer_id]
        order = orders[k.order_id]
        day = business_date(order.completed_at)
        assert k.price_fen - k.down_payment_fen == k.financed_fen
        assert k.down_payment_fen >= min_down_payment_fen(k.price_fen, offer.min_down_payment_pct)
        expected = schedule(
            k.financed_fen, k.months, day, fee_fen=offer.fee_fen, monthly_rate=offer.monthly_rate
        )
        rows = instalments[k.id]
        assert [(i.seq, i.due_date, i.principal_fen, i.fee_fen) for i in rows] == [
            (e.seq, e.due_date, e.principal_fen, e.fee_fen) for e in expected
        ]
        assert sum(i.amount_fen for i in rows) == k.financed_fen + k.fee_fen
        status = ContractStatus(k.status)
        statuses[status] += 1
        for i in rows:
            if i.paid_at is None:
                overdue += i.due_date < DEMO_TODAY
                continue
            pay = orders[i.paid_order_id]
            assert pay.order_type is OrderType.INSTALMENT_PAYMENT
            assert pay.customer_id == k.customer_id
            # the principal on the receipt only, the fee invoiced when paid (6 %)
            fees = [line for line in lines[pay.id] if line.invoiceable]
            # the payoff fee under its own category, every other fee under the instalment fee's
            assert all(
                line.vat_category_id
                == (payoff_vat.id if line.description.startswith("提前结清手续费") else fee_vat.id)
                for line in fees
            )
            assert invoiced.get(pay.id, 0) == sum(line.amount_fen for line in fees)
            if status is not ContractStatus.PAID_OFF:
                (line,) = [line for line in lines[pay.id] if not line.invoiceable]
                assert line.amount_fen == i.principal_fen
                assert sum(x.amount_fen for x in fees) == i.fee_fen
                assert pay.total_fen == i.amount_fen
                assert f"{order.order_no} 第 {i.seq}/{k.months} 期" in line.description
        if status is ContractStatus.COMPLETED:
            assert all(i.paid_at for i in rows) and k.ended_at
        if status is ContractStatus.PAID_OFF:
            assert all(i.paid_at for i in rows) and k.ended_at
            payoff = orders[rows[-1].paid_order_id]
            unpaid = [i for i in rows if i.paid_order_id == payoff.id]
            scheduled = [
                ScheduledInstalment(i.seq, i.due_date, i.principal_fen, i.fee_fen) for i in unpaid
            ]
            on = business_date(payoff.completed_at)
            assert payoff.total_fen == payoff_fen(scheduled, k.payoff_fee_fen, today=on)
            assert k.payoff_fee_fen > 0 and [
                line.amount_fen
                for line in lines[payoff.id]
                if line.vat_category_id == payoff_vat.id
            ] == [k.payoff_fee_fen]
    assert statuses[ContractStatus.ACTIVE] >= 10 and statuses[ContractStatus.PAID_OFF] == 1
    assert statuses[ContractStatus.COMPLETED] >= 1 and overdue >= 2


def test_a_returned_unit_has_its_refund_and_red_letter_invoice(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        returns = s.scalars(select(Order).where(Order.order_type == OrderType.HANDSET_RETURN)).all()
        assert returns
        cards = 0
        for r in returns:
            refund = s.scalars(select(Payment).where(Payment.order_id == r.id)).one()
            assert refund.amount_fen == r.total_fen < 0
            imei = r.notes.split("IMEI ")[1].split("；")[0]
            device = s.scalars(select(Device).where(Device.imei == imei)).one()
            assert device.status is DeviceStatus.RETURNED and device.order_id is None
            sale = s.scalars(select(Order).where(Order.order_no == _sale_no(r))).one()
            assert sale.total_fen == -r.total_fen and sale.customer_id == r.customer_id
            # a card or QR refund names the sale's payment, as the counter's return does
            paid = s.scalars(select(Payment).where(Payment.order_id == sale.id)).one()
            assert refund.method is paid.method
            assert refund.reference == (
                None if paid.reference is None else f"原交易 {paid.reference}"
            )
            cards += paid.reference is not None
            sold = s.scalars(select(OrderLine).where(OrderLine.order_id == sale.id)).all()
            back = s.scalars(select(OrderLine).where(OrderLine.order_id == r.id)).all()
            assert [(f"退货：{x.description}", -x.amount_fen) for x in sold] == [
                (x.description, x.amount_fen) for x in back
            ]
            assert all(x.quantity == -1 and not x.invoiceable for x in back)
            blue = s.scalars(
                select(Invoice).where(Invoice.order_id == sale.id, Invoice.kind == InvoiceKind.BLUE)
            ).one()
            red = s.scalars(select(Invoice).where(Invoice.original_invoice_id == blue.id)).one()
            assert blue.status is InvoiceStatus.RED_LETTERED
            assert red.kind is InvoiceKind.RED and red.total_fen == -blue.total_fen
            assert blue.invoice_no in red.remarks
    assert cards >= 1  # the demo has a card or QR refund to show


def test_demo_scanner_scans_a_sellable_handset_of_the_model(hall: HallApp, clerk: Actor) -> None:
    scanner = DemoSimScanner(hall.db)
    assert isinstance(scanner, DeviceScanner)
    with hall.db.read() as s:
        product_id = s.scalars(select(Product.id).where(Product.code == "HW_MATE70")).one()
        stock = set(
            s.scalars(
                select(Device.imei).where(
                    Device.product_id == product_id, Device.status == DeviceStatus.IN_STOCK
                )
            )
        )
    first = scanner.scan_device(clerk.hall_id, clerk.counter_id, product_id)
    second = scanner.scan_device(clerk.hall_id, clerk.counter_id, product_id)
    assert first != second and {first, second} <= stock
    assert parse_imei(first) == first
    with hall.db.unit_of_work() as s:
        s.execute(update(Device).where(Device.imei == first).values(status=DeviceStatus.SOLD))
    again = {scanner.scan_device(clerk.hall_id, clerk.counter_id, product_id) for _ in range(30)}
    assert first not in again and again <= stock
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Device).where(Device.product_id == product_id).values(status=DeviceStatus.FAULTY)
        )
    with pytest.raises(DeviceError, match="没有本厅可售的该型号手机"):
        scanner.scan_device(clerk.hall_id, clerk.counter_id, product_id)


# The README's first-start customers for handsets (seed 1, as `make run` builds it): found by
# the number the README gives.
README_OVERDUE = ("张露丹", "18011767844")
README_CONTRACT = ("孙蓉莉", "18080661630")
README_SUITED = ("郭芳", "15318564769")


def test_the_readme_handset_customers(tmp_path: Path) -> None:
    """One with two overdue instalments, one with a contract phone (24 months, 14 left: 700.00
    to repay today), one adult a new installment sale suits (the credit check approves)."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=1, today=DEMO_TODAY, chunk=CHUNK, workers=1).build(1000, 1)
    hall = build_app(Settings.load(env={}, db_url=url))
    try:
        clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)

        def find(name: str, query: str) -> uuid.UUID:
            (row,) = [r for r in hall.customers.search_customers(clerk, query).rows]
            assert row.name == name
            return row.id

        overdue = find(*README_OVERDUE)
        contract = find(*README_CONTRACT)
        suited = find(*README_SUITED)
    finally:
        hall.close()
    with Session(engine) as s:
        (k,) = s.scalars(
            select(InstallmentContract).where(InstallmentContract.customer_id == overdue)
        ).all()
        rows = s.scalars(select(Instalment).where(Instalment.contract_id == k.id)).all()
        late = [i for i in rows if i.paid_at is None and i.due_date < DEMO_TODAY]
        assert len(late) == 2 and k.status == ContractStatus.ACTIVE.value
        assert sum(i.paid_at is not None for i in rows) == 2
        (c,) = s.scalars(
            select(HandsetCommitment).where(HandsetCommitment.customer_id == contract)
        ).all()
        cut = clawback(c.subsidy_fen, c.months, c.starts_on, DEMO_TODAY)
        assert (c.months, cut.months_left, cut.amount_fen) == (24, 14, 70000)
        person = s.get_one(Customer, suited)
        assert not s.scalars(
            select(InstallmentContract).where(InstallmentContract.customer_id == suited)
        ).all()
        subs = s.scalars(
            select(Subscription).where(
                Subscription.customer_id == suited,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
        ).all()
        mate = s.scalars(select(Product).where(Product.code == "HW_MATE70")).one()
    engine.dispose()
    assert person.birth_date is not None and person.real_name_verified_at is not None
    first = schedule(mate.price_fen - 110_000, 12, DEMO_TODAY)[0]
    facts = CreditFacts(
        age=DEMO_TODAY.year - person.birth_date.year - 1,
        tenure_days=(DEMO_TODAY - person.real_name_verified_at.date()).days,
        arrears=tuple((x.service_number, -x.balance_fen) for x in subs if x.balance_fen < 0),
        active_contracts=0,
        overdue_now=0,
        paid_late=0,
        existing_monthly_fen=0,
        monthly_fen=first.amount_fen,
    )
    assert assess_credit(facts, CreditRules()).outcome is CreditOutcome.APPROVED


def test_the_return_service_sees_the_demo_returns_and_sales_as_the_counter_made_them(
    hall: HallApp, clerk: Actor
) -> None:
    """A demo return is known as such (not returnable again, its IMEI read back from the
    sale's line); a recent contract phone is not returnable."""
    with hall.db.read() as s:
        returns = s.scalars(select(Order).where(Order.order_type == OrderType.HANDSET_RETURN)).all()
        s.expunge_all()  # read after the session: plain values
        recent = s.execute(
            select(Order.order_no, Order.customer_id)
            .join(HandsetCommitment, HandsetCommitment.order_id == Order.id)
            .where(HandsetCommitment.starts_on >= DEMO_TODAY - timedelta(days=30))
            .limit(1)
        ).one()
    assert returns
    for r in returns:
        sale_no = _sale_no(r)
        views = hall.handset_returns.returnable(clerk, r.customer_id)
        (view,) = [v for v in views if v.order_no == sale_no]
        assert not view.allowed and view.reason == f"已于受理单 {r.order_no} 退货"
        assert view.imei in r.notes and view.total_fen == -r.total_fen
    (view,) = [
        v
        for v in hall.handset_returns.returnable(clerk, recent.customer_id)
        if v.order_no == recent.order_no
    ]
    assert not view.allowed and view.reason.startswith("合约机")
