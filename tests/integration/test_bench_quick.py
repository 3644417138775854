"""`make bench QUICK=1` runs every scenario on a tiny database, so the benchmarks cannot rot.
Speed is not asserted here: only that every figure is produced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_quick_bench_produces_every_figure(tmp_path: Path, pg_server: str) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--cache-dir", str(tmp_path), "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "HALL_BENCH_PG_URL": pg_server},  # S8 pushes to a scratch database
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    ids = [s["id"] for s in report["scenarios"]]
    assert ids == [
        "S1",
        "S2",
        "S2b",
        "S3 phone",
        "S3 id",
        "S3 name",
        "S3 pinyin",
        "S22 phone",
        "S22 id",
        "S22 name",
        "S22 pinyin",
        "S22 record",
        "S22 record_unmasked",
        "S4",
        "S5",
        "S6",
        "S7 receipt",
        "S7 acceptance_form",
        "S7 invoice",
        "S7 installment_contract",
        "S8",
        "S9",
        "S10",
        "S11",
        "S19",
        "S20",
        "S21",
        "S13",
        "S14",
        "S15",
        "S16",
        "E1",
        "E2",
        "E3",
        "E4 open",
        "E4 number",
        "E4 plan",
        "E4 sim",
        "E4 confirm",
        "E4 payment",
        "E4 done",
        "S17",
        "S18",
        "S23",
    ]
    for s in report["scenarios"]:
        assert s["peak_rss_mb"] > 0, s
        assert s["met"] in (True, False), s
    by_id = {s["id"]: s for s in report["scenarios"]}
    timed_with_baseline = [
        i
        for i in [*ids[:7], "S6", "S9", "S10", "S11", "S19", "S20", "S21", "S14", "S15", "S16"]
        + [e for e in ids if e.startswith("E")]
        if i not in ("E4 confirm", "E4 payment")
    ]
    for i in timed_with_baseline:
        s = by_id[i]
        assert s["median_ms"] > 0 and s["p95_ms"] >= s["median_ms"] * 0.5, s
        assert s["baseline_median_ms"] > 0 and s["ratio"] > 0, s
    for i in ("E4 confirm", "E4 payment"):  # screen only: timed, no service call to compare
        assert by_id[i]["median_ms"] > 0 and by_id[i]["baseline_median_ms"] is None
    assert report["machine"]["cores"] >= 1
    # S4's two figures are a maximum and a p95 gap, and the printed table heads them so
    assert by_id["S4"]["columns"] == ["max stall", "p95 gap"]
    # the desk's month: a longest stall and a p95 gap, the month's tickets counted
    assert by_id["S17"]["columns"] == ["max stall", "p95 gap"]
    assert by_id["S17"]["median_ms"] > 0 and by_id["S17"]["extra"]["month_to_charts_median_ms"] > 0
    assert by_id["S18"]["extra"]["tickets_month"] > 0
    assert "| # | scenario | max stall | p95 gap |" in done.stdout
    assert "| S4 |" in done.stdout
    # the order completions' baseline inserts the very rows the order inserted, per order
    for i in ("S6", "S9", "S11", "S20", "S21"):
        extra = by_id[i]["extra"]
        assert extra["baseline_orders"] > 0, extra
        app, raw = (
            {k: v for k, v in w.items() if k.startswith("INSERT")}
            for w in (extra["writes"], extra["baseline_writes"])
        )
        assert app == raw, extra
    assert by_id["S9"]["extra"]["writes"]["INSERT work_orders"] == 1
    assert by_id["S9"]["extra"]["baseline_writes"]["UPDATE install_slots"] == 1
    assert by_id["S10"]["extra"]["searches_finding_none"] == 0
    assert by_id["S11"]["extra"]["writes"]["INSERT instalments"] == 12
    assert by_id["S11"]["extra"]["baseline_writes"]["UPDATE credit_assessments"] == 1
    # 缴费: two bills settled, each bill's conditional UPDATE in the baseline too
    s20 = by_id["S20"]["extra"]
    assert s20["writes"]["INSERT bill_settlements"] == 2, s20
    assert s20["baseline_writes"]["UPDATE bills"] == 2, s20
    assert by_id["S21"]["extra"]["baseline_writes"]["UPDATE subscriptions"] == 1
    assert by_id["S19"]["extra"]["statements_per_call"] > 0
    # hall-app audit verify, the real command, beside a bare pass that hashed the same entries
    s23 = by_id["S23"]
    assert s23["median_ms"] > 0 and s23["baseline_median_ms"] > 0, s23
    assert s23["extra"]["baseline_all_matched"] is True, s23
    assert s23["extra"]["baseline_hashed"] >= s23["extra"]["entries"], s23
    assert "审计链完整" in s23["extra"]["output"], s23
    push = by_id["S8"]
    assert push["median_ms"] > 0 and push["baseline_median_ms"] > 0 and push["met"] is True


def test_only_runs_the_scenarios_named(tmp_path: Path) -> None:
    """`python -m bench --only S3,S22`: those scenarios alone, the README left as it is."""
    out = tmp_path / "results.json"
    readme = (ROOT / "README.md").read_bytes()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench", "--quick", "--only", "S3,S22"),
            *("--cache-dir", str(tmp_path), "--out", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["only"] == ["S22", "S3"]
    assert [s["id"] for s in report["scenarios"]] == [
        *(f"S3 {k}" for k in ("phone", "id", "name", "pinyin")),
        *(f"S22 {k}" for k in ("phone", "id", "name", "pinyin", "record", "record_unmasked")),
    ]
    assert all(s["median_ms"] > 0 for s in report["scenarios"])
    assert (ROOT / "README.md").read_bytes() == readme
    wrong = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "S99"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 2 and "S99" in wrong.stderr
