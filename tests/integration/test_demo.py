"""Demo data: valid by the domain rules, realistic in shape, deterministic for a seed."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceSegment,
    Order,
    OrderLine,
    PhoneNumber,
    PrettyTier,
    SimCard,
    Staff,
    Subscription,
)
from hall_app.demo.builder import DemoBuilder
from hall_app.domain.enums import CustomerKind, OrderType, Role, SubscriptionKind
from hall_app.domain.errors import ValidationError
from hall_app.domain.pinyin import name_initials
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_iccid, parse_imsi, pretty_pattern
from hall_app.domain.uscc import parse_uscc
from tests.conftest import DEMO_CUSTOMERS, DEMO_TODAY


@pytest.fixture
def demo_engine(demo_url: str) -> Engine:
    engine = make_engine(demo_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def test_counts_and_staff(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == DEMO_CUSTOMERS
        roles = Counter(s.scalars(select(Staff.role)))
        assert roles == {Role.CLERK: 2, Role.SUPERVISOR: 2, Role.ADMIN: 2}
        assert s.scalar(select(func.count()).select_from(Subscription)) > DEMO_CUSTOMERS


def test_identity_data_is_valid(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        people = s.execute(
            select(
                Customer.id_number,
                Customer.name,
                Customer.name_initials,
                Customer.gender,
                Customer.birth_date,
                Customer.guardian_id,
            ).where(Customer.kind == CustomerKind.INDIVIDUAL)
        ).all()
        usccs = s.scalars(select(Customer.uscc).where(Customer.uscc.is_not(None))).all()
    assert len({p.id_number for p in people}) == len(people)  # unique
    minors = 0
    for p in people:
        parsed = parse_resident_id(p.id_number, today=DEMO_TODAY)
        assert parsed.birth_date == p.birth_date
        assert parsed.gender == p.gender
        assert p.name_initials == name_initials(p.name)
        age = parsed.age_on(DEMO_TODAY)
        assert age >= 10
        if age < 16:
            minors += 1
            assert p.guardian_id is not None  # minors are registered with a guardian
    assert usccs and all(parse_uscc(u).check_ok for u in usccs)


def test_stock_is_valid_and_pretty_numbers_have_tiers(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        sims = s.execute(select(SimCard.iccid, SimCard.imsi)).all()
        pool = s.execute(
            select(PhoneNumber.number, PrettyTier.patterns).outerjoin(
                PrettyTier, PrettyTier.id == PhoneNumber.pretty_tier_id
            )
        ).all()
        in_subs = set(s.scalars(select(Subscription.service_number)))
    for iccid, imsi in sims:
        assert parse_iccid(iccid).value == iccid
        assert parse_imsi(imsi).mnc == "11"
    assert not ({n for n, _ in pool} & in_subs)  # pool numbers are free
    tiered = 0
    for number, patterns in pool:
        match = pretty_pattern(number)
        if patterns is None:
            assert match is None
        else:
            tiered += 1
            assert match is not None and match.code in patterns.split(",")
    assert tiered >= 100


def test_invoices_add_up(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        invoices = s.scalars(select(Invoice)).all()
        assert invoices
        numbers = [i.invoice_no for i in invoices]
        assert len(set(numbers)) == len(numbers)
        assert all(len(n) == 20 and n.isdigit() for n in numbers)
        seqs = sorted(int(n[5:]) for n in numbers)
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free
        for inv in invoices:
            lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)).all()
            assert inv.total_fen == inv.amount_fen + inv.tax_fen
            assert sum(line.amount_fen for line in lines) == inv.amount_fen
            assert all(line.item_name.startswith("*") for line in lines)


MOBILE, BROADBAND, LANDLINE = (
    SubscriptionKind.MOBILE,
    SubscriptionKind.BROADBAND,
    SubscriptionKind.LANDLINE,
)
ORDER_SUBSCRIPTION_KINDS: dict[OrderType, set[SubscriptionKind]] = {
    OrderType.OPEN_MOBILE: {MOBILE},
    OrderType.BROADBAND_INSTALL: {BROADBAND},
    OrderType.LANDLINE_INSTALL: {LANDLINE},
    OrderType.TRANSFER_OWNERSHIP: {MOBILE},
    OrderType.ADD_VALUE_ADDED: {MOBILE},
    OrderType.TOP_UP: {MOBILE},
    OrderType.BILL_PAYMENT: {MOBILE, BROADBAND, LANDLINE},
    OrderType.RELOCATE: {BROADBAND, LANDLINE},
}
NEW_SUBSCRIPTION_ORDERS = (
    OrderType.OPEN_MOBILE,
    OrderType.BROADBAND_INSTALL,
    OrderType.LANDLINE_INSTALL,
    OrderType.TRANSFER_OWNERSHIP,
)


def test_past_orders_point_at_a_subscription_of_their_kind(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        rows = s.execute(
            select(Order, Subscription).outerjoin(
                Subscription, Subscription.id == Order.subscription_id
            )
        ).all()
        plan_lines = {
            (line.order_id, line.product_id) for line in s.scalars(select(OrderLine)).all()
        }
    kinds = Counter(order.order_type for order, _ in rows)
    assert all(kinds[k] for k in (OrderType.OPEN_MOBILE, OrderType.BROADBAND_INSTALL))
    per_subscription = Counter(
        order.subscription_id for order, _ in rows if order.order_type in NEW_SUBSCRIPTION_ORDERS
    )
    for order, sub in rows:
        expected = ORDER_SUBSCRIPTION_KINDS.get(order.order_type)
        if expected is None:  # handset sale, change of details: about no subscription
            assert sub is None, order.order_type
            continue
        assert sub is not None, order.order_type
        assert sub.kind in expected, (order.order_type, sub.kind)
        assert sub.customer_id == order.customer_id
        if order.order_type in NEW_SUBSCRIPTION_ORDERS:  # its own new number or line
            assert per_subscription[sub.id] == 1
            assert sub.created_at == order.submitted_at
        if order.order_type is OrderType.OPEN_MOBILE:
            assert sub.activated_at == order.submitted_at
            assert (order.id, sub.product_id) in plan_lines
        if order.order_type in (OrderType.BROADBAND_INSTALL, OrderType.LANDLINE_INSTALL):
            assert sub.activated_at is None or sub.activated_at > order.submitted_at


def test_history_invoices_name_the_segment_they_were_numbered_from(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        segment = s.scalars(select(InvoiceSegment)).one()
        invoices = s.scalars(select(Invoice)).all()
    prefix = f"{segment.year2}{segment.province_code}{segment.channel}"
    assert prefix == f"{DEMO_TODAY:%y}351"
    assert invoices and all(inv.segment_id == segment.id for inv in invoices)
    assert all(inv.invoice_no.startswith(prefix) for inv in invoices)
    assert segment.next_seq == max(int(inv.invoice_no[5:]) for inv in invoices) + 1


def test_new_numbers_of_the_history_are_valid_and_unique(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        numbers = s.execute(select(Subscription.kind, Subscription.service_number)).all()
        pool = set(s.scalars(select(PhoneNumber.number)))
    assert len({n for _, n in numbers}) == len(numbers)
    assert not pool & {n for _, n in numbers}
    for kind, number in numbers:
        if kind is LANDLINE:
            assert number.startswith("0591") and number[4] not in "01", number


def _digest(engine: Engine) -> str:
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in ("customers", "subscriptions", "number_pool", "orders", "invoices"):
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def _build(path: Path, seed: int, workers: int) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=seed, today=DEMO_TODAY, chunk=300, workers=workers).build(1000, 2)
    return engine


def test_same_seed_same_data_serial_or_parallel(tmp_path: Path) -> None:
    a = _build(tmp_path / "a.sqlite3", 11, workers=1)
    b = _build(tmp_path / "b.sqlite3", 11, workers=2)
    c = _build(tmp_path / "c.sqlite3", 12, workers=1)
    try:
        assert _digest(a) == _digest(b)
        assert _digest(a) != _digest(c)
    finally:
        for e in (a, b, c):
            e.dispose()


def test_refuses_a_database_that_has_customers(demo_engine: Engine) -> None:
    with pytest.raises(ValidationError, match="已有数据"):
        DemoBuilder(demo_engine, seed=1, today=DEMO_TODAY).build(10, 1)


@pytest.mark.postgres
def test_demo_builds_on_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade_to_head(engine)
        summary = DemoBuilder(engine, seed=5, today=DEMO_TODAY, chunk=200, workers=1).build(400, 1)
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(Customer)) == 400
            assert s.scalar(select(func.count()).select_from(Subscription)) == summary.subscriptions
            born = s.scalars(select(Customer.created_at).limit(1)).one()
            assert born.tzinfo is not None
    finally:
        engine.dispose()
