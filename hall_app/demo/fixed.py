"""Broadband and landline in the demo: the past install orders and work orders of the
customers' broadband and landlines, the modems and routers lent with them, the landline number
pool, equipment stock, the recent work orders (open, overdue, installed late, failed) with the
install slots they hold, and the demand recorded for uncovered communities (预约登记).

Deterministic: its own random stream (seeded by the build's seed), so the customers and the
rest of the history are drawn exactly as without it. Account, order and work-order numbers are
numbered here, per business day and counter, across chunks (chunks are handed over in order).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection

from hall_app.clock import HALL_TZ
from hall_app.config import BusinessRules
from hall_app.db.models import DemandRegistration, InstallSlot, Product, Subscription
from hall_app.demo.bulk import BulkWriter
from hall_app.demo.customers import SERVICE_NUMBER_COL, SUBSCRIPTION_COLUMNS
from hall_app.demo.customers import Sample as SampleCustomer
from hall_app.demo.installs import (
    INSTALL_TABLES,
    ORDER_NO_COL,
    WORK_ORDER_NO_COL,
    CounterInfo,
    FixedCatalog,
    FixedSpec,
    InstallRows,
    Numbered,
    Numbers,
    Pending,
    ProductInfo,
    VatInfo,
)
from hall_app.demo.reference import Reference
from hall_app.domain.enums import (
    DemandStatus,
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    PaymentMethod,
    ProductKind,
    Role,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderStatus,
)
from hall_app.domain.workdays import add_working_days, late_install_credit_fen

FAILURE_REASONS = (
    "楼道分光箱无空余端口，需扩容后再约",
    "客户家中无人，联系不上",
    "入户管道堵塞，需物业配合疏通",
    "客户临时取消安装",
)
RESCHEDULE_REASONS = ("客户要求改约", "装维人员临时调派", "物业未开放施工")
DEMAND_WANTED = ("宽带", "宽带", "宽带+固话", "固话")
# The recent work orders the demo's "today" shows (fixed counts, whatever the build's size).
RECENT_OPEN = 30
RECENT_OVERDUE = 8
RECENT_FAILED = 5
RECENT_LATE = 10
DEMANDS = 12
LANDLINE_POOL = 3000
EQUIPMENT_STOCK = (("ONU_ZTE", 160), ("ONU_HW", 120), ("RT_AX3", 120))


def _cols(*names: str) -> tuple[str, ...]:
    return ("id", "created_at", "updated_at", *names)


SLOT_COLUMNS = _cols(
    "hall_id",
    "team_id",
    "community",
    "day",
    "window",
    "starts_at",
    "ends_at",
    "capacity",
    "booked",
    "provisional",
)
DEMAND_COLUMNS = _cols(
    "hall_id",
    "customer_id",
    "address",
    "contact_name",
    "contact_phone",
    "wanted",
    "note",
    "status",
    "staff_id",
)


FUZHOU = "福建省福州市"  # the demo hall's city: only its addresses are covered


def install_address(rng: random.Random, street: str, community: str) -> str:
    """An address in Gulou district naming ``community`` (so coverage finds it)."""
    return (
        f"福建省福州市鼓楼区{street}{rng.randint(1, 300)}号{community}{rng.randint(1, 30)}栋"
        f"{rng.randint(1, 4)}单元{rng.randint(1, 33)}0{rng.randint(1, 6)}室"
    )


@dataclass(frozen=True)
class Placement:
    """Where a broadband or landline of the history is installed, and its number."""

    number: str
    address: str
    community: str
    technology: str


@dataclass
class _Slot:
    id: uuid.UUID
    capacity: int
    booked: int
    starts_at: datetime
    ends_at: datetime


def fixed_catalog(ref: Reference) -> FixedCatalog:
    """The reference data the install rows use, as plain values (for worker processes)."""

    def info(p: Product) -> ProductInfo:
        return ProductInfo(
            p.id,
            p.code,
            p.name,
            p.price_fen,
            p.one_time_fee_fen,
            p.lock_in_months,
            p.bandwidth_mbps,
            p.deposit_fen,
        )

    fixed_type = ref.service_types["fixed"].id
    return FixedCatalog(
        hall_id=ref.hall.id,
        products={p.id: info(p) for ps in ref.products.values() for p in ps},
        equipment={p.code: info(p) for p in ref.products[ProductKind.EQUIPMENT]},
        vat={code: VatInfo(v.id, Decimal(v.rate)) for code, v in ref.vat.items()},
        bundle_fee={b.id: b.monthly_fen for b in ref.bundles},
        counters=tuple(
            CounterInfo(c.id, c.code)
            for c in ref.counters
            if fixed_type in {t.id for t in c.service_types}
        ),
        counter_code={c.id: c.code for c in ref.counters},
        staff=tuple(s.id for s in ref.staff if s.role in (Role.CLERK, Role.SUPERVISOR)),
        team_areas=ref.team_areas,
        tiers={pattern: tier.id for pattern, tier in ref.tiers.items()},
        coverage=ref.coverage,
    )


class TillSink(Protocol):
    """The history's tills (HistoryBuilder): a recent install order of one of the history's
    days is taken by a clerk working that day and paid into their till, before the day's
    Z reports and close are made."""

    def clerk_on(
        self, day: date, pick: float, counters: frozenset[uuid.UUID]
    ) -> tuple[uuid.UUID, uuid.UUID] | None: ...

    def pay_fixed(
        self,
        *,
        order_id: uuid.UUID,
        customer: SampleCustomer,
        staff_id: uuid.UUID,
        at: datetime,
        lines: Sequence[tuple[str, uuid.UUID | None, int, str | None]],
        reference: str,
    ) -> bool: ...


class FixedLineBuilder(InstallRows):
    """The parent's side: writes the chunks' install rows (numbering them), and builds the
    history's installs, the recent work orders with their slots, stock and demand."""

    def __init__(
        self,
        conn: Connection,
        ref: Reference,
        seed: int,
        today: date,
        rules: BusinessRules | None = None,
    ) -> None:
        rules = rules or BusinessRules()
        self.catalog = fixed_catalog(ref)
        super().__init__(
            self.catalog, random.Random(f"{seed}:fixed"), today, Numbers(rules), 0, rules
        )
        self._ref = ref
        self._anchor = datetime.combine(today, dtime(7, 30), HALL_TZ).astimezone(UTC)
        self._slots: dict[tuple[uuid.UUID, str, date, str], _Slot] = {}
        self._landlines_used: set[str] = set()
        self._landline_seq = 0
        self._w_sub = BulkWriter(conn, Subscription, SUBSCRIPTION_COLUMNS)
        self._writers = {
            table: BulkWriter(conn, model, columns)
            for table, (model, columns) in INSTALL_TABLES.items()
        }
        self._w_slot = BulkWriter(conn, InstallSlot, SLOT_COLUMNS)
        self._w_demand = BulkWriter(conn, DemandRegistration, DEMAND_COLUMNS)
        self._till_sink: TillSink | None = None  # while recent() writes into the history's days
        self._paying: SampleCustomer | None = None  # the customer of the order being written

    def flush(self) -> None:
        """Parents before children: subscriptions, orders, their lines and payments, work
        orders, equipment, landline numbers; then demand."""
        rows = self.take_rows()
        self._w_sub.write(rows.pop("subscriptions", []))
        for table, writer in self._writers.items():
            writer.write(rows.pop(table, []))
        self._w_demand.write(rows.pop("demand_registrations", []))
        assert not rows

    # -- the customers' broadband and landlines (made in the chunk workers) ---------------------
    def number_chunk(
        self, subs: list[tuple[Any, ...]], rows: dict[str, list[tuple[Any, ...]]]
    ) -> None:
        """Give a chunk's pending numbers, in chunk order: orders, broadband accounts, then the
        work orders named after their orders. In the rows, before they are written."""
        resolve = self._numbers.resolve
        for table, col in (
            ("orders", ORDER_NO_COL),
            ("subscriptions", SERVICE_NUMBER_COL),
            ("work_orders", WORK_ORDER_NO_COL),
        ):
            target = subs if table == "subscriptions" else rows.get(table, [])
            for n, row in enumerate(target):
                if isinstance(row[col], Pending):
                    fixed = list(row)
                    fixed[col] = resolve(row[col])
                    target[n] = tuple(fixed)

    def write_chunk(self, rows: dict[str, list[tuple[Any, ...]]], converted: bool) -> None:
        """A chunk's install rows, after its subscriptions."""
        for table, writer in self._writers.items():
            (writer.write_converted if converted else writer.write)(rows.get(table, []))

    def order_no(self, day: date, counter_code: str) -> str:
        number = self._numbers.order_no(day, counter_code)
        assert isinstance(number, str)  # the parent numbers at once
        return number

    def account(self, day: date, counter_code: str) -> str:
        number = self._numbers.account(day, counter_code)
        assert isinstance(number, str)
        return number

    def counter_code(self, counter_id: uuid.UUID) -> str:
        return self._cat.counter_code[counter_id]

    def _product(self, code: str) -> ProductInfo:
        return next(p for p in self._cat.products.values() if p.code == code)

    def place(
        self,
        customer: SampleCustomer,
        kind: SubscriptionKind,
        plan: Product | ProductInfo,
        day: date,
        counter_code: str,
    ) -> Placement:
        """The install address (the customer's when it names a covered community fast
        enough for the plan, else one in a covered one) and the new account or number."""
        rng = self._rng
        coverage = self._ref.coverage
        speed = plan.bandwidth_mbps or 0
        local = customer.address.startswith(FUZHOU)  # the hall serves its own city
        community = next((c for c in coverage if c in customer.address), "") if local else ""
        address = customer.address
        if community not in coverage or coverage[community][1] < speed:
            fitting = [c for c, (_, top) in coverage.items() if top >= speed]
            community = fitting[rng.randrange(len(fitting))]
            address = install_address(rng, "五四路", community)
        number = (
            self.account(day, counter_code)
            if kind is SubscriptionKind.BROADBAND
            else self._new_landline()
        )
        return Placement(number, address, community, coverage[community][0])

    def _new_landline(self) -> str:
        """Numbers of new landlines: 0591 6xxxxxxx (the customers' are 0591 8xxxxxxx, the
        free pool's start with 2, 3, 5 or 7)."""
        self._landline_seq += 1
        body = (self._landline_seq * 7_654_321 + 2_345_679) % 10_000_000
        return f"05916{body:07d}"

    def history_install(
        self,
        *,
        order_id: uuid.UUID,
        order_no: str,
        staff_id: uuid.UUID,
        customer: SampleCustomer,
        contact_phone: str,
        kind: SubscriptionKind,
        subscription_id: uuid.UUID,
        product_id: uuid.UUID,
        ordered_at: datetime,
        activated: datetime | None,
        planned: datetime,
        placement: Placement,
    ) -> None:
        """The work order of an install order of the history: installed when its day has
        come (``activated``), else booked in a slot of the coming days (pending)."""
        spec = FixedSpec(
            row=-1,
            subscription_id=subscription_id,
            customer_id=customer.id,
            kind=kind,
            status=SubscriptionStatus.ACTIVE if activated else SubscriptionStatus.PENDING,
            product_id=product_id,
            ordered_at=ordered_at,
            installed_at=activated or ordered_at,
            address=placement.address,
            community=placement.community,
            technology=placement.technology,
            contact_name=customer.name,
            contact_phone=contact_phone,
        )
        if activated is not None:
            self._installed(
                spec,
                self._cat.counters[0].id,
                placement.number,
                None,
                False,
                order_id=order_id,
                order_no=order_no,
                staff_id=staff_id,
            )
            return
        plan = self._cat.products[product_id]
        self._open(spec, order_id, order_no, plan, planned)
        if kind is SubscriptionKind.LANDLINE:
            self._assigned_landline(placement.number, ordered_at)

    def earlier_install(
        self,
        customer: SampleCustomer,
        contact_phone: str,
        kind: SubscriptionKind,
        subscription_id: uuid.UUID,
        product_id: uuid.UUID,
        ordered_at: datetime,
        installed_at: datetime,
        placement: Placement,
    ) -> None:
        """The install order and work order of a broadband or landline the history found the
        customer already had (opened long before)."""
        counter = self._cat.counters[self._rng.randrange(len(self._cat.counters))]
        spec = FixedSpec(
            row=-1,
            subscription_id=subscription_id,
            customer_id=customer.id,
            kind=kind,
            status=SubscriptionStatus.ACTIVE,
            product_id=product_id,
            ordered_at=ordered_at,
            installed_at=installed_at,
            address=placement.address,
            community=placement.community,
            technology=placement.technology,
            contact_name=customer.name,
            contact_phone=contact_phone,
        )
        self._installed(spec, counter.id, placement.number, None, False)

    def _open(
        self,
        spec: FixedSpec,
        order_id: uuid.UUID,
        order_no: Numbered,
        plan: ProductInfo,
        earliest: datetime,
        *,
        reschedules: int = 0,
        reason: str = "",
    ) -> None:
        """A work order waiting for its install: booked in the first slot with room from
        ``earliest`` on (dispatched when it is today's); its equipment taken at the order."""
        lead = self._anchor + timedelta(hours=self._rules.install_lead_hours)
        slot, team_id = self._book(spec.community, max(earliest, lead))
        promised = add_working_days(
            self._calendar,
            spec.ordered_at.astimezone(HALL_TZ).date(),
            self._promise_days(spec.technology),
        )
        today_slot = slot.starts_at.astimezone(HALL_TZ).date() == self._today
        self._work_order(
            spec,
            order_id,
            order_no,
            slot.id,
            team_id,
            slot.starts_at,
            slot.ends_at,
            promised.day,
            promised.provisional,
            plan.one_time_fee_fen,
            WorkOrderStatus.DISPATCHED if today_slot else WorkOrderStatus.SCHEDULED,
            reason,
            dispatched=self._anchor - timedelta(hours=10) if today_slot else None,
            reschedules=reschedules,
        )
        self._lend(self._equipment_for(spec, plan), spec, order_id)

    def _book(self, community: str, earliest: datetime) -> tuple[_Slot, uuid.UUID]:
        """The first slot with room, from ``earliest``: one more booked (slots are created
        here only as the work orders need them, with their team area's capacity)."""
        teams = self._ref.team_areas[community]
        day = earliest.astimezone(HALL_TZ).date()
        for _ in range(60):
            info = self._calendar.info(day)
            if info.working:
                codes = [w[0] for w in self._rules.install_windows]
                for code, (start, end) in zip(codes, self._windows(day), strict=True):
                    if start < earliest:
                        continue
                    for team_id, capacity in teams:
                        key = (team_id, community, day, code)
                        slot = self._slots.get(key)
                        if slot is None:
                            slot = self._slots[key] = _Slot(
                                self.uid(),
                                capacity,
                                0,
                                start.astimezone(UTC),
                                end.astimezone(UTC),
                            )
                        if slot.booked < slot.capacity:
                            slot.booked += 1
                            return slot, team_id
            day += timedelta(days=1)
        raise RuntimeError(f"no install slot with room for {community}")

    # -- the recent work orders: open, overdue, installed late, failed -------------------------
    def recent(
        self,
        samples: Sequence[SampleCustomer],
        phones: Sequence[str],
        tills: TillSink | None = None,
    ) -> int:
        """Recent broadband installs of sample customers (a fixed number, whatever the build's
        size), each a new subscription with its paid order and work order. ``phones``: a
        contact phone per sample. With ``tills`` (made before the history's days), an order
        of one of those days is taken by a clerk working that day, paid into their till and
        invoiced, so the day's Z reports and close hold it. Returns the number of work
        orders."""
        self._till_sink = tills
        try:
            return self._recent(samples, phones)
        finally:
            self._till_sink = self._paying = None

    def _recent(self, samples: Sequence[SampleCustomer], phones: Sequence[str]) -> int:
        rng = self._rng
        today = self._today
        picks = list(range(len(samples)))
        rng.shuffle(picks)
        plans = [self._product(c) for c in ("BB300", "BB500", "BB1000", "BB500")]
        ftth = [c for c, (tech, _) in self._ref.coverage.items() if tech == "FTTH"]
        made = 0
        plan_of = (
            [("open", n) for n in range(RECENT_OPEN)]
            + [("overdue", n) for n in range(RECENT_OVERDUE)]
            + [("failed", n) for n in range(RECENT_FAILED)]
            + [("late", n) for n in range(RECENT_LATE)]
        )
        for (what, n), pick in zip(plan_of, picks, strict=False):
            customer = samples[pick]
            landline = what == "open" and n % 6 == 5  # a few landlines among the open ones
            kind = SubscriptionKind.LANDLINE if landline else SubscriptionKind.BROADBAND
            plan = self._product("LL20") if landline else plans[rng.randrange(len(plans))]
            back = {
                "open": rng.randint(1, 3),
                "overdue": rng.randint(9, 14),
                "failed": rng.randint(3, 8),
                "late": rng.randint(12, 25),
            }[what]
            ordered = datetime.combine(today - timedelta(days=back), dtime(9), HALL_TZ) + timedelta(
                minutes=rng.randrange(8 * 60)
            )
            ordered_utc = ordered.astimezone(UTC)
            counter = self._cat.counters[rng.randrange(len(self._cat.counters))]
            day = ordered.date()
            taker = None
            if self._till_sink is not None:  # a clerk at work that day, at their own window
                taker = self._till_sink.clerk_on(
                    day, rng.random(), frozenset(c.id for c in self._cat.counters)
                )
                if taker is not None:
                    counter = next((c for c in self._cat.counters if c.id == taker[1]), counter)
            community = (
                next((c for c in ftth if c in customer.address), None)
                if customer.address.startswith(FUZHOU)
                else None
            )
            address = customer.address
            if community is None:
                community = ftth[rng.randrange(len(ftth))]
                address = install_address(rng, "杨桥中路", community)
            number = self._new_landline() if landline else self.account(day, counter.code)
            promised = add_working_days(self._calendar, day, self._promise_days("FTTH"))
            installed: datetime | None = None
            if what == "late":
                late_day = add_working_days(self._calendar, promised.day, rng.randint(1, 3)).day
                start, end = self._windows(late_day)[rng.randrange(2)]
                installed = (start + timedelta(minutes=rng.randrange(30, 150))).astimezone(UTC)
            spec = FixedSpec(
                row=-1,
                subscription_id=self.uid(),
                customer_id=customer.id,
                kind=kind,
                status=SubscriptionStatus.ACTIVE if installed else SubscriptionStatus.PENDING,
                product_id=plan.id,
                ordered_at=ordered_utc,
                installed_at=installed or ordered_utc,
                address=address,
                community=community,
                technology="FTTH",
                contact_name=customer.name,
                contact_phone=phones[pick],
            )
            credit = (
                late_install_credit_fen(
                    plan.one_time_fee_fen, promised.day, installed.astimezone(HALL_TZ).date()
                )
                if installed
                else 0
            )
            self._new_subscription(spec, plan, number, credit)
            staff_id = self._cat.staff[rng.randrange(len(self._cat.staff))]
            if taker is not None:
                staff_id = taker[0]
            self._paying = customer
            equipment = self._equipment_for(spec, plan)
            if what == "late":
                self._installed(spec, counter.id, number, None, True, staff_id=staff_id)
                made += 1
                continue
            order_id, order_no = self._order(
                spec, plan, counter.id, staff_id, equipment, None, True
            )
            if landline:
                self._assigned_landline(number, ordered_utc)
            if what == "open":
                earliest = self._anchor + timedelta(
                    days=rng.randint(0, 6), hours=rng.randint(0, 10)
                )
                self._open(spec, order_id, order_no, plan, earliest)
            elif what == "overdue" and n % 2 == 0:  # moved to a later slot: still overdue
                self._open(
                    spec,
                    order_id,
                    order_no,
                    plan,
                    self._anchor + timedelta(days=1),
                    reschedules=1,
                    reason=RESCHEDULE_REASONS[n % len(RESCHEDULE_REASONS)],
                )
            else:  # overdue: dispatched for a window now past; or failed there
                window_day = add_working_days(self._calendar, day, 2 if what == "failed" else 4).day
                while window_day >= today or not self._calendar.info(window_day).working:
                    window_day -= timedelta(days=1)  # a window now past
                start, end = self._windows(window_day)[rng.randrange(3)]
                failed = what == "failed"
                self._work_order(
                    spec,
                    order_id,
                    order_no,
                    None,
                    self._team(community),
                    start.astimezone(UTC),
                    end.astimezone(UTC),
                    promised.day,
                    promised.provisional,
                    plan.one_time_fee_fen,
                    WorkOrderStatus.FAILED if failed else WorkOrderStatus.DISPATCHED,
                    FAILURE_REASONS[n % len(FAILURE_REASONS)] if failed else "",
                    dispatched=(start - timedelta(hours=14)).astimezone(UTC),
                    failed=(start + timedelta(minutes=70)).astimezone(UTC) if failed else None,
                )
                self._lend(equipment, spec, order_id)
            made += 1
        self.flush()
        return made

    def _order(
        self,
        spec: FixedSpec,
        plan: ProductInfo,
        counter_id: uuid.UUID,
        staff_id: uuid.UUID,
        equipment: list[tuple[ProductInfo, EquipmentMode]],
        bundle_id: uuid.UUID | None,
        payment: bool,
    ) -> tuple[uuid.UUID, Numbered]:
        """As InstallRows writes it; while recent() writes into the history's days, the
        payment goes into the clerk's till of the day (with its invoice) when there is one."""
        sink, customer = self._till_sink, self._paying
        if not payment or sink is None or customer is None or customer.id != spec.customer_id:
            return super()._order(spec, plan, counter_id, staff_id, equipment, bundle_id, payment)
        reference = f"{self._rng.randrange(10**12):012d}"
        oid, order_no = super()._order(
            spec, plan, counter_id, staff_id, equipment, bundle_id, False
        )
        lines = self._lines(spec, plan, equipment, bundle_id)
        if not sink.pay_fixed(
            order_id=oid,
            customer=customer,
            staff_id=staff_id,
            at=spec.ordered_at,
            lines=lines,
            reference=reference,
        ):  # not a day of the history (or its clerk is off): paid outside the tills
            at = spec.ordered_at
            total = sum(amount for _, _, amount, _ in lines)
            self._add(
                "payments",
                (
                    self.uid(),
                    at,
                    at,
                    oid,
                    spec.customer_id,
                    staff_id,
                    None,
                    PaymentMethod.QR_WALLET,
                    total,
                    None,
                    0,
                    reference,
                    at,
                ),
            )
        return oid, order_no

    def _new_subscription(
        self, spec: FixedSpec, plan: ProductInfo, number: str, credit: int
    ) -> None:
        installed = spec.installed_at if spec.status is SubscriptionStatus.ACTIVE else None
        lock = (
            (installed + timedelta(days=30 * plan.lock_in_months)).date()
            if installed and plan.lock_in_months
            else None
        )
        self._add(
            "subscriptions",
            (
                spec.subscription_id,
                spec.ordered_at,
                installed or spec.ordered_at,
                spec.customer_id,
                spec.kind,
                number,
                plan.id,
                None,
                spec.status,
                spec.address,
                self._ref.hall.id,
                installed,
                lock,
                None,
                credit,  # the late-install credit, on the balance the day it was installed
                spec.community,
                spec.technology,
                None,
                None,
            ),
        )

    # -- stock, demand, and the end ------------------------------------------------------------
    def stock(self) -> tuple[int, int]:
        """Modems and routers in stock, and the free landline numbers (some pretty)."""
        ref = self._ref
        rng = self._rng
        at = self._anchor
        for code, count in EQUIPMENT_STOCK:
            product = self._cat.equipment[code]
            for _ in range(count):
                status = (
                    EquipmentStatus.IN_STOCK if rng.random() < 0.97 else EquipmentStatus.DEFECTIVE
                )
                self._add(
                    "equipment",
                    (
                        self.uid(),
                        at,
                        at,
                        product.id,
                        self._serial(code),
                        status,
                        ref.hall.id,
                        None,
                        None,
                        None,
                        0,
                    ),
                )
        tails = [d * 4 for d in "0235678"] + [
            "1234",
            "5678",
            "6789",
            "1122",
            "6688",
            "1212",
            "8888",
        ]
        area = self._rules.landline_area_code
        made = 0
        crafted = LANDLINE_POOL // 15
        while made < LANDLINE_POOL:
            head = rng.choice("2357")
            if made < crafted:
                local = f"{head}{rng.randrange(1000):03d}{rng.choice(tails)}"
            else:
                local = f"{head}{rng.randrange(10**7):07d}"
            number = area + local
            if number in self._landlines_used:
                continue
            self._landlines_used.add(number)
            state = NumberStatus.AVAILABLE if rng.random() < 0.95 else NumberStatus.QUARANTINED
            self._add(
                "landline_numbers",
                (
                    self.uid(),
                    at,
                    at,
                    number,
                    area,
                    state,
                    self._tier_id(number),
                    ref.hall.id,
                    at + timedelta(days=90) if state is NumberStatus.QUARANTINED else None,
                ),
            )
            made += 1
        self.flush()
        return sum(c for _, c in EQUIPMENT_STOCK), made

    def demands(self, samples: Sequence[SampleCustomer], phones: Sequence[str]) -> int:
        """预约登记 for the uncovered communities: a dozen, most still open."""
        ref = self._ref
        rng = self._rng
        clerks = [s for s in ref.staff if s.role is Role.CLERK]
        if not ref.uncovered:
            return 0
        for n in range(DEMANDS):
            community = ref.uncovered[n % len(ref.uncovered)]
            pick = rng.randrange(len(samples))
            customer = samples[pick]
            at = self._anchor - timedelta(days=rng.randint(1, 60), minutes=rng.randrange(600))
            address = install_address(rng, rng.choice(("铜盘路", "工业路", "西洪路")), community)
            status = DemandStatus.OPEN if n % 4 else DemandStatus.NOTIFIED
            self._add(
                "demand_registrations",
                (
                    self.uid(),
                    at,
                    at,
                    ref.hall.id,
                    customer.id if n % 3 else None,
                    address,
                    customer.name,
                    phones[pick],
                    DEMAND_WANTED[n % len(DEMAND_WANTED)],
                    "小区尚未覆盖光纤，覆盖后电话通知"
                    if status is DemandStatus.OPEN
                    else "已告知预计开通时间",
                    status,
                    clerks[n % len(clerks)].id,
                ),
            )
        self.flush()
        return DEMANDS

    def finish(self) -> None:
        """The slots the open work orders booked (booked counted), then those work orders."""
        ref = self._ref
        rows = []
        for (team_id, community, day, window), slot in sorted(
            self._slots.items(), key=lambda kv: (kv[0][2], kv[0][3], kv[0][1], str(kv[0][0]))
        ):
            rows.append(
                (
                    slot.id,
                    self._anchor,
                    self._anchor,
                    ref.hall.id,
                    team_id,
                    community,
                    day,
                    window,
                    slot.starts_at,
                    slot.ends_at,
                    slot.capacity,
                    slot.booked,
                    self._calendar.info(day).provisional,
                )
            )
        self._w_slot.write(rows)
        self._writers["work_orders"].write(self._slotted)
        self._slotted = []
        self.flush()

    @property
    def work_orders(self) -> int:
        return self._writers["work_orders"].count

    @property
    def orders(self) -> int:
        """Install orders written here (the history's own are counted by the history)."""
        return self._writers["orders"].count

    @property
    def subscriptions(self) -> int:
        """The recent installs' subscriptions (the customers' and history's are theirs)."""
        return self._w_sub.count
