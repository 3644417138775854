"""Formatting values for screens."""

from __future__ import annotations

from datetime import date, datetime

from hall_app.clock import business_date, fmt_local
from hall_app.domain.money import format_yuan

WEEKDAYS = "一二三四五六日"


def money(fen: int) -> str:
    return format_yuan(fen)


def when(dt: datetime | None) -> str:
    return fmt_local(dt)


def local_day(dt: datetime | None) -> str:
    return "" if dt is None else business_date(dt).isoformat()


def day(d: date | None) -> str:
    return d.isoformat() if d else ""


def today_label(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}"
