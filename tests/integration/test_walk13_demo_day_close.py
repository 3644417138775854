"""Walk-through of issue 13: a closed day of the demo's history, seen in 现金管理.

现金管理 on yesterday (2026-12-01, 已日结 by 黄丽华 at 18:47) listed 12 differences: ten QR
payments of orders SL20261201… "不在当日日结单中" and the invoices ¥4,013.56 apart. The
demo's day close had stored none (`balanced`), so payments were written into the closed day
after it was closed, outside every till; the demo README says almost every day balances."""

from __future__ import annotations

from datetime import timedelta

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from tests.conftest import DEMO_TODAY


def test_the_demos_closed_days_still_balance(hall: HallApp, supervisor: Actor) -> None:
    for back in (1, 2):
        day = DEMO_TODAY - timedelta(days=back)
        view = hall.cash.hall_day(supervisor, day)
        assert view.closed, day
        assert (day, view.differences) == (day, ())
