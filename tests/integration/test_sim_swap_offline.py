"""补换卡 with the link to the central database down: only a card leased to this window may be
given (the check and the order both say so); a leased one is given, from the window's own
invoice block."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.models import SimCard, Subscription
from hall_app.domain.enums import SimStatus
from hall_app.domain.errors import ValidationError
from tests.conftest import FakeClock
from tests.integration.test_sim_swap_race import _lease_invoice_blocks, _request
from tests.sim_cancel_helpers import mobile, new_sim, sim_of

DEAD = "postgresql://x@127.0.0.1:1/none"


def test_offline_only_a_card_leased_here(
    demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "counter.sqlite3"
    shutil.copyfile(demo_template, path)
    env = {"HALL_CENTRAL_URL": DEAD, "HALL_COUNTER": "01"}
    app = build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)
    try:
        clerk = app.auth.log_in("clerk1", "hall1234")
        _lease_invoice_blocks({"01": app}, {"01": clerk}, clock)
        sub = mobile(app, clerk)
        free, leased = new_sim(app, 41), new_sim(app, 42)
        with app.db.unit_of_work() as s:
            s.execute(
                update(SimCard)
                .where(SimCard.iccid == leased)
                .values(lease_counter_id=clerk.counter_id, lease_until=clock() + timedelta(hours=8))
            )
        with pytest.raises(ValidationError) as err:
            app.sim_swaps.check_new_sim(clerk, free)
        assert "离线时只能使用本窗口租用的卡" in err.value.text
        req = _request(app, clerk, sub, free)
        with pytest.raises(ValidationError) as err:
            app.sim_swaps.replace_sim(clerk, req)
        assert err.value.field == "ICCID" and "离线时只能使用本窗口租用的卡" in err.value.text
        assert sim_of(app, free) is SimStatus.IN_STOCK
        assert app.sim_swaps.check_new_sim(clerk, leased).iccid == leased
        done = app.sim_swaps.replace_sim(clerk, _request(app, clerk, sub, leased))
        assert done.invoice_no is not None
        with app.db.read() as s:
            new_id = s.scalar(select(SimCard.id).where(SimCard.iccid == leased))
            assert s.get_one(Subscription, sub.id).sim_id == new_id
        assert sim_of(app, leased) is SimStatus.ASSIGNED
    finally:
        app.close()
