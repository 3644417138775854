"""Review of issue 14: the same bill paid at two windows, both online.

BillService._check_central only READS the central bill's paid amount before the order; the
payment itself changes only the counter's own copy (no central claim, no conditional UPDATE
at the central database), and reaches the centre with the next sync round. So a second window
that pulled the same bill takes the same money again, even one after the other (no race
needed), and the customer is charged twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.domain.errors import HallError
from hall_app.services.bills import BillPaymentRequest
from tests.bill_fixtures import OCT_FEE, OCT_FEN, SEP_FEE, SEP_FEN, billed_customer, cash
from tests.conftest import FakeClock
from tests.integration.test_sim_swap_race import _lease_invoice_blocks

ALL = SEP_FEN + SEP_FEE + OCT_FEN + OCT_FEE


def test_review14_a_bill_paid_online_at_one_window_is_refused_at_another(
    demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    central = tmp_path / "central.sqlite3"
    shutil.copyfile(demo_template, central)
    at_centre = build_app(Settings.load(env={}, db_url=f"sqlite:///{central}"), clock=clock)
    try:  # the central billing run's bills, in every database alike (pulled)
        b = billed_customer(at_centre)
    finally:
        at_centre.close()
    apps: dict[str, HallApp] = {}
    try:
        for code in ("01", "02"):
            path = tmp_path / f"counter-{code}.sqlite3"
            shutil.copyfile(central, path)
            env = {"HALL_CENTRAL_URL": f"sqlite:///{central}", "HALL_COUNTER": code}
            apps[code] = build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)
        clerks = {c: app.auth.log_in("clerk1", "hall1234") for c, app in apps.items()}
        _lease_invoice_blocks(apps, clerks, clock)
        assert apps["01"].link is not None and apps["01"].link.online
        first = apps["01"].bills.pay_bills(
            clerks["01"], BillPaymentRequest(b.customer_id, cash(ALL))
        )
        assert first.total_fen == ALL
        with pytest.raises(HallError):  # the same two bills, online, a minute later
            apps["02"].bills.pay_bills(clerks["02"], BillPaymentRequest(b.customer_id, cash(ALL)))
    finally:
        for app in apps.values():
            app.close()
