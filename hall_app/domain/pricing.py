"""Pricing a new mobile number, as one pure function.

The plan, the value-added services, a pretty number's prepayment and the plan's promotion valid
on the order date become the lines the customer sees on the confirmation screen, signs on the
acceptance form, pays, and finds on the receipt and the invoice. The quote and the order both
call ``price_open_mobile``: what is shown is what is charged.

A discount is its own visible line, as on a carrier's acceptance form (``5G 畅享 129 元套餐
首月月租 ¥129.00`` then ``优惠：新入网 5G 套餐前 6 个月半价 -¥64.50``); on the invoice it reduces
the line of the product it discounts, and VAT is split on what is charged for that product
(domain-rules.md: per invoice line, amount = total / (1 + rate) half-up, tax = the rest).

Only a plan's own monthly discount applies here. A contract-phone promotion (a subsidy with a
commitment) belongs to a handset sale, never to a plan on its own.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from hall_app.domain.money import split_tax


@dataclass(frozen=True)
class VatClass:
    """An invoice category: its label as the invoice writes it, and its rate."""

    id: uuid.UUID
    label: str  # *电信服务*基础电信服务
    rate: Decimal


@dataclass(frozen=True)
class Item:
    """A plan or value-added service as it is priced: its tax-inclusive monthly fee."""

    product_id: uuid.UUID
    name: str
    monthly_fen: int
    vat: VatClass
    lock_in_months: int = 0


@dataclass(frozen=True)
class Tier:
    """A pretty number's tier: prepayment, minimum monthly spend and lock-in."""

    name: str
    prepayment_fen: int
    min_monthly_fen: int
    lock_in_months: int


@dataclass(frozen=True)
class Offer:
    """A promotion from the catalog."""

    id: uuid.UUID
    code: str
    name: str
    product_id: uuid.UUID | None
    monthly_discount_fen: int
    discount_months: int
    valid_from: date
    valid_to: date | None
    active: bool = True
    subsidy_fen: int = 0  # contract phones: a handset subsidy …
    commitment_months: int = 0  # … earned back over a commitment
    description: str = ""


def offer_applies_to_plan(offer: Offer, plan_id: uuid.UUID, on: date) -> bool:
    """A plan's own monthly discount, active and valid on the order date. Contract-phone
    promotions (subsidy, commitment) never apply to a plan alone."""
    return (
        offer.active
        and offer.product_id == plan_id
        and offer.monthly_discount_fen > 0
        and offer.discount_months > 0
        and offer.subsidy_fen == 0
        and offer.commitment_months == 0
        and offer.valid_from <= on
        and (offer.valid_to is None or on <= offer.valid_to)
    )


def plan_offer(offers: Sequence[Offer], plan: Item, on: date) -> Offer | None:
    """The promotion the plan gets on that date: of several, the one worth most to the
    customer (then the longer, then by code, so the choice never depends on order)."""
    valid = [o for o in offers if offer_applies_to_plan(o, plan.product_id, on)]
    if not valid:
        return None
    return min(
        valid,
        key=lambda o: (
            -min(o.monthly_discount_fen, plan.monthly_fen) * o.discount_months,
            -o.discount_months,
            o.code,
        ),
    )


class LineKind(StrEnum):
    PREPAYMENT = "prepayment"  # a pretty number's prepaid calls: receipt now, no invoice
    CHARGE = "charge"  # a first month's fee, an installation fee, goods
    DISCOUNT = "discount"  # a promotion's reduction of a charge (negative)
    DEPOSIT = "deposit"  # a lent modem's refundable deposit: receipt, no invoice
    # An installment sale's financed part (negative): the handset is invoiced whole at the
    # sale, the customer pays the down payment now and the rest in instalments.
    FINANCED = "financed"
    REPAYMENT = "repayment"  # the principal of an instalment or a payoff: receipt, no invoice


@dataclass(frozen=True)
class Line:
    kind: LineKind
    description: str
    amount_fen: int  # tax-inclusive; negative for a discount
    invoiceable: bool
    product_id: uuid.UUID | None = None
    vat: VatClass | None = None
    promotion_id: uuid.UUID | None = None


@dataclass(frozen=True)
class InvoiceItem:
    """One invoice line: what is charged for one product, net of its discounts."""

    product_id: uuid.UUID
    label: str
    rate: Decimal
    total_fen: int
    amount_fen: int
    tax_fen: int


@dataclass(frozen=True)
class AppliedPromotion:
    id: uuid.UUID
    code: str
    name: str
    months: int  # the discounted months, the first one charged now
    regular_fen: int  # the plan's monthly fee
    discounted_fen: int  # the monthly fee while the promotion runs
    product_id: uuid.UUID | None = None  # the plan it discounts

    @property
    def discount_fen(self) -> int:
        return self.regular_fen - self.discounted_fen


@dataclass(frozen=True)
class Pricing:
    lines: tuple[Line, ...]
    invoice_items: tuple[InvoiceItem, ...]
    lock_in_months: int
    min_monthly_fen: int
    promotion: AppliedPromotion | None
    # Every promotion applied, one per plan (an order of several plans: broadband and landline).
    promotions: tuple[AppliedPromotion, ...] = ()

    def promotion_of(self, product_id: uuid.UUID) -> AppliedPromotion | None:
        return next(
            (p for p in self.promotions or (self.promotion,) if p and p.product_id == product_id),
            None,
        )

    @property
    def total_fen(self) -> int:
        """What the customer pays now: every line, discounts included."""
        return sum(line.amount_fen for line in self.lines)

    @property
    def prepaid_fen(self) -> int:
        """What goes on the new number's balance (receipt, no invoice)."""
        return sum(line.amount_fen for line in self.lines if line.kind is LineKind.PREPAYMENT)

    @property
    def deposit_fen(self) -> int:
        """Refundable deposits held for lent equipment (receipt, no invoice)."""
        return sum(line.amount_fen for line in self.lines if line.kind is LineKind.DEPOSIT)

    @property
    def invoice_total_fen(self) -> int:
        return sum(x.total_fen for x in self.invoice_items)

    @property
    def invoice_amount_fen(self) -> int:
        return sum(x.amount_fen for x in self.invoice_items)

    @property
    def tax_fen(self) -> int:
        return sum(x.tax_fen for x in self.invoice_items)


FIRST_MONTH = "首月月租"
FIRST_MONTH_ADDON = "首月"
DISCOUNT_PREFIX = "优惠："


def price_open_mobile(
    plan: Item,
    addons: Sequence[Item],
    tier: Tier | None,
    offers: Sequence[Offer],
    on: date,
) -> Pricing:
    """The lines of a new number's order on the date ``on``: the tier's prepayment (not
    invoiced), the plan's first month, the plan's promotion as its own negative line, each
    value-added service's first month; and the invoice items, one per charged product."""
    for item in (plan, *addons):
        if item.monthly_fen < 0:
            raise ValueError(f"a monthly fee cannot be negative: {item.name}")
    lines: list[Line] = []
    if tier is not None and tier.prepayment_fen:
        lines.append(Line(LineKind.PREPAYMENT, f"{tier.name}预存话费", tier.prepayment_fen, False))
    lines.append(
        Line(
            LineKind.CHARGE,
            f"{plan.name} {FIRST_MONTH}",
            plan.monthly_fen,
            True,
            plan.product_id,
            plan.vat,
        )
    )
    offer = plan_offer(offers, plan, on) if plan.monthly_fen > 0 else None
    applied = None
    if offer is not None:
        discount = min(offer.monthly_discount_fen, plan.monthly_fen)
        applied = AppliedPromotion(
            offer.id,
            offer.code,
            offer.name,
            offer.discount_months,
            plan.monthly_fen,
            plan.monthly_fen - discount,
            plan.product_id,
        )
        lines.append(
            Line(
                LineKind.DISCOUNT,
                f"{DISCOUNT_PREFIX}{offer.name}",
                -discount,
                True,
                plan.product_id,
                plan.vat,
                offer.id,
            )
        )
    for addon in addons:
        lines.append(
            Line(
                LineKind.CHARGE,
                f"{addon.name} {FIRST_MONTH_ADDON}",
                addon.monthly_fen,
                True,
                addon.product_id,
                addon.vat,
            )
        )
    return Pricing(
        lines=tuple(lines),
        invoice_items=_invoice_items(lines),
        lock_in_months=max(plan.lock_in_months, tier.lock_in_months if tier else 0),
        min_monthly_fen=tier.min_monthly_fen if tier else 0,
        promotion=applied,
    )


def _invoice_items(lines: Sequence[Line]) -> tuple[InvoiceItem, ...]:
    """One item per charge, with the discounts of the same product netted off its first
    charge (the monthly fee; an installation fee of the same plan is its own item), split into
    amount and tax on what is charged. A charge discounted to nothing is not invoiced."""
    items = []
    netted: set[uuid.UUID] = set()
    for charge in lines:
        if charge.kind is not LineKind.CHARGE or not charge.invoiceable:
            continue
        assert charge.vat is not None and charge.product_id is not None
        total = charge.amount_fen
        if charge.product_id not in netted:
            netted.add(charge.product_id)
            total += sum(
                d.amount_fen
                for d in lines
                if d.kind is LineKind.DISCOUNT and d.product_id == charge.product_id
            )
        if total <= 0:
            continue
        split = split_tax(total, charge.vat.rate)
        items.append(
            InvoiceItem(
                charge.product_id,
                charge.vat.label,
                charge.vat.rate,
                total,
                split.amount_fen,
                split.tax_fen,
            )
        )
    return tuple(items)


def itemised(lines: Sequence[Line]) -> Pricing:
    """Lines with no discounts to net: each invoiceable one an invoice item of its own (keyed
    by its product, else its VAT category), split into amount and tax (an instalment's fee, a
    bill's charges by category, a late fee)."""
    items = []
    for line in lines:
        if not line.invoiceable:
            continue
        assert line.vat is not None
        split = split_tax(line.amount_fen, line.vat.rate)
        items.append(
            InvoiceItem(
                line.product_id or line.vat.id,  # the item's key only
                line.vat.label,
                line.vat.rate,
                line.amount_fen,
                split.amount_fen,
                split.tax_fen,
            )
        )
    return Pricing(tuple(lines), tuple(items), 0, 0, None)


INSTALL_FEE = "安装调测费"
RELOCATION_FEE = "移机费"


@dataclass(frozen=True)
class FixedPlan:
    """A broadband or landline plan as it is priced: its monthly fee (a fusion bundle's, when
    bundled), its installation fee and its contract."""

    item: Item
    install_fee_fen: int
    bundle_name: str | None = None  # priced as this fusion bundle (no plan promotion then)


@dataclass(frozen=True)
class Gear:
    """A modem or router going to the customer: lent against a deposit, lent free, or sold
    (a goods line at its own VAT category)."""

    item: Item  # monthly_fen is the sale price
    serial: str
    mode: str  # deposit, free, bought (EquipmentMode's values)
    deposit_fen: int


def price_fixed_install(
    plans: Sequence[FixedPlan],
    gear: Sequence[Gear],
    offers: Sequence[Offer],
    on: date,
    tier: Tier | None = None,
) -> Pricing:
    """A new broadband and/or landline on the date ``on``: per plan its first month (a
    fusion bundle's fee, or the plan's promotion as its own negative line) and its
    installation fee; per modem or router its deposit (no invoice) or its sale price (a goods
    line); lent free costs nothing now (the terms say so). The contract is the longest
    plan's."""
    lines: list[Line] = []
    applied: list[AppliedPromotion] = []
    if tier is not None and tier.prepayment_fen:  # a pretty landline number's prepaid calls
        lines.append(Line(LineKind.PREPAYMENT, f"{tier.name}预存话费", tier.prepayment_fen, False))
    for plan in plans:
        item = plan.item
        if item.monthly_fen < 0 or plan.install_fee_fen < 0:
            raise ValueError(f"a fee cannot be negative: {item.name}")
        name = f"{plan.bundle_name}（{item.name}）" if plan.bundle_name else item.name
        lines.append(
            Line(
                LineKind.CHARGE,
                f"{name} {FIRST_MONTH}",
                item.monthly_fen,
                True,
                item.product_id,
                item.vat,
            )
        )
        offer = None if plan.bundle_name or item.monthly_fen == 0 else plan_offer(offers, item, on)
        if offer is not None:
            discount = min(offer.monthly_discount_fen, item.monthly_fen)
            applied.append(
                AppliedPromotion(
                    offer.id,
                    offer.code,
                    offer.name,
                    offer.discount_months,
                    item.monthly_fen,
                    item.monthly_fen - discount,
                    item.product_id,
                )
            )
            lines.append(
                Line(
                    LineKind.DISCOUNT,
                    f"{DISCOUNT_PREFIX}{offer.name}",
                    -discount,
                    True,
                    item.product_id,
                    item.vat,
                    offer.id,
                )
            )
        if plan.install_fee_fen:
            lines.append(
                Line(
                    LineKind.CHARGE,
                    f"{item.name} {INSTALL_FEE}",
                    plan.install_fee_fen,
                    True,
                    item.product_id,
                    item.vat,
                )
            )
    for g in gear:
        if g.mode == "deposit" and g.deposit_fen:
            lines.append(
                Line(
                    LineKind.DEPOSIT,
                    f"{g.item.name} 押金（{g.serial}）",
                    g.deposit_fen,
                    False,
                    g.item.product_id,
                )
            )
        elif g.mode == "bought":
            lines.append(
                Line(
                    LineKind.CHARGE,
                    f"{g.item.name}（{g.serial}）",
                    g.item.monthly_fen,
                    True,
                    g.item.product_id,
                    g.item.vat,
                )
            )
    return Pricing(
        lines=tuple(lines),
        invoice_items=_invoice_items(lines),
        lock_in_months=max(
            (*(p.item.lock_in_months for p in plans), tier.lock_in_months if tier else 0)
        ),
        min_monthly_fen=tier.min_monthly_fen if tier else 0,
        promotion=applied[0] if applied else None,
        promotions=tuple(applied),
    )


def price_relocation(plan: Item, fee_fen: int) -> Pricing:
    """Moving a broadband or landline to a new address: the relocation fee, invoiced like the
    service it moves."""
    if fee_fen < 0:
        raise ValueError("a relocation fee cannot be negative")
    lines = (
        [
            Line(
                LineKind.CHARGE,
                f"{plan.name} {RELOCATION_FEE}",
                fee_fen,
                True,
                plan.product_id,
                plan.vat,
            )
        ]
        if fee_fen
        else []
    )
    return Pricing(tuple(lines), _invoice_items(lines), 0, 0, None)


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def promotion_last_day(activated: date, months: int) -> date:
    """The last day of a promotion's discounted months, counted from activation (the first
    month is the one charged at the counter)."""
    return add_months(activated, months) - timedelta(days=1)


def price_fee(
    description: str, fee_fen: int, vat: VatClass | None, product_id: uuid.UUID | None
) -> Pricing:
    """One service fee (补换卡费 …) of the service ``product_id`` (the number's plan) as a
    CHARGE line invoiced under ``vat``; nothing when the fee is zero (no payment is taken)."""
    if fee_fen < 0:
        raise ValueError("a fee cannot be negative")
    lines = [Line(LineKind.CHARGE, description, fee_fen, True, product_id, vat)] if fee_fen else []
    return Pricing(tuple(lines), _invoice_items(lines), 0, 0, None)
