"""S13: import of a delivery file of n IMEI rows (终端入库), as the dialog does it: check_file,
then import_file (which checks again and inserts the valid rows in one transaction), with the
progress callback a bar would get. Peak RSS is read after a small warm-up import and again
after the large one: flat memory means the large file adds little. The baseline inserts the
same rows by raw sqlite3 executemany in one transaction (the outbox triggers fire for both)."""

from __future__ import annotations

import csv
import resource
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from hall_app.domain.telecom import luhn_check_digit


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _imei(serial: int, tac: str) -> str:
    body = f"{tac}{serial:06d}"
    return body + luhn_check_digit(body)


def _write(path: Path, rows: int, codes: list[str], tac: str) -> None:
    with path.open("w", encoding="gbk", newline="") as f:  # suppliers' Excel writes GBK
        out = csv.writer(f)
        out.writerow(["IMEI", "型号编码", "备注"])
        for k in range(rows):
            out.writerow([_imei(k, tac), codes[k % len(codes)], "到货"])


def probe_import(db: str, n: int, scratch: Path) -> dict[str, Any]:
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=db))
    boss = hall.auth.log_in("super1", "hall1234")
    codes = [m.code for m in hall.stock.models(boss)]
    small, large = scratch / "import-warmup.csv", scratch / "import-large.csv"
    _write(small, max(n // 100, 100), codes, "35990000")
    _write(large, n, codes, "35990001")
    hall.stock.import_file(boss, small)
    rss_warm = _rss_mb()
    ticks: list[int] = []
    started = time.perf_counter()
    report = hall.stock.check_file(boss, large, lambda done, _total: ticks.append(done))
    checked = time.perf_counter()
    done = hall.stock.import_file(boss, large, lambda done, _total: ticks.append(done))
    finished = time.perf_counter()
    rss_after = _rss_mb()
    hall.close()
    assert report.valid == n and done.imported == n, (report.valid, done.imported)
    return {
        "rows": n,
        "total_ms": (finished - started) * 1000,
        "check_ms": (checked - started) * 1000,
        "import_ms": (finished - checked) * 1000,
        "progress_calls": len(ticks),
        "rss_warm_mb": round(rss_warm, 1),
        "rss_growth_mb": round(rss_after - rss_warm, 1),
        "baseline_ms": _raw_insert(db, n, codes),
        "file_mb": round(large.stat().st_size / 1e6, 2),
    }


def _raw_insert(db: str, n: int, codes: list[str]) -> float:
    """The same kind of rows, raw, one transaction, then rolled back (the database stays as
    the app left it)."""
    conn = sqlite3.connect(db.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("PRAGMA cache_size=-65536")
    try:
        ids = dict(conn.execute("SELECT code, id FROM products WHERE kind = 'handset'").fetchall())
        hall_id = conn.execute("SELECT id FROM halls LIMIT 1").fetchone()[0]
        now = "2026-11-24 02:00:00.000000"
        rows = [
            (
                uuid.uuid4().hex,
                now,
                now,
                ids[codes[k % len(codes)]],
                _imei(k, "35990002"),
                "in_stock",
                hall_id,
                "营业厅库房",
                now,
            )
            for k in range(n)
        ]
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO devices (id, created_at, updated_at, product_id, imei, status, "
            "hall_id, location, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        elapsed = (time.perf_counter() - started) * 1000
        conn.execute("ROLLBACK")
        return elapsed
    finally:
        conn.close()
