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
        "S3 phone",
        "S3 id",
        "S3 name",
        "S3 pinyin",
        "S4",
        "S5",
        "S6",
        "S7 receipt",
        "S7 acceptance_form",
        "S7 invoice",
        "S8",
    ]
    for s in report["scenarios"]:
        assert s["peak_rss_mb"] > 0, s
        assert s["met"] in (True, False), s
    for s in report["scenarios"][:6]:
        assert s["median_ms"] > 0 and s["p95_ms"] >= s["median_ms"] * 0.5
        assert s["baseline_median_ms"] > 0 and s["ratio"] > 0
    assert report["machine"]["cores"] >= 1
    assert "| S4 |" in done.stdout  # the table is printed
    push = report["scenarios"][-1]
    assert push["median_ms"] > 0 and push["baseline_median_ms"] > 0 and push["met"] is True
