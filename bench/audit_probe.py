"""S23: ``hall-app audit verify`` over a long audit chain (issue 15 §2).

:func:`ensure_audit_database` builds, once, a scratch database holding ``n`` synthetic audit
entries written as the app writes them: the demo's counters and staff, each entry numbered and
hashed by :func:`hall_app.services.audit_chain.entry_hash` as the next of its counter's chain
and stored through audit_log's own column types (the ORM's flush would store the same text).
The payloads mimic the app's: order completions, payments, record views, changes of a
customer's data (masked numbers, Chinese text), up to some 300 bytes of JSON.

:func:`raw_pass` is the baseline: a bare ``sqlite3`` cursor reading the same rows in chain
order and hashing each entry's canonical form with hashlib, nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 1, 2, 0, 30, tzinfo=UTC)
_BATCH = 20_000


def _payloads(rng: random.Random, i: int) -> tuple[str, str, dict[str, Any] | None, Any]:
    """(action, entity, before, after) of the ``i``-th synthetic entry."""
    kind = i % 10
    fen = rng.randrange(100, 500_000)
    phone = f"1{rng.randrange(30, 99)}****{rng.randrange(10_000):04d}"
    if kind < 4:
        return (
            "order.completed",
            "order",
            None,
            {
                "order_no": f"O2025{i:09d}",
                "kind": rng.choice(["open_mobile", "top_up", "handset", "fixed_line"]),
                "total_fen": fen,
                "paid_fen": fen,
                "service_number": phone,
                "items": [{"sku": f"SKU{rng.randrange(900):03d}", "qty": 1, "fen": fen}],
            },
        )
    if kind < 6:
        return (
            "bill.settled",
            "bill",
            {"status": "unpaid", "due_fen": fen},
            {"status": "paid", "due_fen": 0, "method": rng.choice(["cash", "wechat", "alipay"])},
        )
    if kind < 8:
        return (
            "customer.viewed_unmasked",
            "customer",
            None,
            {"fields": ["id_number", "contact_phone"], "reason": "客户本人办理业务核验"},
        )
    if kind == 8:
        return (
            "customer.data_changed",
            "customer",
            {"contact_phone": phone, "address": "北京市朝阳区****"},
            {"contact_phone": f"1{rng.randrange(30, 99)}****{rng.randrange(10_000):04d}"},
        )
    return ("auth.logged_in", "staff", None, None)


def build(url: str, n: int) -> None:
    """Append ``n`` entries to the chains of the database at ``url`` (the demo's counters)."""
    from sqlalchemy import insert, select

    from hall_app.db.engine import make_engine
    from hall_app.db.models import AuditEntry, Counter, Staff
    from hall_app.services import audit_chain

    engine = make_engine(url)
    rng = random.Random(23)
    with engine.begin() as conn:
        counters: list[uuid.UUID | None] = list(conn.scalars(select(Counter.id)))
        staff = list(conn.execute(select(Staff.id, Staff.username)))
        heads: dict[uuid.UUID | None, tuple[int, str]] = dict(audit_chain.heads(conn))
    chains = [*counters, None]  # the entries with no counter: a chain of their own
    table = AuditEntry.__table__
    rows: list[dict[str, Any]] = []
    for i in range(n):
        # Most entries at a counter; every 20th a script's (no counter, no staff member).
        counter_id = None if i % 20 == 19 else chains[i % len(counters)]
        staff_id, username = staff[i % len(staff)] if counter_id else (None, "system")
        at = T0 + timedelta(seconds=i * 30, microseconds=rng.randrange(1_000_000))
        action, entity, before, after = _payloads(rng, i)
        seq, prev = heads.get(counter_id, (0, audit_chain.GENESIS))
        entry_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        fields: dict[str, Any] = {
            "id": entry_id,
            "at": at,
            "staff_id": staff_id,
            "actor_name": username,
            "counter_id": counter_id,
            "action": action,
            "entity": entity,
            "entity_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "before": before,
            "after": after,
            "seq": seq + 1,
            "prev_hash": prev,
        }
        fields["entry_hash"] = audit_chain.hash_of_row(fields)
        heads[counter_id] = (seq + 1, fields["entry_hash"])
        rows.append({**fields, "created_at": at, "updated_at": at})
        if len(rows) >= _BATCH or i == n - 1:
            with engine.begin() as conn:
                conn.execute(insert(table), rows)
            rows = []
    engine.dispose()


def ensure_audit_database(cache: Path, n: int) -> Path:
    """The cached database file of ``n`` synthetic entries (built once)."""
    path = cache / f"bench-audit-{n}.sqlite3"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".building")
        for stale in cache.glob(tmp.name + "*"):
            stale.unlink()
        print(f"building the audit-chain database ({n:,} entries) once …", flush=True)
        url = f"sqlite:///{tmp}"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "main.py"),
                "--db",
                url,
                "demo",
                "--customers",
                "20",
                "--days",
                "1",
                "--seed",
                "1",
                "--today",
                "2026-11-24",
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        build(url, n)
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        tmp.rename(path)
    return path


# -- the baseline -------------------------------------------------------------------------------
_RAW_SQL = (
    "SELECT id, at, staff_id, actor_name, counter_id, action, entity, entity_id, before, after,"
    " seq, prev_hash, entry_hash FROM audit_log WHERE seq IS NOT NULL"
)


def raw_pass(path: str) -> dict[str, Any]:
    """Read every chained entry in table order on a bare sqlite3 connection, hash its canonical
    form (audit_chain's serialisation, written out by hand) and compare: the floor under
    ``verify``. Returns the time and the entries hashed (all of which must match)."""
    started = time.perf_counter()
    con = sqlite3.connect(path)
    sha = hashlib.sha256
    checked = matched = 0
    cur = con.execute(_RAW_SQL)
    while True:
        page = cur.fetchmany(10_000)
        if not page:
            break
        for r in page:
            parts = []
            for f in (*r[:8], r[8] or "null", r[9] or "null", str(r[10]), r[11]):
                parts.append("~" if f is None else f"{len(f)}:{f}")
            matched += sha("".join(parts).encode()).hexdigest() == r[12]
        checked += len(page)
    con.close()
    return {"ms": (time.perf_counter() - started) * 1000, "checked": checked, "matched": matched}


def _timed(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd`` in a fresh process: its wall time, CPU time (user + system), peak RSS and
    output, from the process's own resource usage (os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = (time.perf_counter() - started) * 1000
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:4])} failed ({child.returncode}):\n{stderr[-3000:]}")
    return {
        "wall_ms": wall,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "stdout": stdout,
    }


def probe_audit_verify(path: Path, runs: int) -> dict[str, Any]:
    """``hall-app audit verify`` on the database, the real command in a fresh process, ``runs``
    times, each beside the baseline (:func:`raw_pass`, in a fresh process too), interleaved
    so the machine's noise hits both alike. Wall time of the whole command, startup included."""
    cli: list[dict[str, Any]] = []
    raw: list[dict[str, Any]] = []
    command = [sys.executable, str(ROOT / "main.py"), "--db", f"sqlite:///{path}", "audit"]
    command.append("verify")
    for _ in range(runs):
        cli.append(_timed(command))
        done = _timed([sys.executable, "-m", "bench.audit_probe", "raw", str(path)])
        done["result"] = json.loads(done["stdout"].strip().splitlines()[-1])
        raw.append(done)
    return {"cli": cli, "raw": raw}


if __name__ == "__main__":  # python -m bench.audit_probe raw PATH: the baseline, alone
    if sys.argv[1:2] != ["raw"] or len(sys.argv) != 3:
        raise SystemExit("usage: python -m bench.audit_probe raw PATH")
    print(json.dumps(raw_pass(sys.argv[2])))
