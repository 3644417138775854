"""The terms a customer reads on the confirmation screen and signs, printed on the acceptance
form word for word. They are written from the order's pricing, so a promotion charged is a
promotion stated: its name, the discounted fee, for how many months, and the fee after it.

The clauses' wording is data (``resources/terms/open_mobile.toml``, read by the services and
passed in); which clauses appear, their numbers and the values filled in are decided here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hall_app.domain.handsets import ScheduledInstalment, return_deadline
from hall_app.domain.masking import mask_address, mask_phone
from hall_app.domain.money import format_yuan
from hall_app.domain.pricing import AppliedPromotion, Gear, Pricing

OPEN_MOBILE_CLAUSES = frozenset({"plan", "promotion", "addons", "lock_in", "pretty", "pledge"})


def promotion_months_text(promotion: AppliedPromotion) -> str:
    """``第 1–6 个月月费 ¥64.50，第 7 个月起 ¥129.00``."""
    months = "第 1 个月" if promotion.months == 1 else f"第 1–{promotion.months} 个月"
    return (
        f"{months}月费 {format_yuan(promotion.discounted_fen)}，"
        f"第 {promotion.months + 1} 个月起 {format_yuan(promotion.regular_fen)}"
    )


def open_mobile_terms(
    number: str,
    plan_name: str,
    monthly_fen: int,
    pricing: Pricing,
    addon_names: Sequence[str],
    clauses: Mapping[str, str],
) -> str:
    """The numbered terms; values are filled in with ``str.format`` and never interpreted."""
    terms = [
        clauses["plan"].format(
            number=mask_phone(number), plan=plan_name, monthly=format_yuan(monthly_fen)
        )
    ]
    promotion = pricing.promotion
    if promotion is not None:
        terms.append(
            clauses["promotion"].format(
                name=promotion.name,
                months=promotion_months_text(promotion),
                discount=format_yuan(promotion.discount_fen),
            )
        )
    if addon_names:
        terms.append(clauses["addons"].format(addons="、".join(addon_names)))
    if pricing.lock_in_months:
        terms.append(clauses["lock_in"].format(months=pricing.lock_in_months))
    if pricing.min_monthly_fen:
        terms.append(clauses["pretty"].format(min_monthly=format_yuan(pricing.min_monthly_fen)))
    terms.append(clauses["pledge"])
    return "\n".join(f"{i}. {text}" for i, text in enumerate(terms, start=1))


@dataclass(frozen=True)
class FixedTermsPlan:
    """What the terms say of one broadband or landline plan of the order."""

    kind: str  # broadband, landline
    name: str
    monthly_fen: int  # what is charged monthly (a bundle's fee when bundled)
    speed_mbps: int | None = None
    number: str = ""  # the landline number, as written
    tier_name: str | None = None  # a pretty landline number's tier
    bundle_name: str | None = None
    regular_fen: int = 0  # the plan's own fee, when bundled
    mobile_number: str = ""  # the bundled mobile number (masked in the terms)
    mobile_plan: str = ""


def fixed_install_terms(
    address: str,
    technology: str,
    plans: Sequence[FixedTermsPlan],
    gear: Sequence[Gear],
    pricing: Pricing,
    install_fee_fen: int,
    window: str,
    promised: date,
    provisional: bool,
    clauses: Mapping[str, str],
) -> str:
    """The numbered terms of a new broadband and/or landline: each plan (a bundle, a
    promotion), the installation with its appointment and promised date, each modem or
    router and how it is provided, the contract, the pledge."""
    terms: list[str] = []
    for plan in plans:
        if plan.kind == "broadband":
            terms.append(
                clauses["broadband"].format(
                    address=mask_address(address),  # sealed where it is kept
                    plan=plan.name,
                    speed=f"{plan.speed_mbps}M" if plan.speed_mbps else "—",
                    technology=technology,
                    monthly=format_yuan(plan.monthly_fen),
                )
            )
            if plan.bundle_name:
                terms.append(
                    clauses["bundle"].format(
                        number=mask_phone(plan.mobile_number),
                        mobile_plan=plan.mobile_plan,
                        bundle=plan.bundle_name,
                        monthly=format_yuan(plan.monthly_fen),
                        regular=format_yuan(plan.regular_fen),
                    )
                )
        else:
            terms.append(
                clauses["landline"].format(
                    number=plan.number, plan=plan.name, monthly=format_yuan(plan.monthly_fen)
                )
            )
    for promotion in pricing.promotions or ((pricing.promotion,) if pricing.promotion else ()):
        terms.append(
            clauses["promotion"].format(
                name=promotion.name,
                months=promotion_months_text(promotion),
                discount=format_yuan(promotion.discount_fen),
            )
        )
    for plan in plans:
        if plan.tier_name:
            terms.append(
                clauses["landline_pretty"].format(
                    number=plan.number,
                    tier=plan.tier_name,
                    prepayment=format_yuan(pricing.prepaid_fen),
                    min_monthly=format_yuan(pricing.min_monthly_fen),
                )
            )
    terms.append(
        clauses["install"].format(
            fee=format_yuan(install_fee_fen),
            window=window,
            promised=f"{promised:%Y-%m-%d}",
            provisional=clauses["provisional"] if provisional else "",
        )
    )
    for g in gear:
        key = {"deposit": "gear_deposit", "free": "gear_free", "bought": "gear_bought"}[g.mode]
        terms.append(
            clauses[key].format(
                name=g.item.name,
                serial=g.serial,
                deposit=format_yuan(g.deposit_fen),
                price=format_yuan(g.item.monthly_fen),
            )
        )
    if pricing.lock_in_months:
        terms.append(clauses["lock_in"].format(months=pricing.lock_in_months))
    terms.append(clauses["pledge"])
    return "\n".join(f"{i}. {text}" for i, text in enumerate(terms, start=1))


def relocation_terms(
    kind_label: str,
    number: str,
    old_address: str,
    new_address: str,
    fee_fen: int,
    window: str,
    promised: date,
    provisional: bool,
    clauses: Mapping[str, str],
) -> str:
    terms = [
        clauses["relocation"].format(
            kind=kind_label,
            number=number,
            old=mask_address(old_address),  # the addresses are sealed where kept
            new=mask_address(new_address),
            fee=format_yuan(fee_fen),
        ),
        clauses["relocation_window"].format(
            window=window,
            promised=f"{promised:%Y-%m-%d}",
            provisional=clauses["provisional"] if provisional else "",
        ),
        clauses["pledge"],
    ]
    return "\n".join(f"{i}. {text}" for i, text in enumerate(terms, start=1))


HANDSET_CLAUSES = frozenset(
    {
        "handset",
        "returns",
        "contract",
        "clawback",
        "installment",
        "fee_stated",
        "fee_rate",
        "fee_none",
        "schedule",
        "schedule_row",
        "payoff",
        "payoff_fee",
        "payoff_free",
        "overdue",
        "pledge",
    }
)
SCHEDULE_INDENT = "\n   "  # each instalment of the schedule on its own line


@dataclass(frozen=True)
class HandsetTermsContract:
    """What the terms say of a contract phone's commitment."""

    offer_name: str
    subsidy_fen: int
    months: int
    number: str  # the subscription's number (masked in the terms)
    plan_name: str
    plan_fen: int
    min_plan_fen: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class HandsetTermsInstallment:
    """What the terms say of an installment purchase: the down payment, the fee or rate, every
    instalment and the early-payoff rule."""

    offer_name: str
    down_payment_fen: int
    schedule: Sequence[ScheduledInstalment]
    monthly_rate: Decimal  # 0 when the offer states a fee
    payoff_fee_fen: int


def handset_terms(
    name: str,
    imei: str,
    price_fen: int,
    warranty_from: date,
    clauses: Mapping[str, str],
    *,
    contract: HandsetTermsContract | None = None,
    installment: HandsetTermsInstallment | None = None,
    return_days: int = 0,
) -> str:
    """The numbered terms of a handset sale: the handset and its IMEI; a contract phone's
    commitment and its clawback rule; an installment purchase's amounts, its schedule (each
    instalment's due date and amount in figures) and the early-payoff rule; a sale outright
    its ``return_days`` return period (BusinessRules.handset_return_days, the day of sale
    being day 0) with its last day; the pledge."""
    terms = [
        clauses["handset"].format(
            name=name, imei=imei, price=format_yuan(price_fen), warranty=f"{warranty_from:%Y-%m-%d}"
        )
    ]
    if contract is None and installment is None and return_days > 0:
        terms.append(
            clauses["returns"].format(
                days=return_days,
                deadline=f"{return_deadline(warranty_from, return_days):%Y-%m-%d}",
            )
        )
    if contract is not None:
        c = contract
        terms.append(
            clauses["contract"].format(
                offer=c.offer_name,
                subsidy=format_yuan(c.subsidy_fen),
                number=mask_phone(c.number),
                plan=c.plan_name,
                plan_fee=format_yuan(c.plan_fen),
                min_plan=format_yuan(c.min_plan_fen),
                months=c.months,
                starts=f"{c.starts_on:%Y-%m-%d}",
                ends=f"{c.ends_on:%Y-%m-%d}",
            )
        )
        terms.append(
            clauses["clawback"].format(
                min_plan=format_yuan(c.min_plan_fen),
                subsidy=format_yuan(c.subsidy_fen),
                months=c.months,
            )
        )
    if installment is not None:
        i = installment
        rows = tuple(i.schedule)
        financed = sum(r.principal_fen for r in rows)
        fee = sum(r.fee_fen for r in rows)
        if i.monthly_rate:
            fee_text = clauses["fee_rate"].format(
                rate=f"{(i.monthly_rate * 100).normalize():f}", fee=format_yuan(fee)
            )
        elif fee:
            fee_text = clauses["fee_stated"].format(fee=format_yuan(fee))
        else:
            fee_text = clauses["fee_none"]
        terms.append(
            clauses["installment"].format(
                offer=i.offer_name,
                price=format_yuan(price_fen),
                down=format_yuan(i.down_payment_fen),
                financed=format_yuan(financed),
                months=len(rows),
                fee=fee_text,
                total=format_yuan(financed + fee),
            )
        )
        listed = "".join(
            SCHEDULE_INDENT
            + clauses["schedule_row"].format(
                seq=r.seq,
                due=f"{r.due_date:%Y-%m-%d}",
                amount=format_yuan(r.amount_fen),
                principal=format_yuan(r.principal_fen),
                fee=format_yuan(r.fee_fen),
            )
            for r in rows
        )
        terms.append(clauses["schedule"].format(months=len(rows), rows=listed))
        terms.append(
            clauses["payoff"].format(
                payoff_fee=clauses["payoff_fee"].format(fee=format_yuan(i.payoff_fee_fen))
                if i.payoff_fee_fen
                else clauses["payoff_free"]
            )
        )
        terms.append(clauses["overdue"])
    terms.append(clauses["pledge"])
    return "\n".join(f"{n}. {text}" for n, text in enumerate(terms, start=1))
