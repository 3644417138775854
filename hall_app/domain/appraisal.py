"""The monthly appraisal (月度考核表): each KPI's achievement of its target, the weighted score,
and the rank in the hall. Pure: no database.

A KPI's achievement is value ÷ target, capped at 100 %; for a KPI where less is better
(average service time) it is target ÷ value, capped at 100 %. A KPI with no data (no ticket
served, no answer given) achieves 0. Points = weight × achievement × 100; the score is the sum
(100 when every target is met and the weights add up to 1). Equal scores share a rank
(1, 1, 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# code: (label, unit, less is better)
KPI_DEFINITIONS: dict[str, tuple[str, str, bool]] = {
    "served": ("服务人数", "人", False),
    "within_target_pct": ("等候达标率", "%", False),
    "avg_service_minutes": ("平均办理时长", "分钟", True),
    "satisfied_pct": ("满意率", "%", False),
    "revenue_fen": ("营业收入", "元", False),
}


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    unit: str
    weight: float
    target: float
    lower_is_better: bool


@dataclass(frozen=True)
class KpiScore:
    kpi: Kpi
    value: float | None  # None: no data in the month
    achievement: float  # 0 … 1
    points: float  # weight × achievement × 100


def kpis(configured: Sequence[tuple[str, float, float]]) -> tuple[Kpi, ...]:
    """The configured (code, weight, target) as KPIs; an unknown code or a bad number is a
    configuration error, said at once."""
    out: list[Kpi] = []
    for code, weight, target in configured:
        if code not in KPI_DEFINITIONS:
            raise ValueError(f"unknown appraisal KPI {code!r}")
        if weight < 0 or target <= 0:
            raise ValueError(f"appraisal KPI {code!r}: weight >= 0 and target > 0 required")
        label, unit, lower = KPI_DEFINITIONS[code]
        out.append(Kpi(code, label, unit, weight, target, lower))
    return tuple(out)


def achievement(kpi: Kpi, value: float | None) -> float:
    if value is None:
        return 0.0
    if kpi.lower_is_better:
        return 1.0 if value <= kpi.target else kpi.target / value
    return max(0.0, min(1.0, value / kpi.target))


def score(kpi: Kpi, value: float | None) -> KpiScore:
    got = achievement(kpi, value)
    return KpiScore(kpi, value, got, kpi.weight * got * 100)


def ranks(scores: Sequence[float]) -> list[int]:
    """Competition ranking, highest first: equal scores share a rank (1, 1, 3)."""
    rounded = [round(s, 6) for s in scores]
    return [1 + sum(1 for other in rounded if other > mine) for mine in rounded]


def kpi_text(kpi: Kpi, value: float | None) -> str:
    """A KPI's value (or target) as shown on the sheet: 120 人, 92.5%, 8.3 分钟, ¥1,234.00."""
    if value is None:
        return "—"
    if kpi.code == "revenue_fen":
        return f"¥{value / 100:,.2f}"
    if kpi.unit == "%":
        return f"{value:.1f}%"
    if kpi.unit == "人":
        return f"{value:.0f} 人"
    return f"{value:.1f} {kpi.unit}"
