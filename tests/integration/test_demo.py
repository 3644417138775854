"""Demo data: valid by the domain rules, realistic in shape, deterministic for a seed."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from hall_app.app import build_app
from hall_app.cli import main as cli_main
from hall_app.clock import HALL_TZ, business_date
from hall_app.config import Settings
from hall_app.db import blind, crypto
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import (
    AuditEntry,
    Base,
    CoverageArea,
    Customer,
    DemandRegistration,
    Equipment,
    FusionBundle,
    InstallerTeam,
    InstallSlot,
    Invoice,
    InvoiceLine,
    InvoiceSegment,
    LandlineNumber,
    Order,
    OrderLine,
    PhoneNumber,
    PrettyTier,
    Product,
    Promotion,
    SimCard,
    Staff,
    Subscription,
    TeamArea,
    VatCategory,
    WorkOrder,
)
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import (
    CustomerKind,
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    OrderType,
    ProductKind,
    Role,
    SimStatus,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderStatus,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.pinyin import name_initials
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_iccid, parse_imsi, pretty_pattern
from hall_app.domain.uscc import parse_uscc
from hall_app.domain.workdays import late_install_credit_fen
from hall_app.services import audit_chain
from hall_app.services.sensitive_views import CUSTOMER_VIEW, DEMANDS_VIEW, SENSITIVE_ACTIONS
from tests.conftest import DEMO_CUSTOMERS, DEMO_DAYS, DEMO_TODAY, FakeClock


@pytest.fixture
def demo_engine(demo_url: str) -> Engine:
    engine = make_engine(demo_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def test_counts_and_staff(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == DEMO_CUSTOMERS
        roles = Counter(s.scalars(select(Staff.role)))
        assert roles == {Role.CLERK: 4, Role.SUPERVISOR: 2, Role.ADMIN: 2}
        assert s.scalar(select(func.count()).select_from(Subscription)) > DEMO_CUSTOMERS


def test_identity_data_is_valid(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        people = s.scalars(select(Customer).where(Customer.kind == CustomerKind.INDIVIDUAL)).all()
        usccs = s.scalars(select(Customer.uscc).where(Customer.uscc.is_not(None))).all()
    assert len({p.id_number for p in people}) == len(people)  # unique
    minors = 0
    for p in people:
        parsed = parse_resident_id(p.id_number, today=DEMO_TODAY)
        assert parsed.birth_date == p.birth_date
        assert parsed.gender == p.gender
        # The blind indexes of its name's initials (the name itself is sealed).
        assert p.initials_p2 == blind.initials_prefix_indexes(p.name)[1]
        assert name_initials(p.name)
        age = parsed.age_on(DEMO_TODAY)
        assert age >= 10
        if age < 16:
            minors += 1
            assert p.guardian_id is not None  # minors are registered with a guardian
    assert usccs and all(parse_uscc(u).check_ok for u in usccs)


def test_nobody_registered_before_birth_nor_young_without_a_guardian(
    demo_engine: Engine,
) -> None:
    """Walk-through: 杨刚 (born 2013) had 实名登记时间 2009. A person registers from 16 alone,
    from 10 with the guardian."""
    with Session(demo_engine) as s:
        people = s.execute(
            select(Customer.birth_date, Customer.guardian_id, Customer.real_name_verified_at).where(
                Customer.kind == CustomerKind.INDIVIDUAL
            )
        ).all()
    assert people
    for born, guardian, registered in people:
        day = registered.astimezone(HALL_TZ).date()
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        assert age >= 10, (born, day)
        if age < 16:
            assert guardian is not None, (born, day)


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


def test_every_live_mobile_number_has_its_assigned_sim(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        live = s.execute(
            select(Subscription.sim_id, SimCard.status)
            .outerjoin(SimCard, SimCard.id == Subscription.sim_id)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status.in_((SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)),
            )
        ).all()
        assigned = s.scalar(
            select(func.count()).select_from(SimCard).where(SimCard.status == SimStatus.ASSIGNED)
        )
    assert live and all(status is SimStatus.ASSIGNED for _sim, status in live)
    assert len({sim for sim, _ in live}) == len(live) == assigned  # one card each


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
        for table in (
            "customers",
            "subscriptions",
            "number_pool",
            "orders",
            "invoices",
            "work_orders",
            "equipment",
            "landline_numbers",
            "install_slots",
            "queue_tickets",
            "approvals",
            "cash_sessions",
            "cash_movements",
            "z_reports",
            "hall_day_closes",
        ):
            # Sealed values differ build to build (a fresh nonce each): compared opened.
            sealed = crypto.encrypted_columns(Base.metadata.tables[table])
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings():
                values = dict(row)
                for column in sealed:
                    if values[column] is not None:
                        values[column] = crypto.open_value(
                            crypto.Stored(values[column]), table, column, uuid.UUID(values["id"])
                        )
                h.update(repr(tuple(values.values())).encode())
        # The supervisors' audited views (the calendar's seeding entry has an id of its own).
        views = "SELECT * FROM audit_log WHERE action LIKE '%.view_sensitive' ORDER BY id"
        for row in conn.execute(text(views)):
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


def test_bulk_load_runs_on_a_rollback_journal_and_leaves_wal(tmp_path: Path) -> None:
    """The bulk load's one transaction writes the pages once (no 16 GB write-ahead log at
    1,000,000 customers); the database is back in WAL mode for the counter afterwards, and a
    failed build leaves nothing behind."""
    from sqlalchemy import event

    path = tmp_path / "j.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    modes: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
        if statement.startswith("PRAGMA journal_mode="):
            modes.append(statement.split("=", 1)[1])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        upgrade_to_head(engine)
        DemoBuilder(engine, seed=3, today=DEMO_TODAY, chunk=100, workers=1).build(200, 1)
        assert modes[-2:] == ["DELETE", "WAL"]
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.execute(select(func.count()).select_from(Customer)).scalar() == 200
        assert not list(tmp_path.glob("j.sqlite3-journal"))
    finally:
        engine.dispose()

    failing = make_engine(f"sqlite:///{tmp_path / 'f.sqlite3'}")
    try:
        upgrade_to_head(failing)
        builder = DemoBuilder(failing, seed=3, today=DEMO_TODAY, chunk=100, workers=1)

        def broken(*_a: object, **_k: object) -> int:
            raise RuntimeError("the disk went away")

        builder._number_pool = broken  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            builder.build(200, 1)
        with failing.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.execute(select(func.count()).select_from(Customer)).scalar() == 0
    finally:
        failing.dispose()


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


# -- broadband and landline -------------------------------------------------------------------
ACCOUNT = re.compile(r"KD0591\d{6}0[1-6]\d{4}")  # BusinessRules.broadband_account_format
LANDLINE_NUMBER = re.compile(r"0591[2-9]\d{7}")  # area code + 8 digits, not starting 0 or 1
SERIALS = {
    "ONU_ZTE": re.compile(r"ZTEG[0-9A-F]{8}"),
    "ONU_HW": re.compile(r"HWTC[0-9A-F]{8}"),
    "RT_AX3": re.compile(r"2102353GSN\d{10}"),
}
OPEN = (WorkOrderStatus.SCHEDULED, WorkOrderStatus.DISPATCHED)


def test_fixed_line_catalog_teams_and_bundles(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        products = {p.code: p for p in s.scalars(select(Product))}
        vat = {v.id: v for v in s.scalars(select(VatCategory))}
        bundles = s.scalars(select(FusionBundle)).all()
        covered = {c.community for c in s.scalars(select(CoverageArea))}
        areas = s.scalars(select(TeamArea)).all()
        teams = s.scalars(select(InstallerTeam)).all()
        promotions = s.scalars(select(Promotion)).all()
    speeds = sorted(
        p.bandwidth_mbps or 0 for p in products.values() if p.kind is ProductKind.BROADBAND_PLAN
    )
    assert speeds == [200, 300, 500, 1000]
    for p in products.values():
        if p.kind is ProductKind.BROADBAND_PLAN:  # internet access: value-added telecom
            assert vat[p.vat_category_id].rate == Decimal("0.06")
        if p.kind is ProductKind.LANDLINE_PLAN:  # voice: basic telecom
            assert vat[p.vat_category_id].rate == Decimal("0.09")
        if p.kind in (ProductKind.BROADBAND_PLAN, ProductKind.LANDLINE_PLAN):
            assert p.one_time_fee_fen > 0
        if p.kind is ProductKind.EQUIPMENT:
            assert vat[p.vat_category_id].rate == Decimal("0.13")  # goods
            assert p.price_fen > 0 and p.deposit_fen in (10000, 20000)
    assert products["BB300"].price_fen == 9900 and products["BB1000"].one_time_fee_fen == 10000
    broadband_ids = {p.id for p in products.values() if p.kind is ProductKind.BROADBAND_PLAN}
    assert {p.product_id for p in promotions} & broadband_ids
    assert bundles
    by_id = {p.id: p for p in products.values()}
    for b in bundles:
        assert by_id[b.broadband_product_id].kind is ProductKind.BROADBAND_PLAN
        assert by_id[b.mobile_product_id].kind is ProductKind.MOBILE_PLAN
        assert 0 < b.monthly_fen < by_id[b.broadband_product_id].price_fen
    assert len(teams) >= 2
    assert {a.community for a in areas} == covered  # every covered community has a team
    assert all(a.capacity >= 1 for a in areas)


def test_every_active_broadband_and_landline_was_installed(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        coverage = {c.community: c.technology for c in s.scalars(select(CoverageArea))}
        subs = s.scalars(select(Subscription).where(Subscription.kind != MOBILE)).all()
        work_orders = s.scalars(select(WorkOrder)).all()
        installs = (OrderType.BROADBAND_INSTALL, OrderType.LANDLINE_INSTALL)
        orders = {o.id: o for o in s.scalars(select(Order).where(Order.order_type.in_(installs)))}
        pool = {n.number: n for n in s.scalars(select(LandlineNumber))}
        mobiles = {
            m.id: m for m in s.scalars(select(Subscription).where(Subscription.kind == MOBILE))
        }
        bundles = {b.id: b for b in s.scalars(select(FusionBundle))}
        customers = s.scalar(select(func.count()).select_from(Customer))
    installed = {
        (w.broadband_subscription_id or w.landline_subscription_id): w
        for w in work_orders
        if w.status is WorkOrderStatus.INSTALLED
    }
    waiting = {
        (w.broadband_subscription_id or w.landline_subscription_id)
        for w in work_orders
        if w.status is not WorkOrderStatus.INSTALLED
    }
    active = [s for s in subs if s.status is SubscriptionStatus.ACTIVE]
    assert customers is not None
    assert sum(s.kind is BROADBAND for s in active) >= 0.15 * customers
    assert sum(s.kind is LANDLINE for s in active) >= 0.04 * customers
    bundled = 0
    for sub in subs:
        assert coverage[sub.community] == sub.technology
        assert sub.community in sub.address
        if sub.kind is BROADBAND:
            assert ACCOUNT.fullmatch(sub.service_number), sub.service_number
        else:
            assert LANDLINE_NUMBER.fullmatch(sub.service_number), sub.service_number
            assert pool[sub.service_number].status is NumberStatus.ASSIGNED
        if sub.status is SubscriptionStatus.PENDING:
            assert sub.id in waiting and sub.activated_at is None
            continue
        work = installed[sub.id]  # active, suspended or cancelled: it was installed
        assert work.community == sub.community and work.address == sub.address
        assert work.installed_at == sub.activated_at
        order = orders[work.order_id]
        assert order.subscription_id == sub.id and order.customer_id == sub.customer_id
        assert work.work_order_no == "GD" + order.order_no[2:]
        if sub.bundle_id is not None:
            bundled += 1
            assert sub.bundled_with_id is not None
            mobile = mobiles[sub.bundled_with_id]
            assert mobile.customer_id == sub.customer_id
            assert bundles[sub.bundle_id].mobile_product_id == mobile.product_id
            assert bundles[sub.bundle_id].broadband_product_id == sub.product_id
    assert bundled >= 10
    numbers = [sub.service_number for sub in subs]
    assert len(set(numbers)) == len(numbers)
    assert all(LANDLINE_NUMBER.fullmatch(n) for n in pool)
    assigned = {n for n, row in pool.items() if row.status is NumberStatus.ASSIGNED}
    assert assigned == {s.service_number for s in subs if s.kind is LANDLINE}
    free = [row for row in pool.values() if row.status is NumberStatus.AVAILABLE]
    assert len(free) >= 2000 and sum(row.pretty_tier_id is not None for row in free) >= 50


def test_work_orders_open_late_and_failed_and_slots_never_overbooked(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        work_orders = s.scalars(select(WorkOrder)).all()
        slots = {slot.id: slot for slot in s.scalars(select(InstallSlot))}
        areas = {(a.team_id, a.community): a.capacity for a in s.scalars(select(TeamArea))}
    today = DEMO_TODAY
    open_ = [w for w in work_orders if w.status in OPEN]
    assert len(open_) >= 20
    assert any(w.promised_date < today for w in open_)  # overdue
    assert any(w.status is WorkOrderStatus.DISPATCHED for w in open_)
    failed = [w for w in work_orders if w.status is WorkOrderStatus.FAILED]
    assert failed and all(w.status_reason and w.failed_at for w in failed)
    late = 0
    for w in work_orders:
        if w.status is WorkOrderStatus.INSTALLED:
            assert w.installed_at is not None
            day = w.installed_at.astimezone(HALL_TZ).date()
            assert w.late_days == max((day - w.promised_date).days, 0)
            credit = late_install_credit_fen(w.installation_fee_fen, w.promised_date, day)
            assert w.credit_fen == credit == w.installation_fee_fen * w.late_days // 100
            late += w.late_days > 0
        if w.slot_id is not None:
            slot = slots[w.slot_id]
            assert w.status in OPEN
            assert (slot.team_id, slot.community) == (w.team_id, w.community)
            assert (slot.starts_at, slot.ends_at) == (w.window_start, w.window_end)
            assert slot.day >= today
    assert late >= 5
    assert all(w.slot_id is not None for w in open_ if w.window_start.date() >= today)
    booked = Counter(w.slot_id for w in work_orders if w.slot_id is not None)
    assert slots
    for slot in slots.values():
        assert slot.booked == booked[slot.id] <= slot.capacity
        assert slot.capacity == areas[(slot.team_id, slot.community)]


def test_equipment_lent_with_its_subscription(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        products = {p.id: p for p in s.scalars(select(Product))}
        subs = {
            x.id: x for x in s.scalars(select(Subscription).where(Subscription.kind == BROADBAND))
        }
        equipment = s.scalars(select(Equipment)).all()
    serials = [e.serial for e in equipment]
    assert len(set(serials)) == len(serials)
    modems: set[object] = set()
    in_stock = 0
    for e in equipment:
        product = products[e.product_id]
        assert SERIALS[product.code].fullmatch(e.serial), e.serial
        if e.status in (EquipmentStatus.IN_STOCK, EquipmentStatus.DEFECTIVE):
            assert e.subscription_id is None and e.mode is None
            in_stock += e.status is EquipmentStatus.IN_STOCK
            continue
        assert e.subscription_id is not None
        sub = subs[e.subscription_id]
        if product.code.startswith("ONU"):
            modems.add(sub.id)
        assert (e.mode is EquipmentMode.BOUGHT) == (e.status is EquipmentStatus.SOLD)
        if e.status is EquipmentStatus.LENT:
            assert sub.status is not SubscriptionStatus.CANCELLED
            expected = product.deposit_fen if e.mode is EquipmentMode.DEPOSIT else 0
            assert e.deposit_fen == expected
        if e.status is EquipmentStatus.RETURNED:
            assert sub.status is SubscriptionStatus.CANCELLED
    assert 200 <= in_stock <= 1000
    assert modems == set(subs)  # every broadband has its modem


def test_demand_registrations_are_for_uncovered_communities(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        covered = {c.community for c in s.scalars(select(CoverageArea))}
        demands = s.scalars(select(DemandRegistration)).all()
    assert len(demands) >= 10
    for d in demands:
        assert d.wanted and d.contact_name and d.contact_phone
        assert not any(c in d.address for c in covered), d.address


def test_installs_are_at_addresses_the_hall_serves(demo_engine: Engine) -> None:
    from hall_app.services.coverage import city_of

    with Session(demo_engine) as s:
        addresses = [w.address for w in s.scalars(select(WorkOrder))]  # opened (sealed)
        fixed = [
            sub.address
            for sub in s.scalars(
                select(Subscription).where(
                    Subscription.kind.in_([SubscriptionKind.BROADBAND, SubscriptionKind.LANDLINE])
                )
            )
        ]
    assert addresses and fixed
    assert {city_of(a) for a in [*addresses, *fixed]} == {"福州市"}


def test_supervisors_unmasked_views_are_audited_in_a_chain_that_verifies(
    demo_engine: Engine, demo_url: str, clock: FakeClock
) -> None:
    """The demo's 敏感信息查看记录: on each of its days the duty supervisors opened a few
    customers' full records (and now and then the 预约登记 list), audited as the services
    audit them, each window's chain whole; the services then continue it."""
    with Session(demo_engine) as s:
        rows = s.execute(
            select(
                AuditEntry.at,
                AuditEntry.action,
                AuditEntry.entity,
                AuditEntry.entity_id,
                AuditEntry.after,
                AuditEntry.counter_id,
                Staff.role,
                Staff.default_counter_id,
            )
            .join(Staff, Staff.id == AuditEntry.staff_id)
            .where(AuditEntry.action.in_(SENSITIVE_ACTIONS))
        ).all()
        customers = set(s.scalars(select(Customer.id)))
        demands = s.scalar(select(func.count()).select_from(DemandRegistration)) or 0
        entries = s.scalar(select(func.count()).select_from(AuditEntry))
    days = {business_date(r.at) for r in rows}
    assert days == {DEMO_TODAY - timedelta(days=d) for d in range(1, DEMO_DAYS + 1)}
    assert all(r.role is Role.SUPERVISOR and r.counter_id == r.default_counter_id for r in rows)
    viewed = [r for r in rows if r.action == CUSTOMER_VIEW]
    assert viewed and all(r.entity == "customer" and r.after is None for r in viewed)
    assert {uuid.UUID(r.entity_id) for r in viewed} <= customers
    lists = [r for r in rows if r.action == DEMANDS_VIEW]
    assert all(r.entity_id is None and r.after == {"shown": min(500, demands)} for r in lists)
    report = audit_chain.verify(demo_engine)
    assert report.ok and report.checked == entries, report.problem
    assert cli_main(["--db", demo_url, "audit", "verify"]) == 0

    hall = build_app(Settings.load(env={}, db_url=demo_url), clock=clock)
    try:
        supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
        hall.customers.get_customer_record(supervisor, next(iter(customers)))
        assert audit_chain.verify(hall.db.engine).ok
        listed = hall.sensitive_views.views(supervisor, DEMO_TODAY - timedelta(days=1))
        assert listed and all("*" in v.subject for v in listed)
    finally:
        hall.close()
