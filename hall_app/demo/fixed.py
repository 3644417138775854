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
from functools import cache
from typing import Any

from sqlalchemy import Connection

from hall_app.clock import HALL_TZ
from hall_app.config import BusinessRules
from hall_app.db.models import (
    DemandRegistration,
    Equipment,
    InstallSlot,
    LandlineNumber,
    Order,
    OrderLine,
    Payment,
    Product,
    Subscription,
    WorkOrder,
)
from hall_app.demo.bulk import BulkWriter
from hall_app.demo.customers import SERVICE_NUMBER_COL, SUBSCRIPTION_COLUMNS, FixedSpec
from hall_app.demo.customers import Sample as SampleCustomer
from hall_app.demo.reference import Reference
from hall_app.domain.enums import (
    DemandStatus,
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    ProductKind,
    Role,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from hall_app.domain.telecom import pretty_pattern
from hall_app.domain.workdays import WorkCalendar, add_working_days, late_install_credit_fen

WORK_ORDER_PREFIX = "GD"  # 工单: GD + the order number's day, counter and sequence
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


ORDER_COLUMNS = _cols(
    "order_no",
    "order_type",
    "state",
    "hall_id",
    "counter_id",
    "staff_id",
    "customer_id",
    "ticket_id",
    "subscription_id",
    "total_fen",
    "terms_text",
    "submitted_at",
    "completed_at",
    "notes",
)
LINE_COLUMNS = _cols(
    "order_id",
    "product_id",
    "description",
    "quantity",
    "unit_price_fen",
    "amount_fen",
    "vat_category_id",
    "vat_rate",
    "invoiceable",
)
WORK_ORDER_COLUMNS = _cols(
    "work_order_no",
    "kind",
    "order_id",
    "hall_id",
    "customer_id",
    "broadband_subscription_id",
    "landline_subscription_id",
    "address",
    "community",
    "technology",
    "contact_name",
    "contact_phone",
    "slot_id",
    "team_id",
    "window_start",
    "window_end",
    "promised_date",
    "promised_provisional",
    "installation_fee_fen",
    "status",
    "status_reason",
    "reschedules",
    "dispatched_at",
    "installed_at",
    "failed_at",
    "late_days",
    "credit_fen",
)
EQUIPMENT_COLUMNS = _cols(
    "product_id",
    "serial",
    "status",
    "hall_id",
    "order_id",
    "subscription_id",
    "mode",
    "deposit_fen",
)
LANDLINE_COLUMNS = _cols(
    "number", "area_code", "status", "pretty_tier_id", "hall_id", "quarantined_until"
)
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
PAYMENT_COLUMNS = _cols(
    "order_id",
    "customer_id",
    "staff_id",
    "cash_session_id",
    "method",
    "amount_fen",
    "tendered_fen",
    "change_fen",
    "reference",
    "paid_at",
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


def install_address(rng: random.Random, street: str, community: str) -> str:
    """An address in Gulou district naming ``community`` (so coverage finds it)."""
    return (
        f"福建省福州市鼓楼区{street}{rng.randint(1, 300)}号{community}{rng.randint(1, 30)}栋"
        f"{rng.randint(1, 4)}单元{rng.randint(1, 33)}0{rng.randint(1, 6)}室"
    )


@cache
def package_calendar() -> WorkCalendar:
    """Working days of every year chinese-calendar knows (later years count Monday to Friday,
    provisional), the same days the app's calendar table is seeded from."""
    from chinese_calendar.constants import holidays, workdays

    from hall_app.services.calendar import package_years

    days: dict[date, tuple[bool, str | None]] = {}
    for d, name in holidays.items():
        days[d] = (False, str(name.value[0]) if hasattr(name, "value") else str(name))
    for d, name in workdays.items():
        if d.weekday() >= 5:
            days[d] = (True, str(name.value[0]) if hasattr(name, "value") else str(name))
    return WorkCalendar.of(days, package_years())


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


class FixedLineBuilder:
    def __init__(
        self,
        conn: Connection,
        ref: Reference,
        seed: int,
        today: date,
        rules: BusinessRules | None = None,
    ) -> None:
        self._ref = ref
        self._rules = rules or BusinessRules()
        self._rng = random.Random(f"{seed}:fixed")
        self._today = today
        self._anchor = datetime.combine(today, dtime(7, 30), HALL_TZ).astimezone(UTC)
        self._calendar = package_calendar()
        self._products: dict[uuid.UUID, Product] = {
            p.id: p for ps in ref.products.values() for p in ps
        }
        self._bundle_fee = {b.id: b.monthly_fen for b in ref.bundles}
        self._equipment = {p.code: p for p in ref.products[ProductKind.EQUIPMENT]}
        fixed_type = ref.service_types["fixed"].id
        self._counters = [c for c in ref.counters if fixed_type in {t.id for t in c.service_types}]
        self._counter_code = {c.id: c.code for c in ref.counters}
        self._staff = [s for s in ref.staff if s.role in (Role.CLERK, Role.SUPERVISOR)]
        self._order_seq: dict[tuple[date, str], int] = {}
        self._account_seq: dict[tuple[date, str], int] = {}
        self._serials = 0
        self._slots: dict[tuple[uuid.UUID, str, date, str], _Slot] = {}
        self._landlines_used: set[str] = set()
        self._landline_seq = 0
        self._pending_counter: dict[uuid.UUID, uuid.UUID] = {}
        self._w_sub = BulkWriter(conn, Subscription, SUBSCRIPTION_COLUMNS)
        self._w_order = BulkWriter(conn, Order, ORDER_COLUMNS)
        self._w_line = BulkWriter(conn, OrderLine, LINE_COLUMNS)
        self._w_pay = BulkWriter(conn, Payment, PAYMENT_COLUMNS)
        self._w_wo = BulkWriter(conn, WorkOrder, WORK_ORDER_COLUMNS)
        self._w_eq = BulkWriter(conn, Equipment, EQUIPMENT_COLUMNS)
        self._w_ll = BulkWriter(conn, LandlineNumber, LANDLINE_COLUMNS)
        self._w_slot = BulkWriter(conn, InstallSlot, SLOT_COLUMNS)
        self._w_demand = BulkWriter(conn, DemandRegistration, DEMAND_COLUMNS)
        self._rows: dict[BulkWriter, list[tuple[Any, ...]]] = {}
        # Work orders holding a slot wait until the slots are written (at the end).
        self._slotted: list[tuple[Any, ...]] = []

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def _add(self, writer: BulkWriter, row: tuple[Any, ...]) -> None:
        self._rows.setdefault(writer, []).append(row)

    def flush(self) -> None:
        """Parents before children: subscriptions, orders, their lines and payments, work
        orders, equipment, landline numbers."""
        for writer in (
            self._w_sub,
            self._w_order,
            self._w_line,
            self._w_pay,
            self._w_wo,
            self._w_eq,
            self._w_ll,
            self._w_demand,
        ):
            writer.write(self._rows.pop(writer, []))
        assert not self._rows

    # -- numbering -------------------------------------------------------------------------------
    def order_no(self, day: date, counter_code: str) -> str:
        """SL, the business day, the window's code and that window's sequence of the day (the
        format of hall_app.services.pipeline.order_no)."""
        key = (day, counter_code)
        seq = self._order_seq[key] = self._order_seq.get(key, 0) + 1
        return f"SL{day:%Y%m%d}{counter_code}{seq:04d}"

    def account(self, day: date, counter_code: str) -> str:
        key = (day, counter_code)
        seq = self._account_seq[key] = self._account_seq.get(key, 0) + 1
        return self._rules.broadband_account_format.format(
            area_code=self._rules.landline_area_code, day=day, counter=counter_code, seq=seq
        )

    def _serial(self, product_code: str) -> str:
        """A serial no other call returns: GPON serials are the vendor's 4 letters and 8 hex
        digits (a bijective scramble of a counter); routers a Huawei-style 20-character SN."""
        self._serials += 1
        n = (self._serials * 2_654_435_761) % 2**32  # odd multiplier: a bijection mod 2**32
        if product_code == "ONU_ZTE":
            return f"ZTEG{n:08X}"
        if product_code == "ONU_HW":
            return f"HWTC{n:08X}"
        return f"2102353GSN{self._today:%y}{n % 10**8:08d}"

    # -- the customers' broadband and landlines ------------------------------------------------
    def number_accounts(self, specs: Sequence[FixedSpec], subs: list[tuple[Any, ...]]) -> None:
        """Give the chunk's broadband their account numbers (per day and counter across
        chunks), in the rows before they are written. The counter is drawn here too."""
        for spec in specs:
            counter = self._counters[self._rng.randrange(len(self._counters))]
            self._pending_counter[spec.subscription_id] = counter.id
            if spec.kind is SubscriptionKind.BROADBAND:
                day = spec.ordered_at.astimezone(HALL_TZ).date()
                row = list(subs[spec.row])
                row[SERVICE_NUMBER_COL] = self.account(day, counter.code)
                subs[spec.row] = tuple(row)

    def past_installs(self, specs: Sequence[FixedSpec], subs: list[tuple[Any, ...]]) -> None:
        """The install orders, work orders and equipment of a written chunk's subscriptions."""
        for spec in specs:
            counter_id = self._pending_counter.pop(spec.subscription_id)
            number = subs[spec.row][SERVICE_NUMBER_COL]
            self._installed(spec, counter_id, number, bundle_id=spec.bundle_id, payment=False)
        self.flush()

    def _installed(
        self,
        spec: FixedSpec,
        counter_id: uuid.UUID,
        number: str,
        bundle_id: uuid.UUID | None,
        payment: bool,
        *,
        order_id: uuid.UUID | None = None,
        order_no: str | None = None,
        staff_id: uuid.UUID | None = None,
    ) -> None:
        """An install that happened: the order (unless the history wrote it), the installed
        work order (late when past the promised date, with its credit), the equipment, the
        landline number assigned in the pool."""
        rng = self._rng
        plan = self._products[spec.product_id]
        staff_id = staff_id or self._staff[rng.randrange(len(self._staff))].id
        equipment = self._equipment_for(spec, plan)
        if order_id is None or order_no is None:
            order_id, order_no = self._order(
                spec, plan, counter_id, staff_id, equipment, bundle_id, payment
            )
        installed = spec.installed_at
        promised = add_working_days(
            self._calendar,
            spec.ordered_at.astimezone(HALL_TZ).date(),
            self._promise_days(spec.technology),
        )
        fee = plan.one_time_fee_fen
        day = installed.astimezone(HALL_TZ).date()
        credit = late_install_credit_fen(fee, promised.day, day)
        start, end = self._window_of(installed)
        team_id = self._team(spec.community)
        self._work_order(
            spec,
            order_id,
            order_no,
            None,
            team_id,
            start,
            end,
            promised.day,
            promised.provisional,
            fee,
            WorkOrderStatus.INSTALLED,
            "",
            dispatched=start - timedelta(hours=16),
            installed=installed,
            late_days=max((day - promised.day).days, 0),
            credit=credit,
        )
        self._lend(equipment, spec, order_id)
        if spec.kind is SubscriptionKind.LANDLINE:
            self._assigned_landline(number, spec.ordered_at)

    def _promise_days(self, technology: str) -> int:
        r = self._rules
        return r.install_promise_fttb_days if technology == "FTTB" else r.install_promise_ftth_days

    def _window_of(self, moment: datetime) -> tuple[datetime, datetime]:
        local = moment.astimezone(HALL_TZ)
        windows = self._windows(local.date())
        for start, end in windows:
            if local < end:
                return start.astimezone(UTC), end.astimezone(UTC)
        start, end = windows[-1]
        return start.astimezone(UTC), end.astimezone(UTC)

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        out = []
        for _, _, begin, finish in self._rules.install_windows:
            h1, m1 = map(int, begin.split(":"))
            h2, m2 = map(int, finish.split(":"))
            out.append(
                (
                    datetime.combine(day, dtime(h1, m1), HALL_TZ),
                    datetime.combine(day, dtime(h2, m2), HALL_TZ),
                )
            )
        return out

    def _team(self, community: str) -> uuid.UUID | None:
        teams = self._ref.team_areas.get(community)
        if not teams:
            return None
        return teams[self._rng.randrange(len(teams))][0]

    def _equipment_for(self, spec: FixedSpec, plan: Product) -> list[tuple[Product, EquipmentMode]]:
        """A modem with every broadband, a Wi-Fi router with some (most gigabit ones): free
        under a contract, else against a deposit; now and then bought."""
        if spec.kind is not SubscriptionKind.BROADBAND:
            return []
        rng = self._rng
        contract = plan.lock_in_months > 0

        def mode() -> EquipmentMode:
            r = rng.random()
            if r < 0.1:
                return EquipmentMode.BOUGHT
            return EquipmentMode.FREE if contract and r < 0.75 else EquipmentMode.DEPOSIT

        modem = self._equipment["ONU_ZTE" if rng.random() < 0.55 else "ONU_HW"]
        chosen = [(modem, mode())]
        if rng.random() < (0.7 if (plan.bandwidth_mbps or 0) >= 1000 else 0.3):
            chosen.append((self._equipment["RT_AX3"], mode()))
        return chosen

    def _lines(
        self,
        spec: FixedSpec,
        plan: Product,
        equipment: list[tuple[Product, EquipmentMode]],
        bundle_id: uuid.UUID | None,
    ) -> list[tuple[str, uuid.UUID | None, int, str | None]]:
        """(description, product id, amount, vat code or None for a deposit)."""
        broadband = spec.kind is SubscriptionKind.BROADBAND
        monthly = self._bundle_fee.get(bundle_id, plan.price_fen) if bundle_id else plan.price_fen
        lines: list[tuple[str, uuid.UUID | None, int, str | None]] = [
            ("宽带安装调测费" if broadband else "固话安装费", None, plan.one_time_fee_fen, "basic"),
            (f"{plan.name} 首月", plan.id, monthly, "basic"),
        ]
        for product, how in equipment:
            if how is EquipmentMode.BOUGHT:
                vat = "router" if product.code.startswith("RT") else "equipment"
                lines.append((product.name, product.id, product.price_fen, vat))
            elif how is EquipmentMode.DEPOSIT:
                lines.append(
                    (f"{product.name} 押金（可退）", product.id, product.deposit_fen, None)
                )
        return lines

    def _order(
        self,
        spec: FixedSpec,
        plan: Product,
        counter_id: uuid.UUID,
        staff_id: uuid.UUID,
        equipment: list[tuple[Product, EquipmentMode]],
        bundle_id: uuid.UUID | None,
        payment: bool,
    ) -> tuple[uuid.UUID, str]:
        ref = self._ref
        oid = self.uid()
        at = spec.ordered_at
        day = at.astimezone(HALL_TZ).date()
        order_no = self.order_no(day, self._counter_code[counter_id])
        lines = self._lines(spec, plan, equipment, bundle_id)
        total = sum(amount for _, _, amount, _ in lines)
        kind = (
            OrderType.BROADBAND_INSTALL
            if spec.kind is SubscriptionKind.BROADBAND
            else OrderType.LANDLINE_INSTALL
        )
        self._add(
            self._w_order,
            (
                oid,
                at,
                at,
                order_no,
                kind,
                OrderState.COMPLETED,
                ref.hall.id,
                counter_id,
                staff_id,
                spec.customer_id,
                None,
                spec.subscription_id,
                total,
                "",
                at,
                at,
                "",
            ),
        )
        for description, product_id, amount, vat_code in lines:
            vat = ref.vat[vat_code] if vat_code else None
            self._add(
                self._w_line,
                (
                    self.uid(),
                    at,
                    at,
                    oid,
                    product_id,
                    description,
                    1,
                    amount,
                    amount,
                    vat.id if vat else None,
                    vat.rate if vat else None,
                    vat is not None,
                ),
            )
        if payment:
            self._add(
                self._w_pay,
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
                    f"{self._rng.randrange(10**12):012d}",
                    at,
                ),
            )
        return oid, order_no

    def _work_order(
        self,
        spec: FixedSpec,
        order_id: uuid.UUID,
        order_no: str,
        slot_id: uuid.UUID | None,
        team_id: uuid.UUID | None,
        start: datetime,
        end: datetime,
        promised: date,
        provisional: bool,
        fee: int,
        status: WorkOrderStatus,
        reason: str,
        *,
        dispatched: datetime | None = None,
        installed: datetime | None = None,
        failed: datetime | None = None,
        late_days: int = 0,
        credit: int = 0,
        reschedules: int = 0,
    ) -> None:
        broadband = spec.kind is SubscriptionKind.BROADBAND
        updated = installed or failed or dispatched or spec.ordered_at
        row = (
            self.uid(),
            spec.ordered_at,
            max(updated, spec.ordered_at),
            WORK_ORDER_PREFIX + order_no[2:],
            WorkOrderKind.INSTALL,
            order_id,
            self._ref.hall.id,
            spec.customer_id,
            spec.subscription_id if broadband else None,
            None if broadband else spec.subscription_id,
            spec.address,
            spec.community,
            spec.technology,
            spec.contact_name,
            spec.contact_phone,
            slot_id,
            team_id,
            start,
            end,
            promised,
            provisional,
            fee,
            status,
            reason,
            reschedules,
            dispatched,
            installed,
            failed,
            late_days,
            credit,
        )
        if slot_id is None:
            self._add(self._w_wo, row)
        else:
            self._slotted.append(row)

    def _lend(
        self,
        equipment: list[tuple[Product, EquipmentMode]],
        spec: FixedSpec,
        order_id: uuid.UUID,
    ) -> None:
        for product, how in equipment:
            if how is EquipmentMode.BOUGHT:
                status = EquipmentStatus.SOLD
            elif spec.status is SubscriptionStatus.CANCELLED:
                status = EquipmentStatus.RETURNED
            else:
                status = EquipmentStatus.LENT
            deposit = product.deposit_fen if how is EquipmentMode.DEPOSIT else 0
            if status is EquipmentStatus.RETURNED:
                deposit = 0  # refunded when it came back
            self._add(
                self._w_eq,
                (
                    self.uid(),
                    spec.ordered_at,
                    spec.installed_at,
                    product.id,
                    self._serial(product.code),
                    status,
                    self._ref.hall.id,
                    order_id,
                    spec.subscription_id,
                    how,
                    deposit,
                ),
            )

    def _assigned_landline(self, number: str, at: datetime) -> None:
        self._landlines_used.add(number)
        self._add(
            self._w_ll,
            (
                self.uid(),
                at,
                at,
                number,
                number[:4],
                NumberStatus.ASSIGNED,
                self._tier_id(number),
                self._ref.hall.id,
                None,
            ),
        )

    def _tier_id(self, number: str) -> uuid.UUID | None:
        match = pretty_pattern(number[-11:])
        tier = self._ref.tiers.get(match.code) if match else None
        return tier.id if tier else None

    # -- the history's installs ---------------------------------------------------------------
    def counter_code(self, counter_id: uuid.UUID) -> str:
        return self._counter_code[counter_id]

    def place(
        self,
        customer: SampleCustomer,
        kind: SubscriptionKind,
        plan: Product,
        day: date,
        counter_code: str,
    ) -> Placement:
        """The install address (the customer's when it names a covered community fast
        enough for the plan, else one in a covered one) and the new account or number."""
        rng = self._rng
        coverage = self._ref.coverage
        speed = plan.bandwidth_mbps or 0
        community = next((c for c in coverage if c in customer.address), "")
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
                self._counters[0].id,
                placement.number,
                None,
                False,
                order_id=order_id,
                order_no=order_no,
                staff_id=staff_id,
            )
            return
        plan = self._products[product_id]
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
        counter = self._counters[self._rng.randrange(len(self._counters))]
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
        order_no: str,
        plan: Product,
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
    def recent(self, samples: Sequence[SampleCustomer], phones: Sequence[str]) -> int:
        """Recent broadband installs of sample customers (a fixed number, whatever the build's
        size), each a new subscription with its paid order and work order. ``phones``: a
        contact phone per sample. Returns the number of work orders."""
        rng = self._rng
        today = self._today
        picks = list(range(len(samples)))
        rng.shuffle(picks)
        plans = [self._ref.product(c) for c in ("BB300", "BB500", "BB1000", "BB500")]
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
            plan = (
                self._ref.products[ProductKind.LANDLINE_PLAN][0]
                if landline
                else plans[rng.randrange(len(plans))]
            )
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
            counter = self._counters[rng.randrange(len(self._counters))]
            day = ordered.date()
            community = next((c for c in ftth if c in customer.address), None)
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
            staff_id = self._staff[rng.randrange(len(self._staff))].id
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

    def _new_subscription(self, spec: FixedSpec, plan: Product, number: str, credit: int) -> None:
        installed = spec.installed_at if spec.status is SubscriptionStatus.ACTIVE else None
        lock = (
            (installed + timedelta(days=30 * plan.lock_in_months)).date()
            if installed and plan.lock_in_months
            else None
        )
        self._add(
            self._w_sub,
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
            product = self._equipment[code]
            for _ in range(count):
                status = (
                    EquipmentStatus.IN_STOCK if rng.random() < 0.97 else EquipmentStatus.DEFECTIVE
                )
                self._add(
                    self._w_eq,
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
                self._w_ll,
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
                self._w_demand,
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
        self._w_wo.write(self._slotted)
        self._slotted = []
        self.flush()

    @property
    def work_orders(self) -> int:
        return self._w_wo.count

    @property
    def orders(self) -> int:
        """Install orders written here (the history's own are counted by the history)."""
        return self._w_order.count

    @property
    def subscriptions(self) -> int:
        """The recent installs' subscriptions (the customers' and history's are theirs)."""
        return self._w_sub.count
