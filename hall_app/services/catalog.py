"""What the counter sells: mobile plans with their allowances and promotions, and the
value-added services a plan can carry. Read-only; the catalog is maintained centrally."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hall_app.clock import Clock, business_date
from hall_app.db.engine import Database
from hall_app.db.models import Product, Promotion
from hall_app.domain.enums import ProductKind
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Offer, offer_applies_to_plan
from hall_app.services.actor import Actor


@dataclass(frozen=True)
class PromotionView:
    code: str
    name: str
    description: str
    monthly_fen: int  # the plan's monthly fee while the promotion runs
    months: int  # for how many months, the first one included


@dataclass(frozen=True)
class PlanView:
    code: str
    name: str
    monthly_fen: int
    data_mb: int | None
    voice_minutes: int | None
    sms_count: int | None
    lock_in_months: int
    description: str
    promotions: tuple[PromotionView, ...]


@dataclass(frozen=True)
class AddonView:
    code: str
    name: str
    monthly_fen: int
    description: str


class CatalogService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def list_plans(self, actor: Actor) -> list[PlanView]:
        """Mobile plans on sale, cheapest first, each with the promotions valid today: exactly
        those the order's pricing applies (``offer_applies_to_plan``), with the fee they give."""
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as session:
            plans = session.scalars(
                select(Product)
                .where(Product.kind == ProductKind.MOBILE_PLAN, Product.active)
                .order_by(Product.price_fen, Product.code)
            ).all()
            offers = [
                offer_of(x)
                for x in session.scalars(
                    select(Promotion)
                    .where(Promotion.product_id.in_([p.id for p in plans]))
                    .order_by(Promotion.code)
                )
            ]
            return [
                PlanView(
                    code=p.code,
                    name=p.name,
                    monthly_fen=p.price_fen,
                    data_mb=p.data_mb,
                    voice_minutes=p.voice_minutes,
                    sms_count=p.sms_count,
                    lock_in_months=p.lock_in_months,
                    description=p.description,
                    promotions=tuple(
                        PromotionView(
                            x.code,
                            x.name,
                            x.description,
                            p.price_fen - min(x.monthly_discount_fen, p.price_fen),
                            x.discount_months,
                        )
                        for x in offers
                        if offer_applies_to_plan(x, p.id, today)
                    ),
                )
                for p in plans
            ]

    def list_addons(self, actor: Actor) -> list[AddonView]:
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as session:
            return [
                AddonView(a.code, a.name, a.price_fen, a.description)
                for a in session.scalars(
                    select(Product)
                    .where(Product.kind == ProductKind.VALUE_ADDED, Product.active)
                    .order_by(Product.price_fen, Product.code)
                )
            ]


def offer_of(promotion: Promotion) -> Offer:
    """A catalog promotion as the pricing sees it."""
    return Offer(
        id=promotion.id,
        code=promotion.code,
        name=promotion.name,
        product_id=promotion.product_id,
        monthly_discount_fen=promotion.monthly_discount_fen,
        discount_months=promotion.discount_months,
        valid_from=promotion.valid_from,
        valid_to=promotion.valid_to,
        active=promotion.active,
        subsidy_fen=promotion.subsidy_fen,
        commitment_months=promotion.commitment_months,
        description=promotion.description,
    )


def allowance_text(value: int | None, unit: str) -> str:
    """How a plan's allowance reads on screens and forms: 不限 for unlimited, — for none."""
    if value is None:
        return "—"
    if value < 0:
        return "不限"
    if unit == "MB" and value >= 1024 and value % 1024 == 0:
        return f"{value // 1024} GB"
    return f"{value} {unit}"
