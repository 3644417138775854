"""Two clerks paying the same instalment at once on the real PostgreSQL: the row lock and the
conditional UPDATE decide, one takes the money, the other is refused and nothing of theirs
stays."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Instalment, Order, Payment
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import OrderType
from hall_app.domain.errors import HallError
from hall_app.services.instalments import InstalmentPayRequest, PayoffRequest
from tests.conftest import DEMO_TODAY, FakeClock
from tests.integration.handset_rows import adult, installment_sale
from tests.integration.test_instalments import cash


def race(*calls: Callable[[], object]) -> list[HallError]:
    """Run ``calls`` at the same instant; the clerk-facing refusals."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        barrier.wait()
        try:
            return call()
        except HallError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        results = list(pool.map(run, calls))
    return [r for r in results if isinstance(r, HallError)]


@pytest.mark.postgres
def test_two_clerks_paying_the_same_instalment_on_postgresql(pg_url: str, clock: FakeClock) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=6, today=DEMO_TODAY, chunk=50, workers=1).build(60, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        one = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        two = hall.auth.log_in("clerk2", DEMO_PASSWORD)
        sold = installment_sale(hall, one, adult(hall))
        [c] = hall.instalments.contracts(one, sold.customer_id)
        due = c.instalments[1].amount_fen
        pay = InstalmentPayRequest(sold.contract, 1, cash(due), from_seq=2)
        both = race(
            lambda: hall.instalments.pay_instalments(one, pay),
            lambda: hall.instalments.pay_instalments(two, pay),
        )
        assert len(both) == 1 and "第 2 期已由其他窗口收款" in both[0].text
        # The next one paid at one window while the other pays the contract off.
        payoff = hall.instalments.contract(two, sold.contract).payoff_fen
        third = InstalmentPayRequest(sold.contract, 1, cash(due), from_seq=3)
        rest = PayoffRequest(sold.contract, cash(payoff), from_seq=3)
        mixed = race(
            lambda: hall.instalments.pay_instalments(one, third),
            lambda: hall.instalments.pay_off(two, rest),
        )
        assert len(mixed) == 1 and "第 3 期已由其他窗口收款" in mixed[0].text
        with hall.db.read() as s:
            orders = s.scalar(
                select(func.count())
                .select_from(Order)
                .where(
                    Order.order_type == OrderType.INSTALMENT_PAYMENT,
                    Order.customer_id == sold.customer_id,  # not the demo data's own
                )
            )
            payments = s.scalar(
                select(func.count())
                .select_from(Payment)
                .join(Order, Order.id == Payment.order_id)
                .where(
                    Order.order_type == OrderType.INSTALMENT_PAYMENT,
                    Order.customer_id == sold.customer_id,
                )
            )
            marked = s.scalar(
                select(func.count()).where(
                    Instalment.contract_id == sold.contract, Instalment.paid_order_id.is_not(None)
                )
            )
        assert orders == payments == 2
        # one instalment the first time; the second time an instalment or the whole payoff
        assert marked in (2, 5)
    finally:
        hall.close()
