"""The product catalog: plans, value-added services, handsets, promotions, VAT categories."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hall_app.db.models.base import Base, CentralStamped, SyncedMixin
from hall_app.db.models.org import str_enum
from hall_app.domain.enums import OfferKind, ProductKind


class VatCategory(CentralStamped, SyncedMixin, Base):
    """An invoice category: ``*电信服务*基础电信服务`` at 9%, configurable per catalog item."""

    __tablename__ = "vat_categories"

    code: Mapped[str] = mapped_column(String(24), unique=True)
    category: Mapped[str] = mapped_column(String(32))  # 电信服务
    item_name: Mapped[str] = mapped_column(String(64))  # 基础电信服务
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))

    @property
    def invoice_label(self) -> str:
        return f"*{self.category}*{self.item_name}"


class Product(CentralStamped, SyncedMixin, Base):
    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[ProductKind] = mapped_column(str_enum(ProductKind), index=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    # Monthly fee for plans and services, sale price for goods; tax-inclusive, in fen.
    price_fen: Mapped[int] = mapped_column(BigInteger)
    one_time_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vat_categories.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Mobile plan allowances
    data_mb: Mapped[int | None]
    voice_minutes: Mapped[int | None]
    sms_count: Mapped[int | None]
    lock_in_months: Mapped[int] = mapped_column(default=0)
    # A change to this plan from a cheaper one (an upgrade) takes effect ``immediate`` or
    # ``next_month``; a downgrade always takes effect next month.
    upgrade_effect: Mapped[str] = mapped_column(
        String(16), default="immediate", server_default="immediate"
    )
    # Broadband (the installation fee is ``one_time_fee_fen``, the contract ``lock_in_months``)
    bandwidth_mbps: Mapped[int | None]
    # Modems and routers: the refundable deposit when lent (the sale price is ``price_fen``).
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Handsets
    brand: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(64))
    colour: Mapped[str | None] = mapped_column(String(16))
    storage: Mapped[str | None] = mapped_column(String(16))  # 12+256GB

    vat_category: Mapped[VatCategory] = relationship()


class Promotion(CentralStamped, SyncedMixin, Base):
    __tablename__ = "promotions"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    monthly_discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_months: Mapped[int] = mapped_column(default=0)
    # Contract phones: subsidy earned back monthly over the commitment.
    subsidy_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    commitment_months: Mapped[int] = mapped_column(default=0)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product | None] = relationship()


class HandsetOffer(CentralStamped, SyncedMixin, Base):
    """A handset model's contract (合约) or installment (分期) offer, kept centrally.

    A contract offer gives ``subsidy_fen`` off the price for a plan of at least
    ``min_plan_fen`` a month over ``months``; leaving early repays the unearned subsidy. An
    installment offer finances the price less a down payment of at least
    ``min_down_payment_pct`` over ``months``, with a stated fee (``fee_fen``) or a stated
    monthly rate on the financed amount (``monthly_rate``), never both; paying off early costs
    the remaining principal plus ``payoff_fee_fen``."""

    __tablename__ = "handset_offers"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[OfferKind] = mapped_column(str_enum(OfferKind))
    name: Mapped[str] = mapped_column(String(64))
    months: Mapped[int]
    subsidy_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    min_plan_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    monthly_rate: Mapped[Decimal] = mapped_column(Numeric(7, 5), default=Decimal(0))
    min_down_payment_pct: Mapped[int] = mapped_column(default=0)
    payoff_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship()
