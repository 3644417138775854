"""Shared fixtures: a small demo database (built once, copied per test), the app wired on it,
signed-in actors, and PostgreSQL databases for the tests that need one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor

DEMO_TODAY = date(2026, 11, 24)
DEMO_CUSTOMERS = 1500
DEMO_DAYS = 3
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class FakeClock:
    """A settable clock for lockouts and deadlines."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=7, today=DEMO_TODAY, chunk=500, workers=1).build(
        DEMO_CUSTOMERS, DEMO_DAYS
    )
    engine.dispose()
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "hall.sqlite3"
    shutil.copyfile(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # 10:00 in the hall


@pytest.fixture
def hall(demo_url: str, clock: FakeClock) -> Iterator[HallApp]:
    app = build_app(Settings.load(env={}, db_url=demo_url), clock=clock)
    yield app
    app.close()


@pytest.fixture
def clerk(hall: HallApp) -> Actor:
    return hall.auth.log_in("clerk1", DEMO_PASSWORD)


@pytest.fixture
def supervisor(hall: HallApp) -> Actor:
    return hall.auth.log_in("super1", DEMO_PASSWORD)


# -- PostgreSQL --------------------------------------------------------------------------------
def _can_connect(url: str) -> bool:
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """A private PostgreSQL: its URL and the commands that start and stop it."""

    url: str
    start: list[str]
    stop: list[str]


def _throwaway_cluster(base: Path) -> Cluster | None:
    """Start a private PostgreSQL with initdb/pg_ctl."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    initdb = shutil.which("initdb") or (str(candidates[0]) if candidates else None)
    if initdb is None:
        return None
    bindir = Path(initdb).parent
    data = base / "pgdata"
    port = _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run it as postgres, in a folder
        as_user = ["runuser", "-u", "postgres", "--"]  # that user can reach (not pytest's 0700)
        base = Path(tempfile.mkdtemp(prefix="hall-pg-", dir="/tmp"))
        shutil.chown(base, "postgres")
        data = base / "pgdata"
    subprocess.run(
        [*as_user, str(initdb), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    start = [
        *as_user,
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        str(base / "pg.log"),
        "-o",
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
        "start",
    ]
    subprocess.run(start, check=True, capture_output=True)
    stop = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"]
    return Cluster(f"postgresql://postgres@127.0.0.1:{port}/postgres", start, stop)


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A PostgreSQL of the test's own, to stop and start at will (never skipped: the machine
    and CI have the server binaries; without them this fails)."""
    cluster = _throwaway_cluster(tmp_path)
    assert cluster is not None, "PostgreSQL server binaries (initdb, pg_ctl) are needed"
    for _ in range(50):
        if _can_connect(cluster.url):
            break
        time.sleep(0.1)
    yield cluster
    subprocess.run(cluster.stop, check=False, capture_output=True)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server URL: HALL_TEST_PG_URL, the local server, or a throwaway cluster.
    Under CI=true the tests that need it fail rather than skip when none can be had."""
    url = os.environ.get("HALL_TEST_PG_URL")
    candidates = [url] if url else ["postgresql://postgres@127.0.0.1:5432/test"]
    for candidate in candidates:
        if candidate and _can_connect(candidate):
            yield candidate
            return
    started = None
    try:
        started = _throwaway_cluster(tmp_path_factory.mktemp("pg"))
    except (OSError, subprocess.CalledProcessError) as exc:
        reason = f"could not start a throwaway PostgreSQL: {exc}"
    else:
        reason = "no PostgreSQL binaries found (initdb)"
    if started is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {reason}")
        pytest.skip(reason)
    for _ in range(50):
        if _can_connect(started.url):
            break
        time.sleep(0.1)
    yield started.url
    subprocess.run(started.stop, check=False, capture_output=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server, dropped afterwards."""
    name = f"hall_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        pg_server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = pg_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def synced_counter(template: Path, tmp_path: Path, central: str, clock: FakeClock) -> HallApp:
    """A counter (window 01, clerk1's) on its own copy of the demo database, synced with the
    central database at ``central``."""
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(template, path)
    env = {"HALL_CENTRAL_URL": central, "HALL_COUNTER": "01"}
    return build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)
