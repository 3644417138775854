"""A delivery file imported into a PostgreSQL hall database: the same one-statement bulk
insert, and nothing half-saved when a row clashes at the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Device
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import DeviceStatus
from tests.conftest import DEMO_TODAY, FakeClock
from tests.stock_fixtures import handset_codes, imei, write_csv

pytestmark = pytest.mark.postgres


def test_import_on_postgresql(pg_url: str, tmp_path: Path, clock: FakeClock) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=3, today=DEMO_TODAY, chunk=500, workers=1).build(30, 1)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        boss = hall.auth.log_in("super1", DEMO_PASSWORD)
        code = handset_codes(hall)[0]
        path = write_csv(tmp_path / "到货.csv", [(imei(k), code, "") for k in range(2500)])
        assert hall.stock.check_file(boss, path).valid == 2500
        done = hall.stock.import_file(boss, path)
        assert done.imported == 2500
        with hall.db.read() as s:
            got = s.execute(
                select(Device.status, Device.location, func.count())
                .where(Device.imei.in_([imei(k) for k in (0, 1999, 2499)]))
                .group_by(Device.status, Device.location)
            ).all()
        assert [tuple(r) for r in got] == [(DeviceStatus.IN_STOCK, "营业厅库房", 3)]
        again = hall.stock.check_file(boss, path)
        assert again.valid == 0 and again.error_rows == 2500
    finally:
        hall.close()
