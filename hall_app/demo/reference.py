"""The hall's reference data: hall, service types, counters, staff, VAT categories, catalog,
promotions and pretty-number tiers. Small, so it is written through the ORM."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from hall_app.db.models import (
    Counter,
    CoverageArea,
    FusionBundle,
    Hall,
    HandsetOffer,
    InstallerTeam,
    PrettyTier,
    Product,
    Promotion,
    ServiceType,
    Staff,
    SyncedMixin,
    TeamArea,
    VatCategory,
)
from hall_app.demo.people import COMPANY_WORDS, ESTATES
from hall_app.domain.enums import OfferKind, ProductKind, Role
from hall_app.services.auth import hash_password
from hall_app.services.calendar import package_years, seed_calendar

DEMO_PASSWORD = "hall1234"
DEMO_STAFF: tuple[tuple[str, str, Role, str], ...] = (
    ("clerk1", "林晓燕", Role.CLERK, "01"),
    ("clerk2", "陈志强", Role.CLERK, "02"),
    ("super1", "黄丽华", Role.SUPERVISOR, "05"),
    ("super2", "郑建国", Role.SUPERVISOR, "06"),
    ("admin1", "王海涛", Role.ADMIN, "03"),
    ("admin2", "刘敏", Role.ADMIN, "04"),
    ("clerk3", "张伟", Role.CLERK, "03"),  # the new clerk, slower (hall_app.demo.year)
    ("clerk4", "吴静", Role.CLERK, "04"),
)

# (code, letter, name, target minutes, vip)
SERVICE_TYPES = (
    ("general", "A", "综合业务", 15, False),
    ("billing", "B", "缴费业务", 15, False),
    ("fixed", "C", "宽带固话", 15, False),
    ("vip", "V", "VIP 业务", 10, True),
)
# (code, window name, service type codes)
COUNTERS = (
    ("01", "1号窗口", ("general", "billing")),
    ("02", "2号窗口", ("general", "fixed")),
    ("03", "3号窗口", ("general",)),
    ("04", "4号窗口", ("billing",)),
    ("05", "5号窗口", ("fixed", "general")),
    ("06", "6号窗口（VIP）", ("vip", "general")),
)
VAT = (
    ("basic", "电信服务", "基础电信服务", Decimal("0.09")),
    ("value_added", "电信服务", "增值电信服务", Decimal("0.06")),
    ("handset", "通信设备", "手机", Decimal("0.13")),
    ("equipment", "通信设备", "光猫", Decimal("0.13")),
    ("router", "通信设备", "无线路由器", Decimal("0.13")),
)
# The instalment fee and the payoff fee of an installment contract, invoiced when paid, each
# under its own category (so the invoice names what it is). Their ids come from their codes,
# not from the random stream, so every other demo row stays as it was.
FEE_VAT = ("instalment_fee", "金融服务", "分期手续费", Decimal("0.06"))
FEE_VAT_ID = uuid.uuid5(uuid.NAMESPACE_URL, "hall-app:demo:vat:instalment_fee")
PAYOFF_VAT = ("instalment_payoff_fee", "金融服务", "提前结清手续费", Decimal("0.06"))
PAYOFF_VAT_ID = uuid.uuid5(uuid.NAMESPACE_URL, "hall-app:demo:vat:instalment_payoff_fee")
# 5G plans like an operator's tiers: (code, name, monthly yuan, data GB, voice min, sms, lock-in)
MOBILE_PLANS = (
    ("5G029", "5G 畅享 29 元套餐", 29, 5, 100, 0, 0),
    ("5G059", "5G 畅享 59 元套餐", 59, 30, 200, 50, 0),
    ("5G079", "5G 畅享 79 元套餐", 79, 60, 300, 100, 12),
    ("5G099", "5G 畅享 99 元套餐", 99, 80, 500, 100, 12),
    ("5G129", "5G 畅享 129 元套餐", 129, 100, 700, 200, 12),
    ("5G169", "5G 畅享 169 元套餐", 169, 150, 1000, 200, 24),
    ("5G199", "5G 畅享 199 元套餐", 199, 200, 1500, 300, 24),
    ("5G299", "5G 畅享 299 元套餐", 299, 300, 3000, 500, 24),
    ("5G399", "5G 畅享 399 元套餐", 399, 500, 5000, 1000, 24),
    ("KID019", "亲情守护 19 元套餐", 19, 2, 200, 50, 0),
)
# Broadband by speed: (code, name, monthly yuan, down Mbps, contract months). The first three
# are the fibre-to-the-home plans customers choose from (their order is part of the demo's
# seeded draws); 200M is what a fibre-to-the-building community (FTTB, 200M at most) gets.
BROADBAND = (
    ("BB300", "300M 光宽带", 99, 300, 12),
    ("BB500", "500M 光宽带", 129, 500, 12),
    ("BB1000", "千兆光宽带 FTTR", 199, 1000, 24),
    ("BB200", "200M 光宽带（楼宇）", 79, 200, 12),
)
FTTH_BROADBAND = ("BB300", "BB500", "BB1000")
BROADBAND_INSTALL_FEE = 100  # yuan, 安装调测费
# (code, name, monthly yuan, contract months, installation yuan)
LANDLINE = (
    ("LL20", "固话基本套餐", 20, 0, 50),
    ("LL39", "固话畅打 39 元套餐（含市话 500 分钟）", 39, 12, 50),
)
# Modems and routers: (code, name, kind label, vat code, sale yuan, deposit yuan)
EQUIPMENT = (
    ("ONU_ZTE", "中兴 GPON 光猫 F7610M", "光猫", "equipment", 299, 100),
    ("ONU_HW", "华为 GPON 光猫 HN8145X6", "光猫", "equipment", 399, 100),
    ("RT_AX3", "华为 Wi-Fi 6 路由器 AX3 Pro", "路由器", "router", 269, 200),
)
# Fusion bundles (融合套餐): (code, name, mobile plan, broadband plan, broadband monthly yuan)
FUSION_BUNDLES = (
    ("RH099_300", "5G 畅享 99 + 300M 融合", "5G099", "BB300", 39),
    ("RH129_500", "5G 畅享 129 + 500M 融合", "5G129", "BB500", 59),
    ("RH169_1000", "5G 畅享 169 + 千兆融合", "5G169", "BB1000", 99),
    ("RH199_1000", "5G 畅享 199 + 千兆融合", "5G199", "BB1000", 69),
)
# The hall's installer teams: (code, name, leader, phone)
INSTALLER_TEAMS = (
    ("FZGL-ZW1", "鼓楼装维一班", "陈建华", "13305910101"),
    ("FZGL-ZW2", "鼓楼装维二班", "林志明", "13305910202"),
    ("FZGL-ZW3", "鼓楼装维三班", "王立新", "13305910303"),
)
VALUE_ADDED = (
    ("VAS_CID", "来电显示", 6),
    ("VAS_RING", "视频彩铃", 5),
    ("VAS_CLOUD", "天翼云盘 100G 会员", 10),
    ("VAS_VIDEO", "视频会员月包", 15),
    ("VAS_DATA10", "10GB 流量月包", 20),
    ("VAS_SAFE", "防骚扰拦截", 3),
)
# Handsets by model: (code, brand, model, TAC, storages (label, tax-inclusive yuan), colours
# (name, code tag)). A product per model x storage x colour; the first is the model's code, the
# others add the storage and colour tags. The TAC (the IMEI's first 8 digits) is the model's.
HANDSET_MODELS: tuple[
    tuple[str, str, str, str, tuple[tuple[str, int], ...], tuple[tuple[str, str], ...]], ...
] = (
    (
        "HW_MATE70",
        "华为",
        "Mate 70",
        "86718906",
        (("12+256GB", 5499), ("12+512GB", 5999)),
        (("雅川青", "QING"), ("曜石黑", "BLK"), ("雪域白", "WHT")),
    ),
    (
        "HW_NOVA13",
        "华为",
        "nova 13",
        "86453207",
        (("12+256GB", 2699), ("12+512GB", 2999)),
        (("星耀黑", "BLK"), ("羽砂白", "WHT"), ("洛登绿", "GRN")),
    ),
    (
        "HW_ENJOY70",
        "华为",
        "畅享 70",
        "86209105",
        (("8+128GB", 1199),),
        (("曜金黑", "BLK"), ("雪域白", "WHT")),
    ),
    (
        "APL_IP17",
        "Apple",
        "iPhone 17",
        "35397110",
        (("256GB", 5999), ("512GB", 7999)),
        (("黑色", "BLK"), ("白色", "WHT"), ("薰衣草紫", "PUR")),
    ),
    (
        "APL_IP17P",
        "Apple",
        "iPhone 17 Pro",
        "35418712",
        (("256GB", 8999),),
        (("深蓝色", "BLU"), ("银色", "SLV"), ("宇宙橙", "ORG")),
    ),
    (
        "APL_IP16E",
        "Apple",
        "iPhone 16e",
        "35328115",
        (("128GB", 4499),),
        (("黑色", "BLK"), ("白色", "WHT")),
    ),
    (
        "MI_15",
        "小米",
        "15",
        "86941207",
        (("12+256GB", 4499), ("16+512GB", 4999)),
        (("黑色", "BLK"), ("白色", "WHT"), ("浅草绿", "GRN")),
    ),
    (
        "MI_K80",
        "小米",
        "Redmi K80",
        "86077406",
        (("12+256GB", 2499),),
        (("玄夜黑", "BLK"), ("雪岩白", "WHT")),
    ),
    (
        "MI_NOTE14",
        "小米",
        "Redmi Note 14",
        "86318307",
        (("8+256GB", 1299),),
        (("子夜黑", "BLK"), ("镜瓷白", "WHT")),
    ),
    (
        "OPPO_R13",
        "OPPO",
        "Reno13",
        "86497006",
        (("12+256GB", 2999),),
        (("午夜黑", "BLK"), ("蝴蝶紫", "PUR")),
    ),
    (
        "OPPO_FX8",
        "OPPO",
        "Find X8",
        "86112208",
        (("12+256GB", 4199),),
        (("星野黑", "BLK"), ("浮光白", "WHT")),
    ),
)
# Contract offers (合约): (months, minimum plan code, subsidy yuan a month); offered on a
# handset when the whole subsidy is at most 40 % of its price.
CONTRACT_OFFERS = ((12, "5G099", 25), (24, "5G129", 50), (36, "5G199", 60))
# Installment offers (分期): (months, stated fee as % of the price, monthly rate, least down
# payment %, early payoff fee yuan). A stated fee or a rate, never both.
INSTALLMENT_OFFERS = (
    (3, 0, Decimal(0), 10, 0),
    (6, 0, Decimal(0), 20, 0),
    (12, 3, Decimal(0), 20, 50),
    (24, 0, Decimal("0.005"), 30, 100),
)
# (code, name, rank, patterns, prepayment yuan, minimum monthly yuan, lock-in months)
PRETTY_TIERS = (
    ("T1", "一级靓号", 1, "AAAAA,8888", 5000, 299, 36),
    ("T2", "二级靓号", 2, "AAAA,ABCDE", 2000, 199, 24),
    ("T3", "三级靓号", 3, "ABCD,AABB", 500, 129, 24),
    ("T4", "四级靓号", 4, "ABAB,AAA", 100, 79, 12),
)


@dataclass
class Reference:
    hall: Hall
    counters: list[Counter]
    staff: list[Staff]
    service_types: dict[str, ServiceType]
    vat: dict[str, VatCategory]
    products: dict[ProductKind, list[Product]]
    tiers: dict[str, PrettyTier]  # pattern code -> tier
    # Broadband and landline: covered communities (community -> (technology, max down Mbps)),
    # the uncovered ones, the teams installing in each covered one (team id, capacity per
    # window), the installer teams and the fusion bundles.
    coverage: dict[str, tuple[str, int]] = field(default_factory=dict)
    uncovered: list[str] = field(default_factory=list)
    team_areas: dict[str, list[tuple[uuid.UUID, int]]] = field(default_factory=dict)
    teams: list[InstallerTeam] = field(default_factory=list)
    bundles: list[FusionBundle] = field(default_factory=list)
    offers: list[HandsetOffer] = field(default_factory=list)  # by product, then kind and months

    def product(self, code: str) -> Product:
        return next(p for ps in self.products.values() for p in ps if p.code == code)


def _uid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def build_reference(
    session: Session, rng: random.Random, today: date, anchor: datetime
) -> Reference:
    """Reference rows, stamped with the anchor time so the build is deterministic."""
    hall = Hall(
        id=_uid(rng),
        code="FZ-GL-01",
        name="福州鼓楼五四路营业厅",
        region_code="350102",
        province_code="35",
        address="福建省福州市鼓楼区五四路 128 号",
        seller_name="中国电信股份有限公司福州分公司",
        seller_tax_id="91350100M000100Y43",
    )
    session.add(hall)
    types = {
        code: ServiceType(
            id=_uid(rng),
            code=code,
            letter=letter,
            name=name,
            target_minutes=minutes,
            is_vip=vip,
            sort_order=i,
        )
        for i, (code, letter, name, minutes, vip) in enumerate(SERVICE_TYPES)
    }
    session.add_all(types.values())
    counters = [
        Counter(
            id=_uid(rng),
            hall_id=hall.id,
            code=code,
            name=name,
            service_types=[types[t] for t in served],
        )
        for code, name, served in COUNTERS
    ]
    session.add_all(counters)
    by_code = {c.code: c for c in counters}
    password_hash = hash_password(DEMO_PASSWORD)
    staff = [
        Staff(
            id=_uid(rng),
            hall_id=hall.id,
            username=username,
            full_name=full_name,
            employee_no=f"FZ{i + 1:04d}",
            role=role,
            password_hash=password_hash,
            default_counter_id=by_code[counter].id,
        )
        for i, (username, full_name, role, counter) in enumerate(DEMO_STAFF)
    ]
    session.add_all(staff)
    vat = {
        code: VatCategory(id=_uid(rng), code=code, category=cat, item_name=item, rate=rate)
        for code, cat, item, rate in VAT
    }
    for (code, cat, item, rate), vat_id in ((FEE_VAT, FEE_VAT_ID), (PAYOFF_VAT, PAYOFF_VAT_ID)):
        vat[code] = VatCategory(id=vat_id, code=code, category=cat, item_name=item, rate=rate)
    session.add_all(vat.values())
    products: dict[ProductKind, list[Product]] = {k: [] for k in ProductKind}

    def add(kind: ProductKind, vat_code: str, **kw: object) -> Product:
        product = Product(id=_uid(rng), kind=kind, vat_category_id=vat[vat_code].id, **kw)
        products[kind].append(product)
        session.add(product)
        return product

    for code, name, fee, gb, minutes, sms, lock in MOBILE_PLANS:
        add(
            ProductKind.MOBILE_PLAN,
            "basic",
            code=code,
            name=name,
            price_fen=fee * 100,
            data_mb=gb * 1024,
            voice_minutes=minutes,
            sms_count=sms,
            lock_in_months=lock,
            description=f"国内通用流量 {gb}GB，国内通话 {minutes} 分钟，短信 {sms} 条",
        )
    for code, name, fee, mbps, lock in BROADBAND:
        add(  # home broadband is internet access: a value-added telecom service, 6 %
            ProductKind.BROADBAND_PLAN,
            "value_added",
            code=code,
            name=name,
            price_fen=fee * 100,
            bandwidth_mbps=mbps,
            lock_in_months=lock,
            one_time_fee_fen=BROADBAND_INSTALL_FEE * 100,
            description=(
                f"下行 {mbps}Mbps，合约 {lock} 个月，安装调测费 {BROADBAND_INSTALL_FEE} 元；"
                "合约期内光猫免费借用"
            ),
        )
    for code, name, fee, lock, install in LANDLINE:
        add(
            ProductKind.LANDLINE_PLAN,
            "basic",
            code=code,
            name=name,
            price_fen=fee * 100,
            lock_in_months=lock,
            one_time_fee_fen=install * 100,
            description=f"月租 {fee} 元，安装费 {install} 元",
        )
    for code, name, label, vat_code, price, deposit in EQUIPMENT:
        add(
            ProductKind.EQUIPMENT,
            vat_code,
            code=code,
            name=name,
            brand=name.split()[0],
            model=label,
            price_fen=price * 100,
            deposit_fen=deposit * 100,
            description=f"{label}：售价 {price} 元，借用押金 {deposit} 元（可退）",
        )
    for code, name, fee in VALUE_ADDED:
        add(ProductKind.VALUE_ADDED, "value_added", code=code, name=name, price_fen=fee * 100)
    plans = {p.code: p for p in products[ProductKind.MOBILE_PLAN]}
    offers = _handsets(session, hall.code, vat["handset"], plans, products, today)
    session.add_all(
        [
            Promotion(
                id=_uid(rng),
                code="NEW5G",
                name="新入网 5G 套餐前 6 个月半价",
                product_id=plans["5G129"].id,
                monthly_discount_fen=6450,
                discount_months=6,
                valid_from=date(today.year, 1, 1),
            ),
            Promotion(
                id=_uid(rng),
                code="CONTRACT24",
                name="合约购机 24 个月每月返 50 元",
                subsidy_fen=120000,
                commitment_months=24,
                valid_from=date(today.year, 1, 1),
                description="承诺在网 24 个月，提前解约按剩余月数每月 50 元退还补贴",
            ),
        ]
    )
    broadband = {p.code: p for p in products[ProductKind.BROADBAND_PLAN]}
    session.add_all(
        [
            Promotion(
                id=_uid(rng),
                code="BB500NEW",
                name="新装 500M 宽带前 6 个月每月 99 元",
                product_id=broadband["BB500"].id,
                monthly_discount_fen=3000,
                discount_months=6,
                valid_from=date(today.year, 1, 1),
            ),
            Promotion(
                id=_uid(rng),
                code="BB1000YEAR",
                name="千兆宽带首年每月减 40 元",
                product_id=broadband["BB1000"].id,
                monthly_discount_fen=4000,
                discount_months=12,
                valid_from=date(today.year, 1, 1),
            ),
        ]
    )
    for obj in session.new:  # FusionBundle and InstallerTeam have no relationships to order by
        if isinstance(obj, SyncedMixin):
            obj.created_at = obj.updated_at = anchor
    session.flush()
    bundles = [
        FusionBundle(
            id=_uid(rng),
            code=code,
            name=name,
            mobile_product_id=plans[mobile].id,
            broadband_product_id=broadband[bb].id,
            monthly_fen=monthly * 100,
            valid_from=date(today.year - 1, 1, 1),
            valid_to=None,
            active=True,
        )
        for code, name, mobile, bb, monthly in FUSION_BUNDLES
    ]
    session.add_all(bundles)
    teams = [
        InstallerTeam(
            id=_uid(rng), hall_id=hall.id, code=code, name=name, leader=leader, phone=phone
        )
        for code, name, leader, phone in INSTALLER_TEAMS
    ]
    session.add_all(teams)
    tiers: dict[str, PrettyTier] = {}
    for code, name, rank, patterns, prepay, monthly, lock in PRETTY_TIERS:
        tier = PrettyTier(
            id=_uid(rng),
            code=code,
            name=name,
            rank=rank,
            patterns=patterns,
            prepayment_fen=prepay * 100,
            min_monthly_fen=monthly * 100,
            lock_in_months=lock,
        )
        session.add(tier)
        for pattern in patterns.split(","):
            tiers[pattern] = tier
    for obj in session.new:
        if isinstance(obj, SyncedMixin):
            obj.created_at = obj.updated_at = anchor
    session.flush()
    # Coverage: most of the area's communities have fibre to the home, some fibre to the
    # building, a few none yet. (Its own random stream: the rest of the demo stays as it was.)
    cov = random.Random(f"coverage:{hall.code}")
    coverage: dict[str, tuple[str, int]] = {}
    uncovered: list[str] = []
    for word in COMPANY_WORDS:
        for estate in ESTATES:
            roll = cov.random()
            if roll < 0.1:
                uncovered.append(f"{word}{estate}")
                continue  # not covered
            fibre = roll >= 0.25
            coverage[f"{word}{estate}"] = ("FTTH", 1000) if fibre else ("FTTB", 200)
            session.add(
                CoverageArea(
                    id=_uid(cov),
                    hall_id=hall.id,
                    region_code=hall.region_code,
                    community=f"{word}{estate}",
                    technology="FTTH" if fibre else "FTTB",
                    max_down_mbps=1000 if fibre else 200,
                    landline=True,
                    active=True,
                    created_at=anchor,
                    updated_at=anchor,
                )
            )
    session.flush()  # after the hall it belongs to
    team_areas = _team_areas(session, hall.code, teams, list(coverage), anchor)
    # The holiday calendar, for the years around today that chinese-calendar knows (a later
    # year stays out: its dates are counted Monday to Friday and shown as provisional).
    known = package_years()
    seed_calendar(session, [y for y in range(today.year - 1, today.year + 2) if y in known], anchor)
    return Reference(
        hall=hall,
        counters=counters,
        staff=staff,
        service_types=types,
        vat=vat,
        products=products,
        tiers=tiers,
        coverage=coverage,
        uncovered=uncovered,
        team_areas=team_areas,
        teams=teams,
        bundles=bundles,
        offers=offers,
    )


def handset_code(model_code: str, n: int, storage: str, colour_tag: str) -> str:
    """The product code of a model's ``n``-th variant: the model's own code for the first."""
    if n == 0:
        return model_code
    size = storage.split("+")[-1].removesuffix("GB")
    return f"{model_code}_{size}_{colour_tag}"


def _handsets(
    session: Session,
    hall_code: str,
    vat: VatCategory,
    plans: dict[str, Product],
    products: dict[ProductKind, list[Product]],
    today: date,
) -> list[HandsetOffer]:
    """The handset catalog (a product per model, storage and colour) and each one's contract
    and installment offers, held centrally. Its own random stream (for the ids only), so the
    catalog does not move the rest of the reference data."""
    rng = random.Random(f"handsets:{hall_code}")
    offers: list[HandsetOffer] = []
    valid_from = date(today.year - 2, 1, 1)  # the history's older sales were made under them
    for model_code, brand, model, _tac, storages, colours in HANDSET_MODELS:
        n = 0
        for storage, price in storages:
            for colour, tag in colours:
                product = Product(
                    id=_uid(rng),
                    kind=ProductKind.HANDSET,
                    vat_category_id=vat.id,
                    code=handset_code(model_code, n, storage, tag),
                    name=f"{brand} {model} {storage} {colour}",
                    brand=brand,
                    model=model,
                    colour=colour,
                    storage=storage,
                    price_fen=price * 100,
                    description=f"{brand} {model}，{storage}，{colour}；整机保修一年",
                )
                n += 1
                products[ProductKind.HANDSET].append(product)
                session.add(product)
                for months, plan_code, monthly in CONTRACT_OFFERS:
                    subsidy = months * monthly
                    if subsidy * 100 > price * 40:
                        continue
                    plan_yuan = plans[plan_code].price_fen // 100
                    offers.append(
                        HandsetOffer(
                            id=_uid(rng),
                            code=f"{product.code}-C{months}",
                            product=product,
                            kind=OfferKind.CONTRACT,
                            name=f"合约购机 {months} 个月：月消费不低于 {plan_yuan} 元，"
                            f"补贴 {subsidy} 元",
                            months=months,
                            subsidy_fen=subsidy * 100,
                            min_plan_fen=plan_yuan * 100,
                            fee_fen=0,
                            monthly_rate=Decimal(0),
                            min_down_payment_pct=0,
                            payoff_fee_fen=0,
                            valid_from=valid_from,
                            valid_to=None,
                            active=True,
                        )
                    )
                for months, fee_pct, rate, down_pct, payoff in INSTALLMENT_OFFERS:
                    fee = round(price * fee_pct / 100) * 100
                    terms = (
                        f"手续费 {fee // 100} 元"
                        if fee
                        else f"月费率 {rate * 100:.1f}%"
                        if rate
                        else "免息"
                    )
                    offers.append(
                        HandsetOffer(
                            id=_uid(rng),
                            code=f"{product.code}-I{months}",
                            product=product,
                            kind=OfferKind.INSTALLMENT,
                            name=f"分期购机 {months} 期：{terms}，首付不低于 {down_pct}%",
                            months=months,
                            subsidy_fen=0,
                            min_plan_fen=0,
                            fee_fen=fee,
                            monthly_rate=rate,
                            min_down_payment_pct=down_pct,
                            payoff_fee_fen=payoff * 100,
                            valid_from=valid_from,
                            valid_to=None,
                            active=True,
                        )
                    )
    session.add_all(offers)
    return offers


def _team_areas(
    session: Session,
    hall_code: str,
    teams: list[InstallerTeam],
    communities: list[str],
    anchor: datetime,
) -> dict[str, list[tuple[uuid.UUID, int]]]:
    """Each covered community is served by one team (every fourth by a second one too), with
    2 to 4 installs per window. Its own random stream, like the coverage."""
    rng = random.Random(f"teams:{hall_code}")
    areas: dict[str, list[tuple[uuid.UUID, int]]] = {}
    for n, community in enumerate(communities):
        serving = [teams[n % len(teams)]]
        if n % 4 == 3:
            serving.append(teams[(n + 1) % len(teams)])
        for team in serving:
            capacity = rng.randint(2, 4)
            session.add(
                TeamArea(
                    id=_uid(rng),
                    team_id=team.id,
                    community=community,
                    capacity=capacity,
                    created_at=anchor,
                    updated_at=anchor,
                )
            )
            areas.setdefault(community, []).append((team.id, capacity))
    session.flush()
    return areas
