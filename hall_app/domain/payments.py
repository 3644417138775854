"""Settling a bill at the counter: one or more methods, cash with change, references for
card and wallet payments. All amounts in fen."""

from __future__ import annotations

from dataclasses import dataclass

from hall_app.domain.enums import PaymentMethod
from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan


@dataclass(frozen=True)
class PaymentInput:
    method: PaymentMethod
    amount_fen: int  # what this method pays of the bill
    tendered_fen: int | None = None  # cash handed over
    reference: str = ""  # card slip or wallet transaction number


@dataclass(frozen=True)
class SettledPayment:
    method: PaymentMethod
    amount_fen: int
    tendered_fen: int | None
    change_fen: int
    reference: str


def settle(total_fen: int, payments: list[PaymentInput]) -> list[SettledPayment]:
    """Check that the payments cover the bill exactly and work out the change."""
    if total_fen < 0:
        raise ValueError("a bill cannot be negative")
    if total_fen == 0:
        if payments:
            raise ValidationError("本单无需收费", "支付金额")
        return []
    if not payments:
        raise ValidationError(f"请收取 {format_yuan(total_fen)}", "支付方式")
    if sum(1 for p in payments if p.method is PaymentMethod.CASH) > 1:
        raise ValidationError("现金只能记一笔", "支付方式")
    settled = []
    for p in payments:
        label = p.method.label
        if p.amount_fen <= 0:
            raise ValidationError(f"{label}金额必须大于零", "支付金额")
        if p.method is PaymentMethod.CASH:
            tendered = p.amount_fen if p.tendered_fen is None else p.tendered_fen
            if tendered < p.amount_fen:
                raise ValidationError(
                    f"实收 {format_yuan(tendered)} 少于应收现金 {format_yuan(p.amount_fen)}",
                    "实收现金",
                )
            settled.append(
                SettledPayment(p.method, p.amount_fen, tendered, tendered - p.amount_fen, "")
            )
        else:
            reference = p.reference.strip()
            if len(reference) < 6 or not reference.isalnum():
                raise ValidationError(
                    f"{label}须录入交易参考号（至少 6 位字母或数字）", "交易参考号"
                )
            settled.append(SettledPayment(p.method, p.amount_fen, None, 0, reference))
    paid = sum(p.amount_fen for p in settled)
    if paid != total_fen:
        raise ValidationError(
            f"各项支付合计 {format_yuan(paid)}，应收 {format_yuan(total_fen)}", "支付金额"
        )
    return settled
