"""`python -m bench.migration_1m`: migration 0019 (sealing the personal data in place) on the
1,000,000-customer benchmark database, timed, killed once and resumed (issue 15 §1).

1. A copy of the benchmark database (``bench/cache``, built by ``python -m bench`` if missing)
   is taken back to 0018 by the migration's own downgrade (``sealing.open_all``): a
   pre-0019 database holding the same people in plaintext.
2. ``hall-app migrate`` upgrades a copy of it to head, with its progress bars: the full time.
3. ``hall-app migrate`` upgrades another copy and is killed with SIGKILL once the customers'
   bar passes ``--kill-at`` (half by default); run again, it goes on where it stopped.
4. Both results are checked: every value of every sealed column in the ``e1.`` form, every
   customer's blind indexes filled, known customers (read before the downgrade) found by ID
   number, phone and name through ``CustomerService.search_customers`` and opened with the same
   values, ``PRAGMA integrity_check`` and ``foreign_key_check`` clean, the revision at head.

Prints a summary and, last, one JSON line with the figures (``--out`` writes it too). A failed
check exits non-zero. ``--source`` and ``--batch`` let a test run it on a small database.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
_BAR = re.compile(r"加密 customers:.*?(\d+)/(\d+)")


@dataclass(frozen=True)
class Known:
    """A customer read (opened) before the downgrade, looked for after the upgrade."""

    id: uuid.UUID
    name: str
    id_number: str
    contact_phone: str
    address: str


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _install_keys() -> None:
    from hall_app.db import crypto
    from hall_app.keyfile import load_keys

    if crypto.installed() is None:
        crypto.install(load_keys(Path(os.environ["HALL_KEY_FILE"]), create=False))


def known_customers(db: Path, n: int) -> list[Known]:
    """``n`` individuals with an ID number and a phone, spread over the table."""
    from sqlalchemy import literal_column, select
    from sqlalchemy.orm import Session

    from hall_app.db.engine import make_engine
    from hall_app.db.models import Customer
    from hall_app.domain.enums import CustomerKind

    _install_keys()
    engine = make_engine(_url(db))
    rowid = literal_column("customers.rowid")
    try:
        with Session(engine) as s:
            total = s.scalar(select(literal_column("max(rowid)")).select_from(Customer)) or 1
            step = max(1, total // (4 * n))
            people = s.scalars(
                select(Customer)
                .where(
                    Customer.kind == CustomerKind.INDIVIDUAL,
                    Customer.id_number.is_not(None),
                    Customer.contact_phone.is_not(None),
                    rowid % step == 0,
                )
                .limit(n)
            )
            return [
                Known(c.id, c.name, c.id_number or "", c.contact_phone or "", c.address)
                for c in people
            ]
    finally:
        engine.dispose()


def downgrade(db: Path) -> float:
    """Take ``db`` back to 0018 (the migration's downgrade opens every value); seconds."""
    from alembic import command

    from hall_app.db.engine import make_engine
    from hall_app.db.migrate import alembic_config

    _install_keys()
    engine = make_engine(_url(db))
    try:
        started = time.perf_counter()
        command.downgrade(alembic_config(engine), "0018")
        return time.perf_counter() - started
    finally:
        engine.dispose()


def _migrate_cmd(db: Path, batch: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "bench.migration_1m", "--upgrade-only", str(db)]
    return cmd + (["--batch", str(batch)] if batch else [])


def upgrade(db: Path, batch: int | None, kill_at: float | None = None) -> dict[str, Any]:
    """``hall-app migrate`` on ``db`` in a child process, its bars passed through to stderr;
    killed with SIGKILL once the customers' bar passes ``kill_at`` (a fraction)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    child = subprocess.Popen(_migrate_cmd(db, batch), stderr=subprocess.PIPE, env=env, cwd=ROOT)
    assert child.stderr is not None
    pending = b""
    killed_at: tuple[int, int] | None = None
    while True:
        chunk = os.read(child.stderr.fileno(), 4096)
        if not chunk:
            break
        sys.stderr.buffer.write(chunk)
        sys.stderr.buffer.flush()
        if kill_at is None or killed_at is not None:
            continue
        pending = (pending + chunk)[-2000:]
        for done, total in _BAR.findall(pending.decode("utf-8", "replace")):
            if int(total) and int(done) / int(total) >= kill_at and int(done) < int(total):
                os.kill(child.pid, signal.SIGKILL)
                killed_at = (int(done), int(total))
                break
    code = child.wait()
    seconds = time.perf_counter() - started
    if kill_at is not None:
        if killed_at is None or code != -signal.SIGKILL:
            raise SystemExit(f"the upgrade was not killed midway (exit {code})")
    elif code != 0:
        raise SystemExit(f"the upgrade failed (exit {code})")
    return {"seconds": round(seconds, 1), "killed_at": killed_at, "exit": code}


def state(db: Path) -> dict[str, Any]:
    """What a database holds: revision, customers, sealed values, blind indexes."""
    import sqlite3

    con = sqlite3.connect(db)
    try:

        def one(sql: str) -> Any:
            return con.execute(sql).fetchone()[0]

        out: dict[str, Any] = {
            "revision": one("SELECT version_num FROM alembic_version"),
            "customers": one("SELECT count(*) FROM customers"),
            "customers_name_sealed": one("SELECT count(*) FROM customers WHERE name LIKE 'e1.%'"),
        }
        columns = {r[1] for r in con.execute("PRAGMA table_info(customers)")}
        if "name_p1" in columns:
            out["customers_indexed"] = one(
                "SELECT count(*) FROM customers WHERE name_p1 IS NOT NULL"
            )
        return out
    finally:
        con.close()


def check(db: Path, known: list[Known]) -> dict[str, Any]:
    """Every check of a finished upgrade; raises SystemExit naming the first that fails."""
    import sqlite3

    from hall_app.db import blind
    from hall_app.db.migrate import HEAD_REVISION
    from hall_app.db.sealing import SEALED

    failures: list[str] = []
    con = sqlite3.connect(db)
    counts: dict[str, int] = {}
    try:
        if (rev := state(db)["revision"]) != HEAD_REVISION:
            failures.append(f"revision {rev}, not {HEAD_REVISION}")
        for table, columns in SEALED.items():
            for column in columns:
                plain, sealed = con.execute(
                    f"SELECT sum({column} NOT LIKE 'e1.%'), sum({column} LIKE 'e1.%') "
                    f"FROM {table} WHERE {column} IS NOT NULL"
                ).fetchone()
                counts[f"{table}.{column}"] = sealed or 0
                if plain:
                    failures.append(f"{plain} values of {table}.{column} not sealed")
        for index, source in (
            ("name_p1", "name"),
            ("initials_p1", "name"),
            ("id_number_bidx", "id_number"),
            ("contact_phone_bidx", "contact_phone"),
            ("alt_phone_bidx", "alt_phone"),
        ):
            missing = con.execute(
                f"SELECT count(*) FROM customers WHERE {source} IS NOT NULL AND {index} IS NULL"
            ).fetchone()[0]
            if missing:
                failures.append(f"{missing} customers without {index}")
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            failures.append(f"integrity_check: {integrity}")
        broken = con.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            failures.append(f"foreign_key_check: {broken[:5]}")
        for k in known:
            row = con.execute(
                "SELECT id_number_bidx, contact_phone_bidx FROM customers WHERE id = ?",
                (k.id.hex,),
            ).fetchone()
            if row != (blind.id_index(k.id_number), blind.phone_index(k.contact_phone)):
                failures.append(f"blind indexes of {k.id} wrong")
    finally:
        con.close()
    found = _search(db, known, failures)
    if failures:
        raise SystemExit(f"{db.name}: " + "; ".join(failures[:10]))
    return {"sealed_values": sum(counts.values()), "integrity": "ok", "found": found}


def _search(db: Path, known: list[Known], failures: list[str]) -> int:
    """The known customers found by ID number, phone and name, and opened unchanged."""
    from hall_app.app import build_app
    from hall_app.config import Settings

    hall = build_app(Settings.load(db_url=_url(db)))
    found = 0
    try:
        supervisor = hall.auth.log_in("super1", "hall1234")
        for k in known:
            by_id = hall.customers.search_customers(supervisor, k.id_number)
            by_phone = hall.customers.search_customers(supervisor, k.contact_phone)
            by_name = hall.customers.search_customers(supervisor, k.name)
            if [r.id for r in by_id.rows] != [k.id]:
                failures.append(f"ID search of {k.id}: {[r.id for r in by_id.rows]}")
            if k.id not in {r.id for r in by_phone.rows}:
                failures.append(f"phone search did not find {k.id}")
            if k.id not in {r.id for r in by_name.rows} and not by_name.truncated:
                failures.append(f"name search did not find {k.id}")
            c = hall.customers.get_customer_record(supervisor, k.id)  # unmasked: a supervisor
            got = (c.name, c.id_display, c.contact_phone_display, c.address)
            if got != (k.name, k.id_number, k.contact_phone, k.address):
                failures.append(f"record of {k.id} opened as {got}")
            else:
                found += 1
    finally:
        hall.close()
    return found


def _copy(source: Path, target: Path) -> float:
    for stale in target.parent.glob(target.name + "*"):
        stale.unlink()
    started = time.perf_counter()
    shutil.copyfile(source, target)
    return time.perf_counter() - started


class Figures(dict[str, Any]):
    """The figures so far, written to ``out`` (if any) as each step ends: a run stopped
    before its end keeps what it measured."""

    def __init__(self, out: Path | None) -> None:
        super().__init__()
        self._out = out

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if self._out is not None:
            self._out.write_text(json.dumps(self, ensure_ascii=False) + "\n", encoding="utf-8")


def run(
    source: Path,
    work: Path,
    kill_at: float,
    batch: int | None,
    people: int,
    full_run: bool,
    out: Path | None = None,
) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    figures = Figures(out)
    known = known_customers(source, people)
    if len(known) < people:
        raise SystemExit(f"only {len(known)} known customers in {source}")
    old = work / "m0018.sqlite3"
    _copy(source, old)
    print(f"downgrading a copy of {source.name} to 0018 …", file=sys.stderr, flush=True)
    down_s = downgrade(old)
    before = state(old)
    if before["revision"] != "0018" or before["customers_name_sealed"]:
        raise SystemExit(f"the downgrade left {before}")
    figures["customers"] = before["customers"]
    figures["database_mb"] = round(old.stat().st_size / 1e6)
    figures["downgrade_s"] = round(down_s, 1)
    if full_run:
        full = work / "m-full.sqlite3"
        _copy(old, full)
        print("upgrading a copy to head, uninterrupted …", file=sys.stderr, flush=True)
        figures["upgrade"] = upgrade(full, batch)
        figures["upgrade_check"] = check(full, known)
        full.unlink()
    killed = work / "m-killed.sqlite3"
    _copy(old, killed)
    print(f"upgrading another copy, SIGKILL at {kill_at:.0%} of customers …", file=sys.stderr)
    figures["killed_run"] = upgrade(killed, batch, kill_at)
    figures["after_kill"] = state(killed)
    after = figures["after_kill"]
    if after["revision"] != "0018" or not 0 < after["customers_name_sealed"] < after["customers"]:
        raise SystemExit(f"not killed midway: {after}")
    print("running it again: it goes on where it stopped …", file=sys.stderr, flush=True)
    figures["resumed_run"] = upgrade(killed, batch)
    figures["resumed_check"] = check(killed, known)
    for leftover in (old, killed):
        for path in work.glob(leftover.name + "*"):
            path.unlink()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.migration_1m")
    parser.add_argument("--source", type=Path, help="a database at head (default: the bench's)")
    parser.add_argument("--work", type=Path, default=CACHE / "migration")
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of customers")
    parser.add_argument("--batch", type=int, help="rows per batch (default: sealing.BATCH)")
    parser.add_argument("--people", type=int, default=20, help="known customers checked")
    parser.add_argument(
        "--skip-full", action="store_true", help="only the killed run and its resumption"
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument("--upgrade-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HALL_KEY_FILE", str(CACHE / "bench-data.key"))
    if args.upgrade_only:  # the child: `hall-app migrate`, with the batch size given
        from hall_app import cli
        from hall_app.db import sealing

        if args.batch:
            sealing.BATCH = args.batch
        return cli.main(["--db", _url(args.upgrade_only), "migrate"])
    source = args.source
    if source is None:
        from bench.__main__ import FULL, ensure_database

        source = Path(ensure_database(CACHE, FULL).removeprefix("sqlite:///"))
    started = time.perf_counter()
    figures = run(
        source.resolve(),
        args.work.resolve(),
        args.kill_at,
        args.batch,
        args.people,
        not args.skip_full,
        args.out,
    )
    figures["total_s"] = round(time.perf_counter() - started, 1)
    killed, resumed = figures["killed_run"], figures["resumed_run"]
    up = f"upgrade to head {figures['upgrade']['seconds']} s; " if "upgrade" in figures else ""
    print(
        f"{figures['customers']:,} customers ({figures['database_mb']:,} MB): downgrade to 0018 "
        f"{figures['downgrade_s']} s; {up}killed at "
        f"{killed['killed_at'][0]:,}/{killed['killed_at'][1]:,} customers after "
        f"{killed['seconds']} s, run again {resumed['seconds']} s; "
        f"{figures['resumed_check']['sealed_values']:,} values sealed, all checks passed"
    )
    line = json.dumps(figures, ensure_ascii=False)
    if args.out:
        args.out.write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
