"""Broadband and landline at the counter: a new install (宽带/固话新装, either or both in one
visit, sharing one appointment) and relocation (移机), as order types on the order pipeline.

A new install claims, at the central database, a place in the chosen install slot, the landline
number and the modems and routers (offline: only what is leased to this counter), then, in the
order's one transaction, takes them locally, re-checks coverage, prices the plans, fees and
equipment, and fulfils the order with PENDING subscriptions (they become active when the work
order is reported installed), the equipment handed out, and the install work order. A slot
that filled while the customer hesitated refuses the whole order (``SlotFull``): nothing is
saved and no money taken.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date, local
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, FixedClaim, Offline, free_to, leased_here
from hall_app.db.engine import Database
from hall_app.db.models import (
    Counter,
    CoverageArea,
    Customer,
    DemandRegistration,
    Equipment,
    FusionBundle,
    InstallSlot,
    LandlineNumber,
    Order,
    PrettyTier,
    Product,
    Promotion,
    Staff,
    Subscription,
    VatCategory,
    WorkOrder,
)
from hall_app.db.text_limits import check_text
from hall_app.domain.enums import (
    BalanceMovementKind,
    DemandStatus,
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    OrderType,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_address, mask_phone
from hall_app.domain.payments import PaymentInput, SettledPayment, settle
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import (
    FixedPlan,
    Gear,
    Item,
    Offer,
    Pricing,
    Tier,
    VatClass,
    add_months,
    plan_offer,
    price_fixed_install,
    price_relocation,
    promotion_last_day,
)
from hall_app.domain.terms import FixedTermsPlan, fixed_install_terms, relocation_terms
from hall_app.domain.workdays import DateAnswer
from hall_app.domain.workorders import OPEN
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.balances import record_movement
from hall_app.services.calendar import CalendarService
from hall_app.services.catalog import offer_of
from hall_app.services.coverage import ADDRESS_FIELD, CoverageService, CoverageView, covered_in
from hall_app.services.installs import take_slot
from hall_app.services.invoicing import issue_invoice
from hall_app.services.numbers import (
    LANDLINE,
    NumberFilter,
    NumberService,
    NumberView,
    landline_display,
)
from hall_app.services.pipeline import (
    ORDER_LETTERS,
    Completed,
    LineView,
    OrderKind,
    OrderPipeline,
    Priced,
    Taken,
    Visit,
    line_views,
    require_signed,
    take_here,
    terms_clauses,
)
from hall_app.services.ports import CentralClaims, MirrorRows
from hall_app.services.sensitive_views import DEMANDS_VIEW

LANDLINES: Table = LandlineNumber.__table__  # type: ignore[assignment]
GEAR: Table = Equipment.__table__  # type: ignore[assignment]
SLOTS: Table = InstallSlot.__table__  # type: ignore[assignment]
SERIAL_FIELD = "设备序列号"
SLOT_FIELD = "预约时段"
CONTACT_FIELD = "联系人"
PHONE_FIELD = "联系电话"
# How a residential community is named in an address: an address naming none of them can not
# be checked for coverage (闽江花园, 鼓山新村, 榕城小区 …).
COMMUNITY_WORDS = re.compile(
    r"(花园|新村|小区|公寓|家园|苑|广场|山庄|大厦|公馆|社区|村|城|府|庭|园|里|坊|湾|居)"
)
DIVISIONS = re.compile(r"^.*?(省|自治区|市|区|县)(?!.*(省|市|区|县))")  # 福州市鼓楼区 …
SERIAL_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{5,31}")
PHONE_RE = re.compile(r"1\d{10}|0\d{9,11}")
WANTED = ("宽带", "固话", "宽带+固话")
WORK_ORDER_LETTERS = "GD"  # 工单: the order's number with GD for SL
GEAR_STATUS = {
    EquipmentMode.DEPOSIT: EquipmentStatus.LENT,
    EquipmentMode.FREE: EquipmentStatus.LENT,
    EquipmentMode.BOUGHT: EquipmentStatus.SOLD,
}
WEEKDAYS = "一二三四五六日"


# ---------------------------------------------------------------------------------------------
# What screens see and send


@dataclass(frozen=True)
class CoverageAnswer:
    address: str
    covered: bool
    community: str | None
    technology: str | None
    max_down_mbps: int
    landline: bool
    promised_date: date | None
    promised_provisional: bool


@dataclass(frozen=True)
class FixedPlanView:
    code: str
    name: str
    kind: SubscriptionKind
    speed_mbps: int | None
    monthly_fen: int
    contract_months: int
    install_fee_fen: int
    promotion: str | None
    promotion_monthly_fen: int | None


@dataclass(frozen=True)
class BundleView:
    code: str
    name: str
    mobile_subscription_id: uuid.UUID
    mobile_number_masked: str
    mobile_plan_name: str
    monthly_fen: int
    regular_monthly_fen: int


@dataclass(frozen=True)
class EquipmentProductView:
    code: str
    name: str
    kind_label: str
    price_fen: int
    deposit_fen: int


@dataclass(frozen=True)
class EquipmentView:
    serial: str
    product_code: str
    name: str
    kind_label: str
    price_fen: int
    deposit_fen: int


@dataclass(frozen=True)
class LandlineView:
    number: str
    display: str
    tier_name: str | None
    prepayment_fen: int


@dataclass(frozen=True)
class DemandRequest:
    address: str
    contact_name: str
    contact_phone: str
    wanted: str
    customer_id: uuid.UUID | None = None
    note: str = ""


@dataclass(frozen=True)
class DemandView:
    id: uuid.UUID
    created_at: datetime
    address: str
    contact_name: str
    contact_phone_masked: str
    wanted: str
    note: str
    status_label: str
    staff_name: str
    status: DemandStatus = DemandStatus.OPEN


@dataclass(frozen=True)
class EquipmentChoice:
    serial: str
    mode: EquipmentMode


@dataclass(frozen=True)
class FixedInstallRequest:
    customer_id: uuid.UUID
    address: str
    slot_id: uuid.UUID
    contact_name: str
    contact_phone: str
    payments: tuple[PaymentInput, ...]
    broadband_plan_code: str | None = None
    bundle_code: str | None = None
    bundled_with_id: uuid.UUID | None = None
    landline_plan_code: str | None = None
    landline_number: str | None = None
    equipment: tuple[EquipmentChoice, ...] = ()
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class RelocateRequest:
    subscription_id: uuid.UUID
    new_address: str
    slot_id: uuid.UUID
    contact_name: str
    contact_phone: str
    payments: tuple[PaymentInput, ...]
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None
    terms_text: str = ""


@dataclass(frozen=True)
class RelocatableView:
    subscription_id: uuid.UUID
    kind: SubscriptionKind
    service_number: str
    address: str
    community: str


@dataclass(frozen=True)
class FixedQuote:
    lines: tuple[LineView, ...]
    total_fen: int
    invoice_amount_fen: int
    tax_fen: int
    terms: str
    promised_date: date
    promised_provisional: bool
    deposit_fen: int
    window: str  # the appointment as the terms write it


@dataclass(frozen=True)
class FixedInstalled:
    order_id: uuid.UUID
    order_no: str
    work_order_id: uuid.UUID
    work_order_no: str
    broadband_account: str | None
    landline_number: str | None
    total_fen: int
    lines: tuple[LineView, ...]
    payments: tuple[SettledPayment, ...]
    invoice_no: str | None
    completed_at: datetime
    till_reopened: bool
    window_start: datetime
    window_end: datetime
    promised_date: date
    promised_provisional: bool


# ---------------------------------------------------------------------------------------------
# Pure helpers


def window_text(slot: InstallSlot, labels: dict[str, str]) -> str:
    """``2026-12-03（周四）上午 09:00–12:00``, in the hall's local time."""
    start, end = local(slot.starts_at), local(slot.ends_at)
    label = labels.get(slot.window, slot.window)
    return (
        f"{slot.day:%Y-%m-%d}（周{WEEKDAYS[slot.day.weekday()]}）{label} {start:%H:%M}–{end:%H:%M}"
    )


def community_in(session: Session, hall_id: uuid.UUID, address: str) -> CoverageArea | None:
    """The covered community the address names (``covered_in``'s first)."""
    found = covered_in(session, hall_id, address)
    return found[0] if found else None


def clean_address(address: str) -> str:
    text = " ".join(address.split())
    if len(text) < 4:
        raise ValidationError("请输入完整的装机地址（含小区名称）", ADDRESS_FIELD)
    check_text(WorkOrder.address, text)
    return text


def clean_contact(name: str, phone: str) -> tuple[str, str]:
    name, phone = name.strip(), "".join(phone.split()).replace("-", "")
    if not name:
        raise ValidationError("请填写上门联系人", CONTACT_FIELD)
    check_text(WorkOrder.contact_name, name)
    if not PHONE_RE.fullmatch(phone):
        raise ValidationError("联系电话应为 11 位手机号或带区号的固话号码", PHONE_FIELD)
    return name, phone


def clean_serial(scanned: str) -> str:
    serial = "".join(scanned.split()).upper()
    if not serial:
        raise ValidationError("请扫描或输入设备序列号", SERIAL_FIELD)
    if not SERIAL_RE.fullmatch(serial):
        raise ValidationError(
            f"设备序列号“{serial[:40]}”格式不对（6–32 位字母、数字或 -）", SERIAL_FIELD
        )
    return serial


def _item(session: Session, product: Product) -> Item:
    vat = session.get_one(VatCategory, product.vat_category_id)
    return Item(
        product.id,
        product.name,
        product.price_fen,
        VatClass(vat.id, vat.invoice_label, Decimal(vat.rate)),
        product.lock_in_months,
    )


def _product(session: Session, code: str, kind: ProductKind, field: str) -> Product:
    product = session.scalars(
        select(Product).where(Product.code == code, Product.kind == kind, Product.active)
    ).one_or_none()
    if product is None:
        raise ValidationError(f"没有在售的{kind.label}“{code}”", field)
    return product


def _offers(session: Session, product_ids: Sequence[uuid.UUID]) -> list[Offer]:
    return [
        offer_of(p)
        for p in session.scalars(select(Promotion).where(Promotion.product_id.in_(product_ids)))
    ]


def gear_kind(product: Product) -> str:
    return "光猫" if "光猫" in product.name or "ONU" in product.code.upper() else "路由器"


# ---------------------------------------------------------------------------------------------
# The catalog rows of an order, read the same way for the quote and for the order


@dataclass(frozen=True)
class FixedCatalog:
    coverage: CoverageArea
    broadband: Product | None
    bundle: FusionBundle | None
    bundled_with: Subscription | None
    bundled_plan: Product | None
    landline: Product | None
    gear: tuple[tuple[Equipment, Product, EquipmentMode], ...]
    slot: InstallSlot
    offers: tuple[Offer, ...]
    items: dict[uuid.UUID, Item]
    tier: PrettyTier | None = None  # the landline number's, when it is a pretty one

    def plans(self) -> list[FixedPlan]:
        out = []
        if self.broadband is not None:
            item = self.items[self.broadband.id]
            if self.bundle is not None:
                item = Item(
                    item.product_id,
                    item.name,
                    self.bundle.monthly_fen,
                    item.vat,
                    item.lock_in_months,
                )
            out.append(
                FixedPlan(
                    item,
                    self.broadband.one_time_fee_fen,
                    self.bundle.name if self.bundle else None,
                )
            )
        if self.landline is not None:
            out.append(FixedPlan(self.items[self.landline.id], self.landline.one_time_fee_fen))
        return out

    def gear_lines(self) -> list[Gear]:
        return [
            Gear(
                self.items[p.id],
                e.serial,
                mode.value,
                p.deposit_fen if mode is EquipmentMode.DEPOSIT else 0,
            )
            for e, p, mode in self.gear
        ]

    def price(self, on: date) -> Pricing:
        t = self.tier
        tier = Tier(t.name, t.prepayment_fen, t.min_monthly_fen, t.lock_in_months) if t else None
        return price_fixed_install(self.plans(), self.gear_lines(), self.offers, on, tier)

    @property
    def install_fee_fen(self) -> int:
        return sum(p.one_time_fee_fen for p in (self.broadband, self.landline) if p is not None)

    def terms(
        self,
        address: str,
        landline_number: str | None,
        pricing: Pricing,
        window: str,
        promised: DateAnswer,
    ) -> str:
        plans = []
        if self.broadband is not None:
            plans.append(
                FixedTermsPlan(
                    "broadband",
                    self.broadband.name,
                    self.bundle.monthly_fen if self.bundle else self.broadband.price_fen,
                    speed_mbps=self.broadband.bandwidth_mbps,
                    bundle_name=self.bundle.name if self.bundle else None,
                    regular_fen=self.broadband.price_fen,
                    mobile_number=self.bundled_with.service_number if self.bundled_with else "",
                    mobile_plan=self.bundled_plan.name if self.bundled_plan else "",
                )
            )
        if self.landline is not None:
            plans.append(
                FixedTermsPlan(
                    "landline",
                    self.landline.name,
                    self.landline.price_fen,
                    number=landline_display(landline_number or ""),
                    tier_name=self.tier.name if self.tier else None,
                )
            )
        return fixed_install_terms(
            address,
            self.coverage.technology,
            plans,
            self.gear_lines(),
            pricing,
            self.install_fee_fen,
            window,
            promised.day,
            promised.provisional,
            terms_clauses("fixed_line"),
        )


def _slot(
    session: Session,
    actor: Actor,
    slot_id: uuid.UUID,
    community: str,
    known: InstallSlot | None = None,
) -> InstallSlot:
    """The chosen slot (``known``: as read at the central database), checked against the
    address's community."""
    slot = known if known is not None else session.get(InstallSlot, slot_id)
    if slot is None or slot.hall_id != actor.hall_id:
        raise ValidationError("所选预约时段不存在，请重新选择", SLOT_FIELD)
    if slot.community != community:
        raise ValidationError(
            f"所选时段属于“{slot.community}”，与装机地址的小区“{community}”不符，请重新选择",
            SLOT_FIELD,
        )
    return slot


def fixed_catalog(
    session: Session,
    actor: Actor,
    req: FixedInstallRequest,
    address: str,
    today: date,
    gear: Sequence[Equipment] | None = None,
    slot: InstallSlot | None = None,
) -> FixedCatalog:
    """The coverage, plans, bundle, equipment and slot of a new install, checked against each
    other: the speed the address supports, a landline where it can have one, a bundle with one
    of the customer's own active mobile plans."""
    coverage = community_in(session, actor.hall_id, address)
    if coverage is None:
        raise ValidationError("该地址尚未覆盖宽带/固话，可为客户做预约登记", ADDRESS_FIELD)
    if req.broadband_plan_code is None and req.landline_plan_code is None:
        raise ValidationError("请选择宽带套餐或固话套餐", "套餐")
    broadband = (
        _product(session, req.broadband_plan_code, ProductKind.BROADBAND_PLAN, "宽带套餐")
        if req.broadband_plan_code
        else None
    )
    if broadband is not None and (broadband.bandwidth_mbps or 0) > coverage.max_down_mbps:
        raise ValidationError(
            f"“{coverage.community}”最高支持 {coverage.max_down_mbps}M，"
            f"不能办理 {broadband.bandwidth_mbps}M 的套餐",
            "宽带套餐",
        )
    landline = (
        _product(session, req.landline_plan_code, ProductKind.LANDLINE_PLAN, "固话套餐")
        if req.landline_plan_code
        else None
    )
    if landline is None and req.landline_number:
        raise ValidationError("选了固话号码，请同时选择固话套餐", "固话套餐")
    if landline is not None:
        if not coverage.landline:
            raise ValidationError(f"“{coverage.community}”暂不能安装固话", "固话套餐")
        if not req.landline_number:
            raise ValidationError("请为固话选择号码", "固话号码")
    bundle = bundled_with = bundled_plan = None
    if req.bundle_code:
        if broadband is None:
            raise ValidationError("融合套餐须同时办理宽带", "融合套餐")
        bundle, bundled_with, bundled_plan = _bundle(
            session, req.bundle_code, broadband, req.customer_id, req.bundled_with_id, today
        )
    if gear is None:
        gear = [_equipment(session, clean_serial(c.serial)) for c in req.equipment]
    modes = [c.mode for c in req.equipment]
    if len({e.serial for e in gear}) != len(gear):
        raise ValidationError("同一台设备扫描了两次", SERIAL_FIELD)
    products = {e.product_id: session.get_one(Product, e.product_id) for e in gear}
    for mode in modes:
        if mode is EquipmentMode.FREE and not (
            (broadband and broadband.lock_in_months) or (landline and landline.lock_in_months)
        ):
            raise ValidationError("只有带合约期的套餐才能免费借用设备", "设备提供方式")
    slot = _slot(session, actor, req.slot_id, coverage.community, slot)
    rows = [p for p in (broadband, landline, *products.values()) if p is not None]
    return FixedCatalog(
        coverage=coverage,
        broadband=broadband,
        bundle=bundle,
        bundled_with=bundled_with,
        bundled_plan=bundled_plan,
        landline=landline,
        gear=tuple((e, products[e.product_id], mode) for e, mode in zip(gear, modes, strict=True)),
        slot=slot,
        offers=tuple(_offers(session, [p.id for p in (broadband, landline) if p is not None])),
        items={p.id: _item(session, p) for p in rows},
        tier=session.scalar(
            select(PrettyTier)
            .join(LandlineNumber, LandlineNumber.pretty_tier_id == PrettyTier.id)
            .where(LandlineNumber.number == req.landline_number)
        )
        if landline is not None
        else None,
    )


def _bundle(
    session: Session,
    code: str,
    broadband: Product,
    customer_id: uuid.UUID,
    bundled_with_id: uuid.UUID | None,
    today: date,
) -> tuple[FusionBundle, Subscription, Product]:
    bundle = session.scalars(select(FusionBundle).where(FusionBundle.code == code)).one_or_none()
    if (
        bundle is None
        or not bundle.active
        or bundle.valid_from > today
        or (bundle.valid_to is not None and bundle.valid_to < today)
    ):
        raise ValidationError(f"融合套餐“{code}”不存在或已停售", "融合套餐")
    if bundle.broadband_product_id != broadband.id:
        raise ValidationError(f"融合套餐“{bundle.name}”不适用于“{broadband.name}”", "融合套餐")
    mobile = session.get(Subscription, bundled_with_id) if bundled_with_id else None
    if (
        mobile is None
        or mobile.customer_id != customer_id
        or mobile.kind is not SubscriptionKind.MOBILE
        or mobile.status is not SubscriptionStatus.ACTIVE
    ):
        raise ValidationError("融合套餐须绑定客户本人一个正常使用的移动号码", "融合套餐")
    taken = session.scalar(
        select(Subscription.service_number).where(
            Subscription.bundled_with_id == mobile.id,
            Subscription.status.in_([SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE]),
        )
    )
    if taken is not None:
        raise ValidationError(
            f"号码 {mask_phone(mobile.service_number)} 已与宽带 {taken} 组成融合套餐，"
            "一个号码只能融合一条宽带",
            "融合套餐",
        )
    if mobile.product_id != bundle.mobile_product_id:
        raise ValidationError(
            f"号码 {mask_phone(mobile.service_number)} 的套餐不属于融合套餐“{bundle.name}”",
            "融合套餐",
        )
    return bundle, mobile, session.get_one(Product, mobile.product_id)


def _equipment(session: Session, serial: str) -> Equipment:
    gear = session.scalars(select(Equipment).where(Equipment.serial == serial)).one_or_none()
    if gear is None:
        raise ValidationError(f"库存中没有序列号 {serial} 的设备，请核对或换一台", SERIAL_FIELD)
    if gear.status is not EquipmentStatus.IN_STOCK:
        raise ValidationError(f"设备 {serial} {gear.status.label}，不能再出借或出售", SERIAL_FIELD)
    return gear


def account_number(rules: BusinessRules, order_no: str, counter: Counter, day: date) -> str:
    """A new broadband account from the configured format; its sequence is the order's (the
    order number is unique per window and day, so is the account)."""
    seq = int(order_no[-4:])
    return rules.broadband_account_format.format(
        area_code=rules.landline_area_code, day=day, counter=counter.code, seq=seq
    )


def work_order_no(order_no: str) -> str:
    return WORK_ORDER_LETTERS + order_no[len(ORDER_LETTERS) :]


def add_work_order(
    session: Session,
    order: Order,
    kind: WorkOrderKind,
    subscriptions: tuple[Subscription | None, Subscription | None],  # broadband, landline
    address: str,
    coverage: CoverageArea,
    contact: tuple[str, str],
    slot: InstallSlot,
    promised: DateAnswer,
    fee_fen: int,
) -> WorkOrder:
    """The order's install work order, scheduled in its slot (numbered after the order)."""
    broadband, landline = subscriptions
    assert order.customer_id is not None
    work_order = WorkOrder(
        work_order_no=work_order_no(order.order_no),
        kind=kind,
        order_id=order.id,
        hall_id=order.hall_id,
        customer_id=order.customer_id,
        broadband_subscription_id=broadband.id if broadband else None,
        landline_subscription_id=landline.id if landline else None,
        address=address,
        community=coverage.community,
        technology=coverage.technology,
        contact_name=contact[0],
        contact_phone=contact[1],
        slot_id=slot.id,
        team_id=slot.team_id,
        window_start=slot.starts_at,
        window_end=slot.ends_at,
        promised_date=promised.day,
        promised_provisional=promised.provisional,
        installation_fee_fen=fee_fen,
        status=WorkOrderStatus.SCHEDULED,
    )
    session.add(work_order)
    session.flush()
    return work_order


def promised_for(promised: DateAnswer, slot: InstallSlot) -> DateAnswer:
    """The date promised: the rule's, or the appointment's if the customer chose a later day
    (a wait the customer chose is not a late installation)."""
    if slot.day > promised.day:
        return DateAnswer(slot.day, slot.provisional)
    return promised


# ---------------------------------------------------------------------------------------------
# The order types


@dataclass(frozen=True)
class FixedTaken:
    catalog: FixedCatalog
    address: str
    promised: DateAnswer
    window: str


@dataclass(frozen=True)
class FixedFulfilled:
    work_order: WorkOrder
    broadband: Subscription | None
    landline: Subscription | None


class _Appointment:
    """The parts of both order types that book a place in an install slot: centrally online,
    locally (offline, only a leased slot) otherwise."""

    _slot_id: uuid.UUID
    _rules: BusinessRules
    _booked_centrally = False
    _central_booked: int | None = None  # the slot's count at the central database, booked

    def _booked(self, rows: MirrorRows) -> MirrorRows:
        """Note the central claim and the slot's count it left."""
        self._booked_centrally = True
        self._central_booked = next(
            (int(r["booked"]) for t, r in rows if t.name == "install_slots"), None
        )
        return rows

    def _take_slot(self, session: Session, actor: Actor, now: datetime, offline: bool) -> None:
        if self._booked_centrally:
            # The central database gave the place: the counter's copy takes its count.
            session.execute(
                update(InstallSlot)
                .where(InstallSlot.id == self._slot_id)
                .values(
                    booked=InstallSlot.booked + 1
                    if self._central_booked is None
                    else self._central_booked,
                    updated_at=now,
                )
            )
        else:
            take_slot(
                session,
                self._slot_id,
                actor,
                now,
                offline,
                lead_hours=self._rules.install_lead_hours,
            )

    def _labels(self) -> dict[str, str]:
        return {code: label for code, label, _s, _e in self._rules.install_windows}


class FixedInstall(_Appointment, OrderKind[FixedTaken, FixedFulfilled]):
    action = "order.fixed_install"

    def __init__(
        self,
        req: FixedInstallRequest,
        address: str,
        contact: tuple[str, str],
        serials: tuple[str, ...],
        promised: DateAnswer,
        rules: BusinessRules,
    ) -> None:
        self._req = req
        self._address = address
        self._contact = contact
        self._serials = serials
        self._promised = promised
        self._rules = rules
        self._slot_id = req.slot_id
        # A landline alone is a landline order.
        self.order_type = (
            OrderType.BROADBAND_INSTALL if req.broadband_plan_code else OrderType.LANDLINE_INSTALL
        )

    def claims(self, central: CentralClaims, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        gear = [
            (s, GEAR_STATUS[c.mode])
            for s, c in zip(self._serials, self._req.equipment, strict=True)
        ]
        rows = central.claim_fixed_line(
            self._slot_id,
            self._req.landline_number,
            gear,
            counter_id,
            now,
            lead_hours=self._rules.install_lead_hours,
        )
        return self._booked(rows)

    def claimed(self, counter_id: uuid.UUID, stamp: datetime, now: datetime) -> FixedClaim:
        until = now + timedelta(minutes=self._rules.number_reservation_minutes)
        return FixedClaim(
            self._slot_id,
            self._req.landline_number,
            self._serials,
            counter_id,
            stamp,
            until,
            certain=self._booked_centrally,
        )

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[FixedTaken]:
        req = self._req
        customer = session.get(Customer, req.customer_id)
        if customer is None:
            raise NotFound("该客户不存在", "客户")
        if req.landline_number:
            take_here(
                session,
                update(LandlineNumber)
                .where(
                    LandlineNumber.number == req.landline_number,
                    LandlineNumber.status == NumberStatus.RESERVED,
                    LandlineNumber.reserved_by_counter_id == actor.counter_id,
                    LandlineNumber.reserved_until >= now,
                )
                .values(status=NumberStatus.ASSIGNED, reserved_until=None, updated_at=now)
                .returning(LandlineNumber.id),
                LANDLINES,
                actor,
                now,
                offline,
                (
                    f"固话号码 {landline_display(req.landline_number)} "
                    "的预占已过期或不属于本窗口，请重新选号",
                    "（离线时只能使用本窗口租用的号码）",
                    "固话号码",
                ),
            )
        gear = []
        for serial, choice in zip(self._serials, req.equipment, strict=True):
            take_here(
                session,
                update(Equipment)
                .where(Equipment.serial == serial, Equipment.status == EquipmentStatus.IN_STOCK)
                .values(
                    status=GEAR_STATUS[choice.mode],
                    taken_by_counter_id=actor.counter_id,
                    updated_at=now,
                )
                .returning(Equipment.id),
                GEAR,
                actor,
                now,
                offline,
                (
                    f"设备 {serial} 不在库存或已出借",
                    "（离线时只能使用本窗口租用的设备）",
                    SERIAL_FIELD,
                ),
            )
            gear.append(session.scalars(select(Equipment).where(Equipment.serial == serial)).one())
        self._take_slot(session, actor, now, offline)
        catalog = fixed_catalog(session, actor, req, self._address, business_date(now), gear)
        promised = promised_for(self._promised, catalog.slot)
        return Taken(
            customer,
            FixedTaken(catalog, self._address, promised, window_text(catalog.slot, self._labels())),
        )

    def lines(self, context: FixedTaken, today: date) -> Priced:
        pricing = context.catalog.price(today)
        terms = context.catalog.terms(
            context.address, self._req.landline_number, pricing, context.window, context.promised
        )
        return Priced(pricing, terms)

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: FixedTaken, pricing: Pricing
    ) -> FixedFulfilled:
        req, cat, now = self._req, context.catalog, order.completed_at
        assert now is not None
        today = business_date(now)
        counter = session.get_one(Counter, actor.require_counter("受理"))

        def subscription(product: Product, number: str, lock: int, **extra: object) -> Subscription:
            promotion = pricing.promotion_of(product.id)
            sub = Subscription(
                customer_id=req.customer_id,
                kind=SubscriptionKind.BROADBAND
                if product.kind is ProductKind.BROADBAND_PLAN
                else SubscriptionKind.LANDLINE,
                service_number=number,
                product_id=product.id,
                status=SubscriptionStatus.PENDING,  # active when installed
                address=context.address,
                community=cat.coverage.community,
                technology=cat.coverage.technology,
                hall_id=actor.hall_id,
                lock_in_until=add_months(today, lock) if lock else None,
                promotion_id=promotion.id if promotion else None,
                promotion_until=promotion_last_day(today, promotion.months) if promotion else None,
                **extra,
            )
            session.add(sub)
            return sub

        broadband = (
            subscription(
                cat.broadband,
                account_number(self._rules, order.order_no, counter, today),
                cat.broadband.lock_in_months,
                bundle_id=cat.bundle.id if cat.bundle else None,
                bundled_with_id=cat.bundled_with.id if cat.bundled_with else None,
            )
            if cat.broadband is not None
            else None
        )
        landline = (
            subscription(
                cat.landline,
                req.landline_number or "",
                max(cat.landline.lock_in_months, cat.tier.lock_in_months if cat.tier else 0),
                balance_fen=pricing.prepaid_fen,  # a pretty number's prepaid calls
            )
            if cat.landline is not None
            else None
        )
        session.flush()
        if landline is not None:
            record_movement(
                session,
                landline.id,
                BalanceMovementKind.OPENING,
                landline.balance_fen,
                at=now,
                order_id=order.id,
            )
        main = broadband or landline
        assert main is not None
        order.subscription_id = main.id
        for gear, product, mode in cat.gear:
            gear.order_id = order.id
            gear.subscription_id = main.id
            gear.mode = mode
            gear.deposit_fen = product.deposit_fen if mode is EquipmentMode.DEPOSIT else 0
        work_order = add_work_order(
            session,
            order,
            WorkOrderKind.INSTALL,
            (broadband, landline),
            context.address,
            cat.coverage,
            self._contact,
            cat.slot,
            context.promised,
            cat.install_fee_fen,
        )
        return FixedFulfilled(work_order, broadband, landline)

    def audit_after(self, context: FixedTaken) -> dict[str, object]:
        cat = context.catalog
        return {
            "address": mask_address(context.address),  # sealed on the work order
            "community": cat.coverage.community,
            "slot": str(cat.slot.id),
            "window": context.window,
            "promised_date": context.promised.day.isoformat(),
            "promised_provisional": context.promised.provisional,
            "landline_number": self._req.landline_number,
            "bundle": cat.bundle.code if cat.bundle else None,
            "equipment": [f"{e.serial}:{m.value}" for e, _p, m in cat.gear],
        }


@dataclass(frozen=True)
class RelocateTaken:
    subscription: Subscription
    plan: Item
    coverage: CoverageArea
    slot: InstallSlot
    address: str
    promised: DateAnswer
    window: str


class Relocate(_Appointment, OrderKind[RelocateTaken, FixedFulfilled]):
    order_type = OrderType.RELOCATE
    action = "order.relocate"

    def __init__(
        self,
        req: RelocateRequest,
        address: str,
        contact: tuple[str, str],
        promised: DateAnswer,
        rules: BusinessRules,
    ) -> None:
        self._req = req
        self._address = address
        self._contact = contact
        self._promised = promised
        self._rules = rules
        self._slot_id = req.slot_id

    def claims(self, central: CentralClaims, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        rows = central.claim_fixed_line(
            self._slot_id, None, (), counter_id, now, lead_hours=self._rules.install_lead_hours
        )
        return self._booked(rows)

    def claimed(self, counter_id: uuid.UUID, stamp: datetime, now: datetime) -> FixedClaim:
        return FixedClaim(
            self._slot_id, None, (), counter_id, stamp, now, certain=self._booked_centrally
        )

    def take(
        self, session: Session, actor: Actor, now: datetime, offline: bool
    ) -> Taken[RelocateTaken]:
        sub = relocatable_subscription(session, self._req.subscription_id)
        coverage = relocation_coverage(session, actor, sub, self._address)
        self._take_slot(session, actor, now, offline)
        slot = _slot(session, actor, self._slot_id, coverage.community)
        product = session.get_one(Product, sub.product_id)
        customer = session.get_one(Customer, sub.customer_id)
        promised = promised_for(self._promised, slot)
        return Taken(
            customer,
            RelocateTaken(
                sub,
                _item(session, product),
                coverage,
                slot,
                self._address,
                promised,
                window_text(slot, self._labels()),
            ),
        )

    def lines(self, context: RelocateTaken, today: date) -> Priced:
        pricing = price_relocation(context.plan, self._rules.relocation_fee_fen)
        return Priced(pricing, relocation_terms_of(context, self._rules))

    def fulfil(
        self,
        session: Session,
        actor: Actor,
        order: Order,
        context: RelocateTaken,
        pricing: Pricing,
    ) -> FixedFulfilled:
        sub = context.subscription
        order.subscription_id = sub.id
        broadband = sub.kind is SubscriptionKind.BROADBAND
        work_order = add_work_order(
            session,
            order,
            WorkOrderKind.RELOCATE,
            (sub, None) if broadband else (None, sub),
            context.address,
            context.coverage,
            self._contact,
            context.slot,
            context.promised,
            self._rules.relocation_fee_fen,
        )
        work_order.from_address = sub.address
        return FixedFulfilled(work_order, sub if broadband else None, None if broadband else sub)

    def audit_after(self, context: RelocateTaken) -> dict[str, object]:
        return {
            "subscription": context.subscription.service_number,
            "from_address": mask_address(context.subscription.address or ""),
            "to_address": mask_address(context.address),
            "window": context.window,
            "promised_date": context.promised.day.isoformat(),
        }


def relocation_terms_of(context: RelocateTaken, rules: BusinessRules) -> str:
    sub = context.subscription
    return relocation_terms(
        sub.kind.label,
        sub.service_number
        if sub.kind is SubscriptionKind.BROADBAND
        else landline_display(sub.service_number),
        sub.address,
        context.address,
        rules.relocation_fee_fen,
        context.window,
        context.promised.day,
        context.promised.provisional,
        terms_clauses("fixed_line"),
    )


def relocatable_subscription(session: Session, subscription_id: uuid.UUID) -> Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound("该业务不存在", "移机业务")
    if sub.kind not in (SubscriptionKind.BROADBAND, SubscriptionKind.LANDLINE):
        raise ValidationError("只有宽带和固话可以移机", "移机业务")
    if sub.status is not SubscriptionStatus.ACTIVE:
        raise ValidationError(f"该业务{sub.status.label}，不能移机", "移机业务")
    open_order = session.scalar(
        select(WorkOrder.work_order_no).where(
            (WorkOrder.broadband_subscription_id == sub.id)
            | (WorkOrder.landline_subscription_id == sub.id),
            WorkOrder.status.in_(OPEN),
        )
    )
    if open_order is not None:
        raise ValidationError(f"该业务已有未完成的工单 {open_order}，请先处理", "移机业务")
    return sub


def relocation_coverage(
    session: Session, actor: Actor, sub: Subscription, address: str
) -> CoverageArea:
    coverage = community_in(session, actor.hall_id, address)
    if coverage is None:
        raise ValidationError("新地址尚未覆盖，不能移机；可为客户做预约登记", ADDRESS_FIELD)
    if sub.kind is SubscriptionKind.LANDLINE and not coverage.landline:
        raise ValidationError(f"新地址“{coverage.community}”暂不能安装固话", ADDRESS_FIELD)
    speed = session.scalar(select(Product.bandwidth_mbps).where(Product.id == sub.product_id))
    if sub.kind is SubscriptionKind.BROADBAND and (speed or 0) > coverage.max_down_mbps:
        raise ValidationError(
            f"新地址“{coverage.community}”最高支持 {coverage.max_down_mbps}M，"
            f"当前套餐为 {speed}M，请先变更套餐",
            ADDRESS_FIELD,
        )
    return coverage


# ---------------------------------------------------------------------------------------------
# The service


class FixedLineService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        calendar: CalendarService,
        coverage: CoverageService,
        *,
        shared_segments: bool = True,
        link: CentralLink | None = None,
        central: CentralClaims | None = None,
    ) -> None:
        """``central``: the central database's claims (a fake in unit tests); by default the
        adapter over ``link`` when one is configured."""
        from hall_app.db.central_claims import LinkedCentral

        self._db = db
        self._rules = rules
        self._clock = clock
        self._calendar = calendar
        self._coverage = coverage
        self._link = link if link is not None and link.configured else None
        if central is None and self._link is not None:
            central = LinkedCentral(self._link)
        self._landlines = NumberService(db, rules, clock, link, pool=LANDLINE)
        self._pipeline = OrderPipeline(
            db,
            clock,
            central,
            lambda *step: issue_invoice(*step, shared=shared_segments),
        )

    # -- reads ---------------------------------------------------------------------------

    def coverage(self, actor: Actor, address: str) -> CoverageAnswer:
        """Can this address have broadband or a landline? Uncovered: ``covered`` is False (the
        clerk offers a 预约登记). An address naming no community is refused."""
        actor.require(Permission.ORDER_CREATE)
        text = clean_address(address)
        found: list[CoverageView] = self._coverage.lookup(actor, text)
        if not found:
            if not COMMUNITY_WORDS.search(DIVISIONS.sub("", text)):
                raise ValidationError(
                    "地址中没有小区名称，请写明小区（如：闽江花园 3 号楼 502）", ADDRESS_FIELD
                )
            return CoverageAnswer(text, False, None, None, 0, False, None, False)
        best = found[0]
        promised = self._calendar.promised_install_date(
            actor, business_date(self._clock()), best.technology
        )
        return CoverageAnswer(
            text,
            True,
            best.community,
            best.technology,
            best.max_down_mbps,
            best.landline,
            promised.day,
            promised.provisional,
        )

    def customer_address(self, actor: Actor, customer_id: uuid.UUID) -> str:
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as s:
            customer = s.get(Customer, customer_id)
            if customer is None:
                raise NotFound("该客户不存在", "客户")
            return customer.address

    def plans(
        self, actor: Actor, kind: SubscriptionKind, max_down_mbps: int | None = None
    ) -> list[FixedPlanView]:
        actor.require(Permission.ORDER_CREATE)
        product_kind = {
            SubscriptionKind.BROADBAND: ProductKind.BROADBAND_PLAN,
            SubscriptionKind.LANDLINE: ProductKind.LANDLINE_PLAN,
        }.get(kind)
        if product_kind is None:
            raise ValidationError("只有宽带和固话套餐", "套餐")
        today = business_date(self._clock())
        with self._db.read() as s:
            stmt = select(Product).where(Product.kind == product_kind, Product.active)
            if max_down_mbps is not None and kind is SubscriptionKind.BROADBAND:
                stmt = stmt.where(Product.bandwidth_mbps <= max_down_mbps)
            products = s.scalars(
                stmt.order_by(Product.bandwidth_mbps, Product.price_fen, Product.code)
            ).all()
            offers = _offers(s, [p.id for p in products])
            out = []
            for p in products:
                item = _item(s, p)
                offer = plan_offer(offers, item, today)
                out.append(
                    FixedPlanView(
                        p.code,
                        p.name,
                        kind,
                        p.bandwidth_mbps,
                        p.price_fen,
                        p.lock_in_months,
                        p.one_time_fee_fen,
                        offer.name if offer else None,
                        p.price_fen - min(offer.monthly_discount_fen, p.price_fen)
                        if offer
                        else None,
                    )
                )
            return out

    def bundles(
        self, actor: Actor, customer_id: uuid.UUID, broadband_code: str
    ) -> list[BundleView]:
        """The fusion bundles this broadband plan can join with one of the customer's active
        mobile subscriptions, one per bundle and subscription."""
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as s:
            broadband = _product(s, broadband_code, ProductKind.BROADBAND_PLAN, "宽带套餐")
            rows = s.execute(
                select(FusionBundle, Subscription, Product)
                .join(Subscription, Subscription.product_id == FusionBundle.mobile_product_id)
                .join(Product, Product.id == Subscription.product_id)
                .where(
                    FusionBundle.broadband_product_id == broadband.id,
                    FusionBundle.active,
                    FusionBundle.valid_from <= today,
                    (FusionBundle.valid_to.is_(None)) | (FusionBundle.valid_to >= today),
                    Subscription.customer_id == customer_id,
                    Subscription.kind == SubscriptionKind.MOBILE,
                    Subscription.status == SubscriptionStatus.ACTIVE,
                )
                .order_by(FusionBundle.monthly_fen, Subscription.service_number)
            ).all()
            return [
                BundleView(
                    b.code,
                    b.name,
                    sub.id,
                    mask_phone(sub.service_number),
                    plan.name,
                    b.monthly_fen,
                    broadband.price_fen,
                )
                for b, sub, plan in rows
            ]

    def equipment_products(self, actor: Actor) -> list[EquipmentProductView]:
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            return [
                EquipmentProductView(p.code, p.name, gear_kind(p), p.price_fen, p.deposit_fen)
                for p in s.scalars(
                    select(Product)
                    .where(Product.kind == ProductKind.EQUIPMENT, Product.active)
                    .order_by(Product.code)
                )
            ]

    def check_equipment(self, actor: Actor, scanned: str) -> EquipmentView:
        """A scanned modem or router serial: in the hall's stock and free. A synced counter
        asks the central database (the stock is shared); offline only its leased ones."""
        actor.require(Permission.ORDER_CREATE)
        serial = clean_serial(scanned)
        counter_id = actor.counter_id
        if self._link is not None and counter_id is not None:
            try:
                return self._link.run(lambda c: self._gear_view(c, serial, counter_id, True))
            except Offline:
                pass
        with self._db.read() as s:
            return self._gear_view(s, serial, counter_id, False)

    def _gear_view(
        self, session: Session, serial: str, counter_id: uuid.UUID | None, central: bool
    ) -> EquipmentView:
        gear = _equipment(session, serial)
        if self._link is not None and counter_id is not None:
            now = self._clock()
            stmt = select(Equipment.id).where(Equipment.id == gear.id)
            if central:
                free = session.scalar(stmt.where(free_to(GEAR, counter_id)))
                if free is None:
                    raise ValidationError(
                        f"设备 {serial} 已租给其他窗口离线使用，请换一台", SERIAL_FIELD
                    )
            elif session.scalar(stmt.where(leased_here(GEAR, counter_id, now))) is None:
                raise ValidationError(
                    f"离线时只能使用本窗口租用的设备，{serial} 不在其中", SERIAL_FIELD
                )
        product = session.get_one(Product, gear.product_id)
        return EquipmentView(
            gear.serial,
            product.code,
            product.name,
            gear_kind(product),
            product.price_fen,
            product.deposit_fen,
        )

    def landline_numbers(
        self, actor: Actor, pattern: str = "", limit: int = 24
    ) -> list[LandlineView]:
        found = self._landlines.find_numbers(actor, NumberFilter(contains=pattern))
        return [_landline_view(n) for n in found[:limit]]

    def reserve_landline(
        self, actor: Actor, number: str, *, replacing: str | None = None
    ) -> LandlineView:
        return _landline_view(
            self._landlines.reserve_number(actor, number, replacing=replacing).number
        )

    def release_landline(self, actor: Actor, number: str) -> None:
        self._landlines.release_number(actor, number)

    def relocatable(self, actor: Actor, customer_id: uuid.UUID) -> list[RelocatableView]:
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            return [
                RelocatableView(sub.id, sub.kind, sub.service_number, sub.address, sub.community)
                for sub in s.scalars(
                    select(Subscription)
                    .where(
                        Subscription.customer_id == customer_id,
                        Subscription.kind.in_(
                            [SubscriptionKind.BROADBAND, SubscriptionKind.LANDLINE]
                        ),
                        Subscription.status == SubscriptionStatus.ACTIVE,
                    )
                    .order_by(Subscription.kind, Subscription.service_number)
                )
            ]

    def check_relocatable(self, actor: Actor, subscription_id: uuid.UUID) -> None:
        """Can this subscription be relocated at all (active broadband or landline, no open
        work order)? A read for the relocation screen's first step: raises the same
        ValidationError (field 移机业务) that ``quote_relocation`` and ``relocate`` would."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as s:
            relocatable_subscription(s, subscription_id)

    def check_relocation(
        self, actor: Actor, subscription_id: uuid.UUID, new_address: str
    ) -> CoverageAnswer:
        """This subscription at this new address, before a slot is chosen: the coverage
        answer as ``coverage`` gives it (covered=False for an uncovered community, so the
        clerk can offer a 预约登记), refused with the checks ``quote_relocation`` and
        ``relocate`` apply (field 移机业务: not relocatable; field 装机地址: no landline there,
        or the plan's speed above the address's)."""
        answer = self.coverage(actor, new_address)
        if not answer.covered:
            return answer
        with self._db.read() as s:
            sub = relocatable_subscription(s, subscription_id)
            relocation_coverage(s, actor, sub, answer.address)
        return answer

    def demands(self, actor: Actor) -> list[DemandView]:
        """The hall's 预约登记, open ones first, newest first."""
        actor.require(Permission.REPORTS_VIEW)
        full = actor.can(Permission.VIEW_SENSITIVE)
        # With full numbers the read is audited in the same transaction (敏感信息查看记录).
        with self._db.unit_of_work() if full else self._db.read() as s:
            rows = s.execute(
                select(DemandRegistration, Staff.full_name)
                .join(Staff, Staff.id == DemandRegistration.staff_id)
                .where(DemandRegistration.hall_id == actor.hall_id)
                .order_by(
                    DemandRegistration.status != DemandStatus.OPEN,
                    DemandRegistration.created_at.desc(),
                )
                .limit(500)
            ).all()
            if full and rows:
                audit.record(
                    s,
                    at=self._clock(),
                    actor=actor,
                    action=DEMANDS_VIEW,
                    entity="demand_registration",
                    entity_id=None,
                    after={"shown": len(rows)},
                )
            return [
                DemandView(
                    d.id,
                    d.created_at,
                    d.address,
                    d.contact_name,
                    d.contact_phone if full else mask_phone(d.contact_phone),
                    d.wanted,
                    d.note,
                    d.status.label,
                    staff,
                    d.status,
                )
                for d, staff in rows
            ]

    def follow_up_demand(
        self, actor: Actor, demand_id: uuid.UUID, status: DemandStatus, note: str = ""
    ) -> DemandView:
        """The supervisor's follow-up of a 预约登记: the customer was told (已通知, e.g. the
        community is covered now) or the request is closed; a note may be added to it."""
        actor.require(Permission.REPORTS_VIEW)
        if status is DemandStatus.OPEN:
            raise ValidationError("跟进结果应为“已通知”或“已关闭”", "登记状态")
        extra = note.strip()
        now = self._clock()
        with self._db.unit_of_work() as s:
            row = s.get(DemandRegistration, demand_id)
            if row is None or row.hall_id != actor.hall_id:
                raise NotFound("该预约登记不存在", "预约登记")
            if row.status is DemandStatus.CLOSED:
                raise ValidationError("该预约登记已关闭", "登记状态")
            before = {"status": row.status.value, "note": row.note}
            if extra:
                combined = f"{row.note}；{extra}" if row.note else extra
                check_text(DemandRegistration.note, combined)
                row.note = combined
            row.status = status
            row.updated_at = now
            audit.record(
                s,
                at=now,
                actor=actor,
                action="demand.follow_up",
                entity="demand_registration",
                entity_id=row.id,
                before=before,
                after={"status": status.value, "note": row.note},
            )
            staff = s.get_one(Staff, row.staff_id).full_name
            if actor.can(Permission.VIEW_SENSITIVE):
                phone = row.contact_phone
                audit.record(
                    s,
                    at=now,
                    actor=actor,
                    action=DEMANDS_VIEW,
                    entity="demand_registration",
                    entity_id=row.id,
                    after={"shown": 1},
                )
            else:
                phone = mask_phone(row.contact_phone)
            return DemandView(
                row.id,
                row.created_at,
                row.address,
                row.contact_name,
                phone,
                row.wanted,
                row.note,
                row.status.label,
                staff,
                row.status,
            )

    def quote(self, actor: Actor, req: FixedInstallRequest) -> FixedQuote:
        """What the order costs today and the terms to sign, priced exactly as ``install``
        prices it (the same functions on the same rows)."""
        actor.require(Permission.ORDER_CREATE)
        address = clean_address(req.address)
        now = self._clock()
        gear, slot = self._shared_rows(actor, req)
        with self._db.read() as s:
            cat = fixed_catalog(s, actor, req, address, business_date(now), gear, slot)
            promised = promised_for(self._promised(actor, cat.coverage.technology), cat.slot)
            window = window_text(cat.slot, _labels(self._rules))
            pricing = cat.price(business_date(now))
            terms = cat.terms(address, req.landline_number, pricing, window, promised)
        return _quote(pricing, terms, promised, window)

    def _shared_rows(
        self, actor: Actor, req: FixedInstallRequest
    ) -> tuple[list[Equipment] | None, InstallSlot | None]:
        """A synced counter online: the devices and the slot as the central database has them
        (the hall's stock is there; a slot made since the last pull is not here yet). Offline,
        or alone: None, and the counter's own rows are read."""
        if self._link is None or actor.counter_id is None:
            return None, None
        serials = [clean_serial(c.serial) for c in req.equipment]

        def read(central: Session) -> tuple[list[Equipment], InstallSlot | None]:
            gear = []
            for serial in serials:
                row = (
                    central.execute(select(GEAR).where(GEAR.c.serial == serial)).mappings().first()
                )
                if row is None:
                    raise ValidationError(
                        f"库存中没有序列号 {serial} 的设备，请核对或换一台", SERIAL_FIELD
                    )
                device = Equipment(**dict(row))
                if device.status is not EquipmentStatus.IN_STOCK:
                    raise ValidationError(
                        f"设备 {serial} {device.status.label}，不能再出借或出售", SERIAL_FIELD
                    )
                gear.append(device)
            slot = (
                central.execute(select(SLOTS).where(SLOTS.c.id == req.slot_id)).mappings().first()
            )
            return gear, InstallSlot(**dict(slot)) if slot is not None else None

        try:
            return self._link.run(read)
        except Offline:
            return None, None

    def _check_before_claiming(self, actor: Actor, req: FixedInstallRequest) -> None:
        """What can be told before anything is claimed at the central database: the signature,
        the terms signed against today's, the payment against the total."""
        require_signed(req.terms_text, req.signature_png)
        quote = self.quote(actor, req)
        if req.terms_text != quote.terms:
            raise ValidationError("业务内容与客户签字确认的不一致，请客户重新确认签名", "客户确认")
        settle(quote.total_fen, list(req.payments))

    def _promised(self, actor: Actor, technology: str) -> DateAnswer:
        return self._calendar.promised_install_date(actor, business_date(self._clock()), technology)

    # -- writes --------------------------------------------------------------------------

    def install(self, actor: Actor, req: FixedInstallRequest) -> FixedInstalled:
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        address = clean_address(req.address)
        contact = clean_contact(req.contact_name, req.contact_phone)
        serials = tuple(clean_serial(c.serial) for c in req.equipment)
        self._check_before_claiming(actor, req)
        with self._db.read() as s:
            coverage = community_in(s, actor.hall_id, address)
            if coverage is None:
                raise ValidationError("该地址尚未覆盖宽带/固话，可为客户做预约登记", ADDRESS_FIELD)
            technology = coverage.technology
        kind = FixedInstall(
            req, address, contact, serials, self._promised(actor, technology), self._rules
        )
        done = self._pipeline.run(
            actor,
            kind,
            Visit(req.customer_id, req.payments, req.ticket_id, req.signature_png, req.terms_text),
        )
        f = done.fulfilled
        return _installed(done, f)

    def quote_relocation(self, actor: Actor, req: RelocateRequest) -> FixedQuote:
        actor.require(Permission.ORDER_CREATE)
        address = clean_address(req.new_address)
        with self._db.read() as s:
            sub = relocatable_subscription(s, req.subscription_id)
            coverage = relocation_coverage(s, actor, sub, address)
            slot = _slot(s, actor, req.slot_id, coverage.community)
            promised = promised_for(self._promised(actor, coverage.technology), slot)
            context = RelocateTaken(
                sub,
                _item(s, s.get_one(Product, sub.product_id)),
                coverage,
                slot,
                address,
                promised,
                window_text(slot, _labels(self._rules)),
            )
            pricing = price_relocation(context.plan, self._rules.relocation_fee_fen)
            terms = relocation_terms_of(context, self._rules)
        return _quote(pricing, terms, promised, context.window)

    def relocate(self, actor: Actor, req: RelocateRequest) -> FixedInstalled:
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        address = clean_address(req.new_address)
        contact = clean_contact(req.contact_name, req.contact_phone)
        require_signed(req.terms_text, req.signature_png)
        with self._db.read() as s:
            sub = relocatable_subscription(s, req.subscription_id)
            coverage = relocation_coverage(s, actor, sub, address)
            customer_id, technology = sub.customer_id, coverage.technology
        kind = Relocate(req, address, contact, self._promised(actor, technology), self._rules)
        done = self._pipeline.run(
            actor,
            kind,
            Visit(customer_id, req.payments, req.ticket_id, req.signature_png, req.terms_text),
        )
        return _installed(done, done.fulfilled)

    def register_demand(self, actor: Actor, req: DemandRequest) -> uuid.UUID:
        """A 预约登记 for an address not covered yet, for the supervisor's list."""
        actor.require(Permission.ORDER_CREATE)
        address = clean_address(req.address)
        name, phone = clean_contact(req.contact_name, req.contact_phone)
        if req.wanted not in WANTED:
            raise ValidationError(f"需求业务应为 {' / '.join(WANTED)}", "需求业务")
        note = req.note.strip()
        check_text(DemandRegistration.note, note)
        now = self._clock()
        with self._db.unit_of_work() as s:
            if req.customer_id is not None and s.get(Customer, req.customer_id) is None:
                raise NotFound("该客户不存在", "客户")
            row = DemandRegistration(
                hall_id=actor.hall_id,
                customer_id=req.customer_id,
                address=address,
                contact_name=name,
                contact_phone=phone,
                wanted=req.wanted,
                note=note,
                status=DemandStatus.OPEN,
                staff_id=actor.staff_id,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            audit.record(
                s,
                at=now,
                actor=actor,
                action="demand.register",
                entity="demand_registration",
                entity_id=row.id,
                after={
                    "address": mask_address(address),
                    "wanted": req.wanted,
                    "phone": mask_phone(phone),
                },
            )
            return row.id


def _labels(rules: BusinessRules) -> dict[str, str]:
    return {code: label for code, label, _s, _e in rules.install_windows}


def _quote(pricing: Pricing, terms: str, promised: DateAnswer, window: str) -> FixedQuote:
    return FixedQuote(
        lines=line_views(pricing),
        total_fen=pricing.total_fen,
        invoice_amount_fen=pricing.invoice_amount_fen,
        tax_fen=pricing.tax_fen,
        terms=terms,
        promised_date=promised.day,
        promised_provisional=promised.provisional,
        deposit_fen=pricing.deposit_fen,
        window=window,
    )


def _installed(done: Completed[FixedFulfilled], f: FixedFulfilled) -> FixedInstalled:
    wo = f.work_order
    return FixedInstalled(
        order_id=done.order_id,
        order_no=done.order_no,
        work_order_id=wo.id,
        work_order_no=wo.work_order_no,
        broadband_account=f.broadband.service_number if f.broadband else None,
        landline_number=f.landline.service_number if f.landline else None,
        total_fen=done.pricing.total_fen,
        lines=line_views(done.pricing),
        payments=done.payments,
        invoice_no=done.invoice.invoice_no if done.invoice else None,
        completed_at=done.completed_at,
        till_reopened=done.till_reopened,
        window_start=wo.window_start,
        window_end=wo.window_end,
        promised_date=wo.promised_date,
        promised_provisional=wo.promised_provisional,
    )


def _landline_view(n: NumberView) -> LandlineView:
    return LandlineView(
        n.number,
        n.display or landline_display(n.number),
        n.tier_name if n.tier_code else None,
        n.prepayment_fen,
    )


__all__ = [
    "BundleView",
    "CoverageAnswer",
    "DemandRequest",
    "DemandView",
    "EquipmentChoice",
    "EquipmentProductView",
    "EquipmentView",
    "FixedInstallRequest",
    "FixedInstalled",
    "FixedLineService",
    "FixedPlanView",
    "FixedQuote",
    "LandlineView",
    "RelocatableView",
    "RelocateRequest",
]
