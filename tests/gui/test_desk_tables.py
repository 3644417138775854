"""The queue review's display helpers: durations, percentages, the chart keys the desk draws."""

from __future__ import annotations

import pytest

from hall_app.documents.charts import CHARTS
from ui.desk.chart_view import CHART_KEYS
from ui.desk.queue_tables import SPECS, duration, pct


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "—"), (0, "0:00"), (59.4, "0:59"), (59.6, "1:00"), (754, "12:34"), (3725, "1:02:05")],
)
def test_durations_read_as_minutes_and_seconds(seconds: float | None, shown: str) -> None:
    assert duration(seconds) == shown


def test_no_data_is_a_dash_not_zero() -> None:
    assert pct(None) == "—"
    assert pct(0.0) == "0.0%"
    assert pct(66.666) == "66.7%"


def test_the_desk_draws_every_chart_of_the_report() -> None:
    assert tuple(key for key, _ in CHARTS) == CHART_KEYS


def test_each_table_sample_has_a_value_per_column() -> None:
    for spec in SPECS:
        assert len(spec.sample) == len(spec.headers), spec.key
