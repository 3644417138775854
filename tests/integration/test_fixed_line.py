"""Broadband and landline in the service layer: a new install (with a fusion bundle, a lent
modem and a landline, one appointment), a landline alone, relocation, and the bad inputs —
each one transaction on the order pipeline, nothing half-saved."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.db.models import (
    AuditEntry,
    CoverageArea,
    Customer,
    DemandRegistration,
    Equipment,
    FusionBundle,
    InstallerTeam,
    InstallSlot,
    Invoice,
    LandlineNumber,
    Order,
    OrderLine,
    Payment,
    Product,
    Subscription,
    TeamArea,
    VatCategory,
    WorkOrder,
)
from hall_app.domain.enums import (
    DemandStatus,
    EquipmentMode,
    EquipmentStatus,
    NumberStatus,
    OrderType,
    PaymentMethod,
    ProductKind,
    SubscriptionKind,
    SubscriptionStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.domain.slots import SlotFull
from hall_app.services.actor import Actor
from hall_app.services.fixed_line import (
    DemandRequest,
    EquipmentChoice,
    FixedInstallRequest,
    RelocateRequest,
)
from hall_app.services.installs import ensure_slots
from tests.conftest import FakeClock

SERIALS = ("ZTEGT0000001", "ZTEGT0000002", "ZTEGT0000003")
LANDLINES = ("059187650001", "059187650002", "059187650003")
INSTALL_FEE = 10_000  # 100.00 per plan
SIGNED = b"\x89PNG signed on the customer screen"


@dataclass(frozen=True)
class Setup:
    community: str
    slow_community: str  # FTTB, 200M at most
    customer_id: uuid.UUID  # has an active mobile plan the bundle fits
    mobile_id: uuid.UUID
    bundle_code: str
    slots: list[uuid.UUID]  # the community's, earliest first


def _prepare(hall: HallApp, capacity: int = 2) -> Setup:
    """The catalog, stock, team and slots these tests need, on top of the demo database."""
    now = hall.clock()
    with hall.db.unit_of_work() as s:
        hall_id = s.scalars(select(CoverageArea.hall_id)).first()
        assert hall_id is not None
        fast = s.scalars(
            select(CoverageArea)
            .where(CoverageArea.technology == "FTTH")
            .order_by(CoverageArea.community)
        ).first()
        slow = s.scalars(
            select(CoverageArea)
            .where(CoverageArea.technology == "FTTB")
            .order_by(CoverageArea.community)
        ).first()
        assert fast is not None and slow is not None
        s.execute(
            update(Product)
            .where(Product.kind.in_([ProductKind.BROADBAND_PLAN, ProductKind.LANDLINE_PLAN]))
            .values(one_time_fee_fen=INSTALL_FEE)
        )
        goods = s.scalars(select(VatCategory).where(VatCategory.code == "equipment")).one()
        modem = Product(
            code="T-ONU",
            kind=ProductKind.EQUIPMENT,
            name="GPON 光猫",
            price_fen=29_900,
            deposit_fen=10_000,
            vat_category_id=goods.id,
        )
        s.add(modem)
        s.flush()
        for serial in SERIALS:
            s.add(
                Equipment(
                    product_id=modem.id,
                    serial=serial,
                    status=EquipmentStatus.IN_STOCK,
                    hall_id=hall_id,
                )
            )
        for number in LANDLINES:
            s.add(
                LandlineNumber(
                    number=number, area_code="0591", status=NumberStatus.AVAILABLE, hall_id=hall_id
                )
            )
        team = InstallerTeam(hall_id=hall_id, code="T-GL1", name="鼓楼装维一班")
        s.add(team)
        s.flush()
        for c in (fast.community, slow.community):
            s.add(TeamArea(team_id=team.id, community=c, capacity=capacity))
        s.flush()
        ensure_slots(s, hall_id, business_date(now), 10, hall.settings.rules, None, now)
        mobile = s.scalars(  # on a plan no demo bundle prices: T-FUSION is its only bundle
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
                Subscription.product_id.not_in(select(FusionBundle.mobile_product_id)),
            )
            .order_by(Subscription.service_number)
        ).first()
        assert mobile is not None
        bb500 = s.scalars(select(Product).where(Product.code == "BB500")).one()
        s.add(
            FusionBundle(
                code="T-FUSION",
                name="融合 500M",
                broadband_product_id=bb500.id,
                mobile_product_id=mobile.product_id,
                monthly_fen=5_000,
                valid_from=date(2026, 1, 1),
                valid_to=None,
            )
        )
        slots = list(
            s.scalars(
                select(InstallSlot.id)
                .where(InstallSlot.community == fast.community)
                .order_by(InstallSlot.starts_at)
            )
        )
        return Setup(
            fast.community, slow.community, mobile.customer_id, mobile.id, "T-FUSION", slots
        )


def _bookable(hall: HallApp, clerk: Actor, community: str) -> uuid.UUID:
    return hall.slots.free_slots(clerk, community)[0].slot_id


def _request(hall: HallApp, clerk: Actor, st: Setup, **changes: object) -> FixedInstallRequest:
    req = FixedInstallRequest(
        customer_id=st.customer_id,
        address=f"福州市鼓楼区{st.community}3号楼502",
        slot_id=_bookable(hall, clerk, st.community),
        contact_name="王先生",
        contact_phone="13912345678",
        payments=(),
        broadband_plan_code="BB500",
        bundle_code=st.bundle_code,
        bundled_with_id=st.mobile_id,
        equipment=(EquipmentChoice(SERIALS[0], EquipmentMode.DEPOSIT),),
    )
    return replace(req, **changes)  # type: ignore[arg-type]


def _paid(hall: HallApp, clerk: Actor, req: FixedInstallRequest) -> FixedInstallRequest:
    quote = hall.fixed_line.quote(clerk, req)
    cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen + 50)
    return replace(req, payments=(cash,), terms_text=quote.terms, signature_png=SIGNED)


def _counts(hall: HallApp) -> tuple[int, ...]:
    with hall.db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (Order, Payment, Invoice, Subscription, WorkOrder)
        )


@pytest.fixture
def st(hall: HallApp) -> Setup:
    return _prepare(hall)


def test_broadband_with_bundle_modem_and_landline_in_one_visit(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    hall.fixed_line.reserve_landline(clerk, LANDLINES[0])
    req = _paid(
        hall,
        clerk,
        _request(hall, clerk, st, landline_plan_code="LL20", landline_number=LANDLINES[0]),
    )
    quote = hall.fixed_line.quote(clerk, replace(req, payments=()))
    done = hall.fixed_line.install(clerk, req)
    # The bundle's price for the broadband, each plan's installation fee, the modem's deposit,
    # the landline's first month.
    with hall.db.read() as s:
        bb, ll = (
            s.scalars(select(Product).where(Product.code == c)).one() for c in ("BB500", "LL20")
        )
        names, landline_fen = (bb.name, ll.name), ll.price_fen
    assert [(line.description, line.amount_fen) for line in done.lines] == [
        (f"融合 500M（{names[0]}） 首月月租", 5_000),
        (f"{names[0]} 安装调测费", INSTALL_FEE),
        (f"{names[1]} 首月月租", landline_fen),
        (f"{names[1]} 安装调测费", INSTALL_FEE),
        (f"GPON 光猫 押金（{SERIALS[0]}）", 10_000),
    ]
    assert done.total_fen == quote.total_fen == 5_000 + landline_fen + 2 * INSTALL_FEE + 10_000
    assert done.landline_number == LANDLINES[0]
    assert done.broadband_account is not None and done.broadband_account.startswith("KD0591")
    assert done.work_order_no == "GD" + done.order_no[2:]
    with hall.db.read() as s:
        order = s.scalars(select(Order).where(Order.order_no == done.order_no)).one()
        assert order.order_type is OrderType.BROADBAND_INSTALL
        assert order.terms_text == quote.terms and "融合套餐“融合 500M”" in order.terms_text
        assert "押金借用，押金 ¥100.00" in order.terms_text
        wo = s.get_one(WorkOrder, done.work_order_id)
        assert (wo.status, wo.kind, wo.slot_id) == (
            WorkOrderStatus.SCHEDULED,
            WorkOrderKind.INSTALL,
            req.slot_id,
        )
        assert wo.installation_fee_fen == 2 * INSTALL_FEE
        assert wo.contact_phone == "13912345678" and wo.community == st.community
        broadband = s.get_one(Subscription, wo.broadband_subscription_id)
        landline = s.get_one(Subscription, wo.landline_subscription_id)
        assert broadband.status is SubscriptionStatus.PENDING is landline.status
        assert broadband.service_number == done.broadband_account
        assert (broadband.bundle_id is not None, broadband.bundled_with_id) == (True, st.mobile_id)
        assert broadband.technology == "FTTH" and broadband.community == st.community
        assert landline.service_number == LANDLINES[0]
        number = s.scalars(
            select(LandlineNumber).where(LandlineNumber.number == LANDLINES[0])
        ).one()
        assert number.status is NumberStatus.ASSIGNED
        gear = s.scalars(select(Equipment).where(Equipment.serial == SERIALS[0])).one()
        assert (gear.status, gear.mode, gear.deposit_fen, gear.subscription_id) == (
            EquipmentStatus.LENT,
            EquipmentMode.DEPOSIT,
            10_000,
            broadband.id,
        )
        slot = s.get_one(InstallSlot, req.slot_id)
        assert slot.booked == 1
        assert wo.window_start == slot.starts_at and wo.promised_date >= slot.day
        invoice = s.scalars(select(Invoice).where(Invoice.invoice_no == done.invoice_no)).one()
        assert invoice.total_fen == done.total_fen - 10_000  # the deposit is not invoiced
        deposit = s.scalars(
            select(OrderLine).where(
                OrderLine.order_id == order.id, OrderLine.description.startswith("GPON")
            )
        ).one()
        assert deposit.invoiceable is False
        assert s.scalar(select(func.count()).where(AuditEntry.action == "order.fixed_install")) == 1


def test_a_landline_alone_is_a_landline_order(hall: HallApp, clerk: Actor, st: Setup) -> None:
    hall.fixed_line.reserve_landline(clerk, LANDLINES[1])
    req = _paid(
        hall,
        clerk,
        _request(
            hall,
            clerk,
            st,
            broadband_plan_code=None,
            bundle_code=None,
            bundled_with_id=None,
            equipment=(),
            landline_plan_code="LL20",
            landline_number=LANDLINES[1],
        ),
    )
    done = hall.fixed_line.install(clerk, req)
    assert done.broadband_account is None and done.landline_number == LANDLINES[1]
    with hall.db.read() as s:
        order = s.scalars(select(Order).where(Order.order_no == done.order_no)).one()
        assert order.order_type is OrderType.LANDLINE_INSTALL
        assert "固定电话 0591-87650002" in order.terms_text


def test_a_slot_that_filled_takes_no_money_and_saves_nothing(hall: HallApp, clerk: Actor) -> None:
    st = _prepare(hall, capacity=1)
    first = _paid(hall, clerk, _request(hall, clerk, st))
    with hall.db.unit_of_work() as s:  # its last place
        s.execute(update(InstallSlot).where(InstallSlot.id == first.slot_id).values(capacity=1))
    hall.fixed_line.install(clerk, first)
    # The same slot again (the customer hesitated while another counter took the last place).
    second = _paid(
        hall,
        clerk,
        _request(
            hall,
            clerk,
            st,
            bundle_code=None,
            bundled_with_id=None,
            equipment=(EquipmentChoice(SERIALS[1], EquipmentMode.DEPOSIT),),
        ),
    )
    second = replace(second, slot_id=first.slot_id)
    before = _counts(hall)
    with pytest.raises(SlotFull) as err:
        hall.fixed_line.install(clerk, second)
    assert err.value.field == "预约时段"
    assert _counts(hall) == before
    with hall.db.read() as s:
        gear = s.scalars(select(Equipment).where(Equipment.serial == SERIALS[1])).one()
        assert gear.status is EquipmentStatus.IN_STOCK
        assert s.get_one(InstallSlot, first.slot_id).booked == 1
    # The next free ones leave the full slot out.
    assert first.slot_id not in {v.slot_id for v in hall.slots.free_slots(clerk, st.community)}


@pytest.mark.parametrize(
    ("serial", "message"),
    [("ZTEGT9999999", "库存中没有"), ("zte gt0000001", "已出借")],
)
def test_a_serial_not_in_stock_or_already_lent(
    hall: HallApp, clerk: Actor, st: Setup, serial: str, message: str
) -> None:
    hall.fixed_line.install(clerk, _paid(hall, clerk, _request(hall, clerk, st)))
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.check_equipment(clerk, serial)
    assert err.value.field == "设备序列号" and message in err.value.message
    before = _counts(hall)
    req = _request(hall, clerk, st, equipment=(EquipmentChoice(serial, EquipmentMode.DEPOSIT),))
    with pytest.raises(ValidationError):
        hall.fixed_line.install(clerk, replace(req, payments=()))
    assert _counts(hall) == before


def test_check_equipment_names_the_device(hall: HallApp, clerk: Actor, st: Setup) -> None:
    view = hall.fixed_line.check_equipment(clerk, f" {SERIALS[2].lower()} ")
    assert (view.serial, view.name, view.kind_label, view.deposit_fen) == (
        SERIALS[2],
        "GPON 光猫",
        "光猫",
        10_000,
    )


def test_coverage_answers_covered_uncovered_and_no_community(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    answer = hall.fixed_line.coverage(clerk, f"福州市鼓楼区{st.community}3号楼502")
    assert answer.covered and answer.community == st.community
    assert answer.technology == "FTTH" and answer.max_down_mbps == 1000
    assert answer.promised_date is not None and answer.promised_date > date(2026, 11, 24)
    uncovered = hall.fixed_line.coverage(clerk, "福州市晋安区未来之光花园1号楼")
    assert not uncovered.covered and uncovered.community is None
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.coverage(clerk, "福州市鼓楼区五四路 88 号")
    assert err.value.field == "装机地址" and "小区" in err.value.message
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.coverage(clerk, "闽江" * 120)
    assert err.value.field == "装机地址"


def test_only_the_speeds_the_address_supports(hall: HallApp, clerk: Actor, st: Setup) -> None:
    slow = [p.speed_mbps for p in hall.fixed_line.plans(clerk, SubscriptionKind.BROADBAND, 200)]
    assert all((s or 0) <= 200 for s in slow)
    req = _request(
        hall,
        clerk,
        st,
        address=f"福州市{st.slow_community}1号楼",
        slot_id=_bookable(hall, clerk, st.slow_community),
        bundle_code=None,
        bundled_with_id=None,
    )
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.quote(clerk, req)
    assert err.value.field == "宽带套餐" and "最高支持 200M" in err.value.message


def test_bundles_only_with_the_customers_own_matching_plan(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    offered = hall.fixed_line.bundles(clerk, st.customer_id, "BB500")
    assert [(b.code, b.mobile_subscription_id) for b in offered] == [(st.bundle_code, st.mobile_id)]
    assert offered[0].monthly_fen == 5_000 and "****" in offered[0].mobile_number_masked
    with hall.db.read() as s:
        other = s.scalars(
            select(Customer.id).where(Customer.id != st.customer_id).order_by(Customer.id)
        ).first()
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.quote(clerk, _request(hall, clerk, st, customer_id=other))
    assert err.value.field == "融合套餐"


def test_free_loan_needs_a_contract_and_a_bought_modem_is_goods(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    bought = _request(
        hall, clerk, st, equipment=(EquipmentChoice(SERIALS[1], EquipmentMode.BOUGHT),)
    )
    quote = hall.fixed_line.quote(clerk, bought)
    goods = [line for line in quote.lines if line.description.startswith("GPON 光猫（")]
    assert [(g.amount_fen, g.vat_rate) for g in goods] == [(29_900, Decimal("0.13"))]
    with hall.db.unit_of_work() as s:
        s.execute(update(Product).where(Product.code == "BB500").values(lock_in_months=0))
    free = _request(
        hall,
        clerk,
        st,
        bundle_code=None,
        bundled_with_id=None,
        equipment=(EquipmentChoice(SERIALS[1], EquipmentMode.FREE),),
    )
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.quote(clerk, free)
    assert err.value.field == "设备提供方式"


def test_terms_changed_since_signing_are_refused(hall: HallApp, clerk: Actor, st: Setup) -> None:
    req = _paid(hall, clerk, _request(hall, clerk, st))
    chosen = next(v for v in hall.slots.free_slots(clerk, st.community) if v.slot_id == req.slot_id)
    later = next(  # a different appointment (another team at the same time reads the same)
        v.slot_id
        for v in hall.slots.free_slots(clerk, st.community)
        if v.starts_at != chosen.starts_at
    )
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.install(clerk, replace(req, slot_id=later))
    assert err.value.field == "客户确认"
    assert _counts(hall) == before


def test_contact_and_address_are_checked_first(hall: HallApp, clerk: Actor, st: Setup) -> None:
    req = _paid(hall, clerk, _request(hall, clerk, st))
    for changes, field in (
        ({"contact_phone": "12345"}, "联系电话"),
        ({"contact_name": "  "}, "联系人"),
        ({"address": "福州市"}, "装机地址"),
        ({"address": "福州市鼓楼区五四路88号"}, "装机地址"),
    ):
        with pytest.raises(ValidationError) as err:
            hall.fixed_line.install(clerk, replace(req, **changes))  # type: ignore[arg-type]
        assert err.value.field == field


@dataclass(frozen=True)
class Active:
    id: uuid.UUID
    customer_id: uuid.UUID
    service_number: str
    address: str
    plan_name: str


def _active_broadband(hall: HallApp) -> Active:
    with hall.db.read() as s:
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.BROADBAND,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .join(Product, Product.id == Subscription.product_id)
            .where(Product.bandwidth_mbps <= 1000)
            .order_by(Subscription.service_number)
        ).first()
        assert sub is not None
        return Active(sub.id, sub.customer_id, sub.service_number, sub.address, sub.product.name)


def test_relocation_keeps_the_account_and_books_a_new_appointment(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    sub = _active_broadband(hall)
    assert sub.id in {
        r.subscription_id for r in hall.fixed_line.relocatable(clerk, sub.customer_id)
    }
    req = RelocateRequest(
        subscription_id=sub.id,
        new_address=f"福州市鼓楼区{st.community}8号楼1201",
        slot_id=_bookable(hall, clerk, st.community),
        contact_name="李女士",
        contact_phone="0591-87001234",
        payments=(),
    )
    quote = hall.fixed_line.quote_relocation(clerk, req)
    assert [(line.description, line.amount_fen) for line in quote.lines] == [
        (f"{sub.plan_name} 移机费", 10_000)
    ]
    assert "号码和账号不变" in quote.terms
    done = hall.fixed_line.relocate(
        clerk,
        replace(
            req,
            payments=(PaymentInput(PaymentMethod.BANK_CARD, quote.total_fen, None, "POS123"),),
            terms_text=quote.terms,
            signature_png=SIGNED,
        ),
    )
    assert done.broadband_account == sub.service_number
    with hall.db.read() as s:
        wo = s.get_one(WorkOrder, done.work_order_id)
        assert (wo.kind, wo.broadband_subscription_id) == (WorkOrderKind.RELOCATE, sub.id)
        assert wo.address == req.new_address and wo.installation_fee_fen == 10_000
        assert wo.contact_phone == "059187001234"
        moved = s.get_one(Subscription, sub.id)
        assert moved.address == sub.address  # until the install is reported done
        order = s.scalars(select(Order).where(Order.order_no == done.order_no)).one()
        assert order.order_type is OrderType.RELOCATE
    # A second relocation while this one is open is refused.
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.quote_relocation(clerk, req)
    assert err.value.field == "移机业务" and "未完成的工单" in err.value.message


def test_relocation_to_an_uncovered_address_is_refused(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    sub = _active_broadband(hall)
    req = RelocateRequest(
        subscription_id=sub.id,
        new_address="福州市晋安区未来之光花园1号楼",
        slot_id=st.slots[0],
        contact_name="李女士",
        contact_phone="13900001111",
        payments=(),
    )
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.quote_relocation(clerk, req)
    assert err.value.field == "装机地址" and "预约登记" in err.value.message


def test_demand_is_registered_and_listed_for_the_supervisor(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    req = DemandRequest(
        address="福州市晋安区未来之光花园1号楼",
        contact_name="赵先生",
        contact_phone="13800138000",
        wanted="宽带+固话",
        note="希望年前开通",
    )
    demand_id = hall.fixed_line.register_demand(clerk, req)
    listed = hall.fixed_line.demands(supervisor)
    assert listed[0].id == demand_id and listed[0].wanted == "宽带+固话"
    assert listed[0].contact_phone_masked == "13800138000"  # a supervisor may see it
    with pytest.raises(PermissionDenied):
        hall.fixed_line.demands(clerk)
    for changes, field in (
        ({"wanted": "电视"}, "需求业务"),
        ({"contact_phone": "110"}, "联系电话"),
        ({"note": "很" * 201}, "备注"),
    ):
        with pytest.raises(ValidationError) as err:
            hall.fixed_line.register_demand(clerk, replace(req, **changes))  # type: ignore[arg-type]
        assert err.value.field == field
    with hall.db.read() as s:
        assert s.scalar(select(func.count()).select_from(DemandRegistration)) >= 1
        assert s.scalar(select(func.count()).where(AuditEntry.action == "demand.register")) == 1


def test_promised_date_counts_working_days_into_2027_as_provisional(
    hall: HallApp, clerk: Actor, clock: FakeClock, st: Setup
) -> None:
    clock.now = clock.now.replace(year=2026, month=12, day=28)
    answer = hall.fixed_line.coverage(clerk, f"福州市鼓楼区{st.community}3号楼502")
    assert answer.promised_date is not None and answer.promised_date.year == 2027
    assert answer.promised_provisional is True
    assert answer.promised_date - date(2026, 12, 28) >= timedelta(days=5)


def test_an_address_in_another_city_is_not_the_halls_to_serve(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.coverage(clerk, f"江苏省南京市鼓楼区{st.community}3号楼502")
    assert err.value.field == "装机地址" and "南京市" in err.value.message
    assert hall.fixed_line.coverage(clerk, f"福建省福州市{st.community}1号楼").covered


def test_the_community_an_address_names_last_is_the_one(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    # The FTTH community's name in a road's name, the FTTB community last: FTTB it is.
    answer = hall.fixed_line.coverage(clerk, f"福州市{st.community}路1号{st.slow_community}2栋")
    assert (answer.community, answer.technology) == (st.slow_community, "FTTB")


def test_a_demand_is_followed_up_by_the_supervisor(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    req = DemandRequest(
        address="福州市晋安区未来之光花园1号楼",
        contact_name="赵先生",
        contact_phone="13800138000",
        wanted="宽带",
    )
    demand_id = hall.fixed_line.register_demand(clerk, req)
    with pytest.raises(PermissionDenied):
        hall.fixed_line.follow_up_demand(clerk, demand_id, DemandStatus.NOTIFIED)
    view = hall.fixed_line.follow_up_demand(
        supervisor, demand_id, DemandStatus.NOTIFIED, "小区已覆盖，已电话通知"
    )
    assert (view.status, view.note) == (DemandStatus.NOTIFIED, "小区已覆盖，已电话通知")
    hall.fixed_line.follow_up_demand(supervisor, demand_id, DemandStatus.CLOSED)
    with pytest.raises(ValidationError) as err:
        hall.fixed_line.follow_up_demand(supervisor, demand_id, DemandStatus.NOTIFIED)
    assert err.value.field == "登记状态"
    with hall.db.read() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "demand.follow_up")) == 2
