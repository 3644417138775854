"""What the counter sells: mobile plans with their allowances and promotions, and the
value-added services a plan can carry. Read-only; the catalog is maintained centrally."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from hall_app.clock import Clock, business_date
from hall_app.db.engine import Database
from hall_app.db.models import Product, Promotion
from hall_app.domain.enums import ProductKind
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor


@dataclass(frozen=True)
class PromotionView:
    code: str
    name: str
    description: str


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
        """Mobile plans on sale, cheapest first, each with the promotions valid today."""
        actor.require(Permission.ORDER_CREATE)
        today = business_date(self._clock())
        with self._db.read() as session:
            plans = session.scalars(
                select(Product)
                .where(Product.kind == ProductKind.MOBILE_PLAN, Product.active)
                .order_by(Product.price_fen, Product.code)
            ).all()
            promos = session.scalars(
                select(Promotion).where(
                    Promotion.active,
                    Promotion.product_id.in_([p.id for p in plans]),
                    Promotion.valid_from <= today,
                    or_(Promotion.valid_to.is_(None), Promotion.valid_to >= today),
                )
            ).all()
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
                        PromotionView(x.code, x.name, x.description)
                        for x in promos
                        if x.product_id == p.id
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


def allowance_text(value: int | None, unit: str) -> str:
    """How a plan's allowance reads on screens and forms: 不限 for unlimited, — for none."""
    if value is None:
        return "—"
    if value < 0:
        return "不限"
    if unit == "MB" and value >= 1024 and value % 1024 == 0:
        return f"{value // 1024} GB"
    return f"{value} {unit}"
