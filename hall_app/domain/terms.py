"""The terms a customer reads on the confirmation screen and signs, printed on the acceptance
form word for word. They are written from the order's pricing, so a promotion charged is a
promotion stated: its name, the discounted fee, for how many months, and the fee after it."""

from __future__ import annotations

from collections.abc import Sequence

from hall_app.domain.masking import mask_phone
from hall_app.domain.money import format_yuan
from hall_app.domain.pricing import AppliedPromotion, Pricing


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
) -> str:
    terms = [
        f"1. 本人申请开通号码 {mask_phone(number)}，办理“{plan_name}”，"
        f"月费 {format_yuan(monthly_fen)}，"
        "自开通之日起按月计费，首月费用于开户时收取。",
    ]
    promotion = pricing.promotion
    if promotion is not None:
        terms.append(
            f"{len(terms) + 1}. 参加优惠活动“{promotion.name}”：{promotion_months_text(promotion)}"
            f"；首月优惠 {format_yuan(promotion.discount_fen)} 已在本次费用中扣减。"
        )
    if addon_names:
        terms.append(
            f"{len(terms) + 1}. 同时开通增值业务：{'、'.join(addon_names)}，"
            "可随时申请退订，次月生效。"
        )
    if pricing.lock_in_months:
        terms.append(
            f"{len(terms) + 1}. 在网期限 {pricing.lock_in_months} 个月，期满前不得办理销户、"
            "过户或降档；提前解约须按协议承担违约责任。"
        )
    if pricing.min_monthly_fen:
        terms.append(
            f"{len(terms) + 1}. 靓号最低月消费 {format_yuan(pricing.min_monthly_fen)}，"
            "当月消费不足部分按最低消费补足。预存话费不退现，按月抵扣。"
        )
    terms.append(
        f"{len(terms) + 1}. 本人承诺所提供证件真实有效，号码仅供本人使用，不出租、出借、转售，"
        "不用于电信网络诈骗等违法活动（《反电信网络诈骗法》）。"
    )
    return "\n".join(terms)
