"""Shared fixtures: a small demo database (built once, copied per test), the app wired on it,
signed-in actors, and PostgreSQL databases for the tests that need one."""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text

from hall_app.app import HallApp, build_app
from hall_app.cli import main as cli_main
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.keyfile import save_keys
from hall_app.services.actor import Actor

DEMO_TODAY = date(2026, 11, 24)
DEMO_CUSTOMERS = 1500
DEMO_DAYS = 3
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The data keys every test process seals and opens with (the demo template is sealed with them);
# a test of key files installs its own and puts these back.
TEST_KEYS = crypto.DataKeys("k1", {"k1": bytes(range(32))}, bytes(range(32, 64)))
crypto.install(TEST_KEYS)
# Subprocesses (the CLI, the soak trials) read them from a key file, as the app does.
_KEY_FOLDER = Path(tempfile.mkdtemp(prefix="hall-test-keys-"))
TEST_KEY_FILE = _KEY_FOLDER / "hall-data.key"
save_keys(TEST_KEY_FILE, TEST_KEYS)
os.environ["HALL_KEY_FILE"] = str(TEST_KEY_FILE)
atexit.register(shutil.rmtree, _KEY_FOLDER, ignore_errors=True)
# Property and fuzz tests: `make test` runs each with its own small number of examples;
# HYPOTHESIS_PROFILE=long runs many more, without deadlines (tests/fuzz_support.py scales the
# fuzz tests' own counts with it).
hypothesis_settings.register_profile("long", max_examples=5000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
def demo_url(demo_template: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "hall.sqlite3"
    shutil.copyfile(demo_template, path)
    yield f"sqlite:///{path}"
    # The copy is tens of MB; a whole run must not fill a small CI disk.
    for leftover in (path, *tmp_path.glob("hall.sqlite3-*")):
        if leftover.is_dir():  # a test may put a folder in its place (a dead database)
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


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


def _admin(server: str) -> Engine:
    return create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )


def _create(server: str, name: str, template: str | None = None) -> str:
    """A new database on the server (copied from ``template`` if given); its URL."""
    admin = _admin(server)
    with admin.connect() as conn:
        copied = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    admin.dispose()
    return f"{server.rsplit('/', 1)[0]}/{name}"


def _drop(server: str, names: list[str]) -> None:
    admin = _admin(server)
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class _Dropper:
    """Drops a test's databases beside the next test (a drop waits for a checkpoint of the
    whole server: seconds); the session's end waits for every drop and fails on an error."""

    def __init__(self) -> None:
        self._work: queue.Queue[tuple[str, list[str]] | None] = queue.Queue()
        self._errors: list[BaseException] = []
        self._thread: threading.Thread | None = None

    def drop(self, server: str, names: list[str]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="drop-databases", daemon=True)
            self._thread.start()
        self._work.put((server, names))

    def _run(self) -> None:
        while (job := self._work.get()) is not None:
            try:
                _drop(*job)
            except BaseException as exc:  # reported at the session's end
                self._errors.append(exc)

    def finish(self) -> None:
        if self._thread is not None:
            self._work.put(None)
            self._thread.join()
            self._thread = None
        assert not self._errors, self._errors


@pytest.fixture(scope="session")
def pg_server_dropper(pg_server: str) -> Iterator[_Dropper]:
    """Drops the tests' databases; done before the server stops (a throwaway one)."""
    dropper = _Dropper()
    yield dropper
    dropper.finish()


@pytest.fixture
def pg_url(pg_server: str, pg_server_dropper: _Dropper) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server, dropped afterwards."""
    name = f"hall_test_{uuid.uuid4().hex[:12]}"
    url = _create(pg_server, name)
    yield url
    pg_server_dropper.drop(pg_server, [name])


@dataclass(frozen=True)
class Snapshot:
    """What a costly start left: the central database (kept as a PostgreSQL template), the
    counters' SQLite files in ``folder``, what the steps returned, and the clock they ran on."""

    template: str
    folder: Path
    made: object
    now: datetime
    made_at: float  # time.monotonic()


# The steps of a start: (central URL, demo database, folder for the counters' files, clock).
Steps = Callable[[str, Path, Path, FakeClock], object]
# A start run on the real clock (its leases run on the central clock) is made again when it
# is older than this, so a test's clock stays within minutes of the central clock's.
FRESH_FOR_S = 600.0


@dataclass
class CentralSnapshots:
    """The costly starts of the sync tests (``central init``, a counter's first load of its
    whole demo database, the morning's sync rounds), each run once per session and copied
    for every test that starts so: its own central database (``CREATE DATABASE ... TEMPLATE``)
    and its own copies of the counters' files. Nothing a test does reaches another."""

    server: str
    demo: Path
    base: Path
    dropper: _Dropper
    made: dict[str, Snapshot] = field(default_factory=dict)

    def get(self, key: str, steps: Steps, now: datetime | None = None) -> Snapshot:
        """The start named ``key``, run by ``steps`` the first time on the tests' clock, or
        on ``now`` (the real clock: then again once it is FRESH_FOR_S old). The steps must
        close every connection they open."""
        old = self.made.get(key)
        if old is not None and (now is None or time.monotonic() - old.made_at < FRESH_FOR_S):
            return old
        name = f"hall_tpl_{key}_{uuid.uuid4().hex[:8]}"
        url = _create(self.server, name)
        folder = self.base / name
        folder.mkdir()
        clock = FakeClock(now or datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
        try:
            made = steps(url, self.demo, folder, clock)
            assert not list(folder.glob("*-wal")), "every counter must be closed"
        except BaseException:
            self.dropper.drop(self.server, [name])  # each test using it runs them again
            raise
        self.made[key] = Snapshot(name, folder, made, clock.now, time.monotonic())
        if old is not None:
            self.dropper.drop(self.server, [old.template])
        return self.made[key]


@pytest.fixture(scope="session")
def central_snapshots(
    pg_server: str,
    pg_server_dropper: _Dropper,
    demo_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CentralSnapshots]:
    snapshots = CentralSnapshots(
        pg_server, demo_template, tmp_path_factory.mktemp("central"), pg_server_dropper
    )
    yield snapshots
    pg_server_dropper.drop(pg_server, [snap.template for snap in snapshots.made.values()])


@pytest.fixture
def restore(
    central_snapshots: CentralSnapshots, pg_server_dropper: _Dropper, tmp_path: Path
) -> Iterator[Callable[[Snapshot], str]]:
    """Copies a snapshot for this test: the counters' files into ``tmp_path`` and the central
    database into a new database of the test's own (its URL returned), dropped afterwards."""
    made: list[str] = []

    def restore(snap: Snapshot) -> str:
        for path in snap.folder.glob("*.sqlite3"):
            shutil.copyfile(path, tmp_path / path.name)
        made.append(f"hall_test_{uuid.uuid4().hex[:12]}")
        return _create(central_snapshots.server, made[-1], snap.template)

    yield restore
    if made:
        pg_server_dropper.drop(central_snapshots.server, made)


def _central_init(url: str, demo: Path, folder: Path, clock: FakeClock) -> None:
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", url]) == 0


@pytest.fixture
def central_url(central_snapshots: CentralSnapshots, restore: Callable[[Snapshot], str]) -> str:
    """A central database of the test's own, just made by ``central init`` (copied from the
    session's, made once), with nothing in it yet."""
    return restore(central_snapshots.get("central_init", _central_init))


def synced_counter(template: Path, tmp_path: Path, central: str, clock: FakeClock) -> HallApp:
    """A counter (window 01, clerk1's) on its own copy of the demo database, synced with the
    central database at ``central``."""
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(template, path)
    env = {"HALL_CENTRAL_URL": central, "HALL_COUNTER": "01"}
    return build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)
