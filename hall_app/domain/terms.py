"""The terms a customer reads on the confirmation screen and signs, printed on the acceptance
form word for word. They are written from the order's pricing, so a promotion charged is a
promotion stated: its name, the discounted fee, for how many months, and the fee after it.

The clauses' wording is data (``resources/terms/open_mobile.toml``, read by the services and
passed in); which clauses appear, their numbers and the values filled in are decided here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hall_app.domain.masking import mask_phone
from hall_app.domain.money import format_yuan
from hall_app.domain.pricing import AppliedPromotion, Pricing

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
