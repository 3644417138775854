"""`python -m soak` (`make soak`): fault trials on the counter's database.

1. Kill trials: a worker process takes orders of every kind (mobile opening, broadband
   install, handset sale outright and on instalments, bill payment, top-up) on a copy of a
   small demo database (with the coming days' install slots) and is killed with SIGKILL at a
   random moment; then the file is checked (soak/checks.py): integrity and foreign keys,
   every order whole, no resource taken without an order, no invoice-number gap or
   duplicate, the audit chain, and every order the worker reported complete still there.
2. Processes sharing one SQLite file (``--processes``, 4) for ``--seconds``, going for the
   same numbers, SIMs, handsets and bills: zero doubles, every error typed and clear.
3. Counters sharing one central PostgreSQL (``--counters``, 8; soak/central.py).

Prints the counts; exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from soak.checks import Baseline, chain_available, check_database, fresh_copy
from soak.runner import Tally, Worker

ROOT = Path(__file__).resolve().parents[1]
DEMO_CUSTOMERS = 1500
DEMO_DAYS = 3
DEMO_TODAY = date(2026, 11, 24)
TRIALS_PER_COPY = 10  # a fresh copy of the demo database after so many trials


def keys_file(work: Path, given: Path | None = None) -> Path:
    """The data keys every worker seals and opens with: ``given`` (the keys the template was
    sealed with), or made once per work folder."""
    from hall_app.db import crypto

    path = given or work / "soak-keys.json"
    if not path.exists():
        path.write_text(crypto.DataKeys.generate().to_json())
        path.chmod(0o600)
    crypto.install(crypto.DataKeys.from_json(path.read_text()))
    return path


def code_version() -> str:
    """A digest of the app's code and migrations: a demo database built by other code (say,
    before the audit chain) is built again, never checked against rules it predates."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "hall_app").rglob("*.py"), *(ROOT / "migrations").rglob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def demo_template(work: Path) -> Path:
    """A small demo database, built once per work folder and code version (under a temporary
    name first, so a build cut short is never used)."""
    from hall_app.db.engine import make_engine
    from hall_app.db.migrate import upgrade_to_head
    from hall_app.demo.builder import DemoBuilder

    path = work / f"demo-{DEMO_CUSTOMERS}-{code_version()}.sqlite3"
    if path.exists():
        return path
    for old in work.glob(f"demo-{DEMO_CUSTOMERS}-*.sqlite3"):
        old.unlink()
    building = path.with_suffix(".building")
    for stale in work.glob(building.name + "*"):
        stale.unlink()
    print(f"building the soak's demo database ({DEMO_CUSTOMERS} customers) …", flush=True)
    engine = make_engine(f"sqlite:///{building}")
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=7, today=DEMO_TODAY, chunk=500, workers=1).build(
        DEMO_CUSTOMERS, DEMO_DAYS
    )
    engine.dispose()
    building.rename(path)
    return path


def prepared(work: Path, template: Path) -> Path:
    """A copy of ``template`` with the install slots of the coming working days (as the back
    office's ``hall-app slots make`` makes them; the demo made only those its own work orders
    hold), so broadband installs have places to book whatever day the template was built."""
    from hall_app.config import Settings
    from hall_app.db.engine import Database, make_engine
    from hall_app.demo.today import top_up_slots

    path = fresh_copy(template, work / "template.sqlite3")
    db = Database(make_engine(f"sqlite:///{path}"))
    try:
        top_up_slots(db, datetime.now(UTC), Settings.load(env={}).rules)
    finally:
        db.dispose()
    return path


def kill_trials(
    work: Path, template: Path, keys: Path, trials: int, max_delay_s: float, rng: random.Random
) -> Tally:
    """``trials`` workers, each killed with SIGKILL at a random moment, the file checked after
    each kill."""
    tally = Tally()
    base = Baseline.take(template)
    db = work / "trial.sqlite3"
    completed: list[str] = []
    seen: list[float] = []  # how long the last orders took
    for i in range(trials):
        if i % TRIALS_PER_COPY == 0:
            fresh_copy(template, db)
            completed = []
        worker = Worker(
            ["--db", f"sqlite:///{db}", "--keys", str(keys), "--seed", str(rng.randrange(1 << 30))],
            work / "worker-stderr.log",
        )
        if rng.random() < 0.1:  # now and then during the app's own start
            worker.run_for(rng.uniform(0.0, 0.4))
        else:
            worker.wait_ready()
            # up to a few orders' time (a loaded machine takes longer per order)
            spell = max(max_delay_s, min(10.0, 4 * statistics.median(seen or [0.0])))
            worker.run_for(rng.uniform(0.0, spell))
        moment = worker.told.moment
        worker.kill()
        tally.trials += 1
        tally.moments[moment] += 1
        tally.told(worker.told)
        seen = (seen + worker.told.order_seconds)[-50:]
        completed.extend(worker.told.completed)
        found = check_database(db, base, completed)
        tally.checked(f"trial {i + 1} (killed {moment})", found)
        if (i + 1) % 20 == 0 or i + 1 == trials:
            print(
                f"  {i + 1}/{trials} trials, {sum(tally.orders.values())} orders completed, "
                f"{tally.checks_failed} failed checks",
                flush=True,
            )
    return tally


def shared_file(
    work: Path, template: Path, keys: Path, processes: int, seconds: float, rng: random.Random
) -> Tally:
    """``processes`` workers on one SQLite file for ``seconds``, contending for the same
    resources; then the file is checked, doubles included."""
    tally = Tally()
    base = Baseline.take(template)
    db = fresh_copy(template, work / "shared.sqlite3")
    users = ("clerk1", "clerk2", "clerk3", "clerk4")
    workers = [
        Worker(
            [
                "--db",
                f"sqlite:///{db}",
                "--keys",
                str(keys),
                "--seed",
                str(rng.randrange(1 << 30)),
                "--seconds",
                str(seconds),
                "--user",
                users[n % len(users)],
            ],
            work / "worker-stderr.log",
        )
        for n in range(processes)
    ]
    for w in workers:
        w.finish()
    completed: list[str] = []
    for w in workers:
        tally.told(w.told)
        completed.extend(w.told.completed)
        if not w.told.ended or w.exit_code != 0:
            tally.problems.append(f"worker {w.pid} ended with {w.exit_code} before its time")
    tally.trials = processes
    tally.checked("shared file", check_database(db, base, completed))
    return tally


def print_tally(title: str, tally: Tally) -> None:
    print(f"\n{title}")
    print(f"  processes/trials: {tally.trials}")
    print(
        f"  orders completed: {sum(tally.orders.values())} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(tally.orders.items()))})"
    )
    if tally.moments:
        print("  killed: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.moments.items())))
    print(f"  checks passed: {tally.checks_passed}, failed: {tally.checks_failed}")
    if tally.chain_entries:
        print(f"  audit chain entries verified: {tally.chain_entries}")
    typed = sum(tally.errors.values())
    print(f"  typed errors a clerk saw: {typed}")
    if typed:
        print("  by order and field: " + ", ".join(f"{k} {n}" for k, n in tally.by_field()))
    for message, n in tally.errors.most_common(8):
        print(f"    {n:5d}  {message}")
    print(f"  untyped or unclear errors: {len(tally.raw)}")
    for raw in tally.raw[:10]:
        print(f"    {raw}")
    for problem in tally.problems[:30]:
        print(f"  FAILED {problem}")


def summary(tally: Tally) -> dict[str, object]:
    return {
        "trials": tally.trials,
        "orders_completed": dict(tally.orders),
        "killed": dict(tally.moments),
        "checks_passed": tally.checks_passed,
        "checks_failed": tally.checks_failed,
        "chain_entries_verified": tally.chain_entries,
        "typed_errors": sum(tally.errors.values()),
        "typed_errors_by_field": dict(tally.by_field()),
        "untyped_errors": len(tally.raw),
        "problems": tally.problems[:50],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    parser.add_argument("--trials", type=int, default=200, help="kill trials (default 200)")
    parser.add_argument("--max-delay", type=float, default=1.5, help="longest run before a kill, s")
    parser.add_argument("--processes", type=int, default=4, help="processes on one SQLite file")
    parser.add_argument("--seconds", type=float, default=30, help="time of each shared run (s)")
    parser.add_argument("--counters", type=int, default=8, help="counters on one central database")
    parser.add_argument(
        "--central", default="", help="PostgreSQL server URL (default HALL_TEST_PG_URL or local)"
    )
    parser.add_argument("--no-central", action="store_true", help="skip the central run")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "soak")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", type=Path, help="write the counts here")
    parser.add_argument(
        "--template", type=Path, help="a demo database to copy (default: built once in --work)"
    )
    parser.add_argument("--keys", type=Path, help="its data keys (JSON, crypto.DataKeys)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    keys = keys_file(args.work, args.keys)
    template = prepared(args.work, args.template or demo_template(args.work))
    results: dict[str, object] = {}
    failed = False
    started = time.monotonic()
    if not chain_available():
        print("note: hall_app.services.audit_chain is not in this build; the chain is not checked")
    if args.trials:
        print(f"kill trials: {args.trials}", flush=True)
        tally = kill_trials(args.work, template, keys, args.trials, args.max_delay, rng)
        print_tally("KILL TRIALS (SIGKILL at a random moment, then every check)", tally)
        results["kill_trials"] = summary(tally)
        failed |= bool(tally.problems or tally.raw)
    if args.processes:
        print(f"\n{args.processes} processes on one SQLite file for {args.seconds:g} s", flush=True)
        tally = shared_file(args.work, template, keys, args.processes, args.seconds, rng)
        print_tally(f"{args.processes} PROCESSES, ONE SQLITE FILE", tally)
        results["shared_file"] = summary(tally)
        failed |= bool(tally.problems or tally.raw)
    if args.counters and not args.no_central:
        from soak.central import central_run, server_url

        server = server_url(args.central)
        if server is None:
            print("\nno PostgreSQL server reachable: the central run is skipped")
            results["central"] = "skipped: no PostgreSQL server"
        else:
            print(f"\n{args.counters} counters on one central PostgreSQL for {args.seconds:g} s")
            tally = central_run(args.work, template, keys, server, args.counters, args.seconds, rng)
            print_tally(f"{args.counters} COUNTERS, ONE CENTRAL POSTGRESQL", tally)
            results["central"] = summary(tally)
            failed |= bool(tally.problems or tally.raw)
    results["seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nsoak {'FAILED' if failed else 'passed'} in {results['seconds']} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
