"""The appraisal's arithmetic: achievement capped at the target, less-is-better KPIs, no data
scores nothing, shared ranks."""

from __future__ import annotations

import pytest

from hall_app.domain.appraisal import achievement, kpi_text, kpis, ranks, score

KPIS = {
    k.code: k
    for k in kpis(
        (
            ("served", 0.25, 600.0),
            ("avg_service_minutes", 0.15, 10.0),
            ("revenue_fen", 0.10, 5_000_000.0),
        )
    )
}


def test_achievement_is_capped_and_less_is_better_inverts() -> None:
    assert achievement(KPIS["served"], 450) == pytest.approx(0.75)
    assert achievement(KPIS["served"], 900) == 1.0
    assert achievement(KPIS["avg_service_minutes"], 8) == 1.0  # faster than the target
    assert achievement(KPIS["avg_service_minutes"], 12.5) == pytest.approx(0.8)
    assert achievement(KPIS["served"], None) == 0.0  # no data, no points


def test_points_are_weight_times_achievement() -> None:
    s = score(KPIS["served"], 450)
    assert s.points == pytest.approx(0.25 * 0.75 * 100)  # 18.75
    assert score(KPIS["revenue_fen"], 2_500_000).points == pytest.approx(5.0)
    assert kpi_text(KPIS["revenue_fen"], 2_500_000) == "¥25,000.00"
    assert kpi_text(KPIS["served"], 450) == "450 人"


def test_equal_scores_share_a_rank() -> None:
    assert ranks([80.0, 95.5, 80.0, 60.0]) == [2, 1, 2, 4]
    assert ranks([]) == []


def test_a_bad_configuration_is_said_at_once() -> None:
    with pytest.raises(ValueError, match="unknown appraisal KPI"):
        kpis((("smiles", 1.0, 1.0),))
    with pytest.raises(ValueError, match="target > 0"):
        kpis((("served", 1.0, 0.0),))
