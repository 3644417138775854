"""The rows of broadband and landline installs, shared by the chunk workers (the customers'
own broadband and landlines) and the parent (the history's and the recent installs): the
install order with its lines, the work order, the modems and routers lent, the landline number
assigned in the pool.

Plain values only (a ``FixedCatalog`` instead of ORM rows), so a worker process can run it.
Numbers that run across chunks (orders and broadband accounts per day and counter, and the
work orders named after their order) are ``Pending`` in a worker and given by the parent in
chunk order (``Numbers.resolve``), which keeps the build deterministic.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from hall_app.clock import HALL_TZ
from hall_app.config import BusinessRules
from hall_app.db.models import Equipment, LandlineNumber, Order, OrderLine, Payment, WorkOrder
from hall_app.db.models.base import Base
from hall_app.domain.enums import (
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from hall_app.domain.telecom import pretty_pattern
from hall_app.domain.workdays import WorkCalendar, add_working_days, late_install_credit_fen

WORK_ORDER_PREFIX = "GD"  # 工单: GD + the order number's day, counter and sequence


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
# The install rows by table, parents before children (foreign keys are enforced).
INSTALL_TABLES: dict[str, tuple[type[Base], tuple[str, ...]]] = {
    "orders": (Order, ORDER_COLUMNS),
    "order_lines": (OrderLine, LINE_COLUMNS),
    "payments": (Payment, PAYMENT_COLUMNS),
    "work_orders": (WorkOrder, WORK_ORDER_COLUMNS),
    "equipment": (Equipment, EQUIPMENT_COLUMNS),
    "landline_numbers": (LandlineNumber, LANDLINE_COLUMNS),
}
ORDER_NO_COL = ORDER_COLUMNS.index("order_no")
WORK_ORDER_NO_COL = WORK_ORDER_COLUMNS.index("work_order_no")


@cache
def package_calendar() -> WorkCalendar:
    """Working days of every year chinese-calendar knows (later years count Monday to Friday,
    provisional): the days the app's calendar table is seeded from."""
    from chinese_calendar.constants import holidays, workdays

    from hall_app.services.calendar import package_years

    def name(value: Any) -> str:
        return str(value.value[0]) if hasattr(value, "value") else str(value)

    days: dict[date, tuple[bool, str | None]] = {}
    for d, holiday in holidays.items():
        days[d] = (False, name(holiday))
    for d, holiday in workdays.items():
        if d.weekday() >= 5:
            days[d] = (True, name(holiday))
    return WorkCalendar.of(days, package_years())


@dataclass(frozen=True)
class ProductInfo:
    id: uuid.UUID
    code: str
    name: str
    price_fen: int
    one_time_fee_fen: int
    lock_in_months: int
    bandwidth_mbps: int | None
    deposit_fen: int


class VatInfo(NamedTuple):
    id: uuid.UUID
    rate: Decimal


class CounterInfo(NamedTuple):
    id: uuid.UUID
    code: str


@dataclass(frozen=True)
class FixedCatalog:
    """What the install rows need of the reference data, as plain values."""

    hall_id: uuid.UUID
    products: dict[uuid.UUID, ProductInfo]
    equipment: dict[str, ProductInfo]  # by code
    vat: dict[str, VatInfo]  # by code
    bundle_fee: dict[uuid.UUID, int]  # bundle id -> broadband monthly fee
    counters: tuple[CounterInfo, ...]  # the windows taking broadband and landline orders
    counter_code: dict[uuid.UUID, str]  # every window
    staff: tuple[uuid.UUID, ...]  # clerks and supervisors
    team_areas: dict[str, list[tuple[uuid.UUID, int]]]  # community -> (team, capacity)
    tiers: dict[str, uuid.UUID]  # pretty pattern -> tier id
    coverage: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class FixedSpec:
    """A broadband or landline subscription that was installed (or is waiting for it)."""

    row: int  # its index in the chunk's subscription rows (-1: not a chunk's)
    subscription_id: uuid.UUID
    customer_id: uuid.UUID
    kind: SubscriptionKind
    status: SubscriptionStatus
    product_id: uuid.UUID
    ordered_at: datetime
    installed_at: datetime
    address: str
    community: str
    technology: str
    contact_name: str
    contact_phone: str
    bundle_id: uuid.UUID | None = None


class Pending:
    """A number a worker leaves to the parent: an order's, an account's (per day and counter),
    or a work order's (named after its order)."""

    def __init__(
        self, kind: str, day: date | None, counter: str, order: Pending | None = None
    ) -> None:
        self.kind = kind
        self.day = day
        self.counter = counter
        self.order = order
        self.value = ""


Numbered = str | Pending


class Numbers:
    """Order and account numbers per business day and counter (the parent's)."""

    def __init__(self, rules: BusinessRules) -> None:
        self._rules = rules
        self._orders: dict[tuple[date, str], int] = {}
        self._accounts: dict[tuple[date, str], int] = {}

    def order_no(self, day: date, counter_code: str) -> Numbered:
        key = (day, counter_code)
        seq = self._orders[key] = self._orders.get(key, 0) + 1
        return f"SL{day:%Y%m%d}{counter_code}{seq:04d}"

    def account(self, day: date, counter_code: str) -> Numbered:
        key = (day, counter_code)
        seq = self._accounts[key] = self._accounts.get(key, 0) + 1
        return self._rules.broadband_account_format.format(
            area_code=self._rules.landline_area_code, day=day, counter=counter_code, seq=seq
        )

    def work_order_no(self, order_no: Numbered) -> Numbered:
        assert isinstance(order_no, str)
        return WORK_ORDER_PREFIX + order_no[2:]

    def resolve(self, value: Any) -> Any:
        """A worker's Pending number given now (in the order this is called), or the value."""
        if not isinstance(value, Pending):
            return value
        if not value.value:
            if value.kind == "wo":
                assert value.order is not None
                value.value = str(self.work_order_no(self.resolve(value.order)))
            else:
                assert value.day is not None
                number = (self.order_no if value.kind == "order" else self.account)(
                    value.day, value.counter
                )
                assert isinstance(number, str)
                value.value = number
        return value.value


class DeferredNumbers(Numbers):
    """A worker's: every number Pending, for the parent to give."""

    def __init__(self) -> None:
        super().__init__(BusinessRules())

    def order_no(self, day: date, counter_code: str) -> Numbered:
        return Pending("order", day, counter_code)

    def account(self, day: date, counter_code: str) -> Numbered:
        return Pending("account", day, counter_code)

    def work_order_no(self, order_no: Numbered) -> Numbered:
        if isinstance(order_no, Pending):
            return Pending("wo", None, "", order_no)
        return super().work_order_no(order_no)


class InstallRows:
    """Builds install rows into ``rows`` (table name -> row tuples)."""

    def __init__(
        self,
        catalog: FixedCatalog,
        rng: random.Random,
        today: date,
        numbers: Numbers,
        serial_space: int,
        rules: BusinessRules | None = None,
    ) -> None:
        self._cat = catalog
        self._rng = rng
        self._today = today
        self._numbers = numbers
        self._serial_space = serial_space
        self._serials = 0
        self._rules = rules or BusinessRules()
        self._calendar = package_calendar()
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        # Work orders holding a slot wait until the slots are written (the parent's).
        self._slotted: list[tuple[Any, ...]] = []

    def take_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        rows, self.rows = self.rows, {}
        return rows

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def _add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows.setdefault(table, []).append(row)

    def order_no(self, day: date, counter_code: str) -> Numbered:
        """SL, the business day, the window's code and that window's sequence of the day (the
        format of hall_app.services.pipeline.order_no)."""
        return self._numbers.order_no(day, counter_code)

    def account(self, day: date, counter_code: str) -> Numbered:
        return self._numbers.account(day, counter_code)

    def _serial(self, product_code: str) -> str:
        """A serial no other call (in any chunk) returns: GPON serials are the vendor's 4
        letters and 8 hex digits, routers a Huawei-style 20-character SN; both from a bijective
        scramble of this builder's serial space and counter."""
        self._serials += 1
        if self._serials >= 1 << 22:
            raise RuntimeError("serial space exhausted")
        n = (((self._serial_space << 22) + self._serials) * 2_654_435_761) % 2**32
        if product_code == "ONU_ZTE":
            return f"ZTEG{n:08X}"
        if product_code == "ONU_HW":
            return f"HWTC{n:08X}"
        return f"2102353GSN{n:010d}"

    def _installed(
        self,
        spec: FixedSpec,
        counter_id: uuid.UUID,
        number: Numbered,
        bundle_id: uuid.UUID | None,
        payment: bool,
        *,
        order_id: uuid.UUID | None = None,
        order_no: Numbered | None = None,
        staff_id: uuid.UUID | None = None,
    ) -> None:
        """An install that happened: the order (unless the history wrote it), the installed
        work order (late when past the promised date, with its credit), the equipment, the
        landline number assigned in the pool."""
        rng = self._rng
        plan = self._cat.products[spec.product_id]
        staff_id = staff_id or self._cat.staff[rng.randrange(len(self._cat.staff))]
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
            assert isinstance(number, str)  # landline numbers are drawn, not numbered
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
        teams = self._cat.team_areas.get(community)
        if not teams:
            return None
        return teams[self._rng.randrange(len(teams))][0]

    def _equipment_for(
        self, spec: FixedSpec, plan: ProductInfo
    ) -> list[tuple[ProductInfo, EquipmentMode]]:
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

        modem = self._cat.equipment["ONU_ZTE" if rng.random() < 0.55 else "ONU_HW"]
        chosen = [(modem, mode())]
        if rng.random() < (0.7 if (plan.bandwidth_mbps or 0) >= 1000 else 0.3):
            chosen.append((self._cat.equipment["RT_AX3"], mode()))
        return chosen

    def _lines(
        self,
        spec: FixedSpec,
        plan: ProductInfo,
        equipment: list[tuple[ProductInfo, EquipmentMode]],
        bundle_id: uuid.UUID | None,
    ) -> list[tuple[str, uuid.UUID | None, int, str | None]]:
        """(description, product id, amount, vat code or None for a deposit)."""
        broadband = spec.kind is SubscriptionKind.BROADBAND
        monthly = (
            self._cat.bundle_fee.get(bundle_id, plan.price_fen) if bundle_id else plan.price_fen
        )
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
        plan: ProductInfo,
        counter_id: uuid.UUID,
        staff_id: uuid.UUID,
        equipment: list[tuple[ProductInfo, EquipmentMode]],
        bundle_id: uuid.UUID | None,
        payment: bool,
    ) -> tuple[uuid.UUID, Numbered]:
        oid = self.uid()
        at = spec.ordered_at
        day = at.astimezone(HALL_TZ).date()
        order_no = self.order_no(day, self._cat.counter_code[counter_id])
        lines = self._lines(spec, plan, equipment, bundle_id)
        total = sum(amount for _, _, amount, _ in lines)
        kind = (
            OrderType.BROADBAND_INSTALL
            if spec.kind is SubscriptionKind.BROADBAND
            else OrderType.LANDLINE_INSTALL
        )
        self._add(
            "orders",
            (
                oid,
                at,
                at,
                order_no,
                kind,
                OrderState.COMPLETED,
                self._cat.hall_id,
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
            vat = self._cat.vat[vat_code] if vat_code else None
            self._add(
                "order_lines",
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
                    f"{self._rng.randrange(10**12):012d}",
                    at,
                ),
            )
        return oid, order_no

    def _work_order(
        self,
        spec: FixedSpec,
        order_id: uuid.UUID,
        order_no: Numbered,
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
            self._numbers.work_order_no(order_no),
            WorkOrderKind.INSTALL,
            order_id,
            self._cat.hall_id,
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
            self._add("work_orders", row)
        else:
            self._slotted.append(row)

    def _lend(
        self,
        equipment: list[tuple[ProductInfo, EquipmentMode]],
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
                "equipment",
                (
                    self.uid(),
                    spec.ordered_at,
                    spec.installed_at,
                    product.id,
                    self._serial(product.code),
                    status,
                    self._cat.hall_id,
                    order_id,
                    spec.subscription_id,
                    how,
                    deposit,
                ),
            )

    def _assigned_landline(self, number: str, at: datetime) -> None:
        self._add(
            "landline_numbers",
            (
                self.uid(),
                at,
                at,
                number,
                number[:4],
                NumberStatus.ASSIGNED,
                self._tier_id(number),
                self._cat.hall_id,
                None,
            ),
        )

    def _tier_id(self, number: str) -> uuid.UUID | None:
        match = pretty_pattern(number[-11:])
        return self._cat.tiers.get(match.code) if match else None
