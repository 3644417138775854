"""Two clerks paying the same bills at once on the real PostgreSQL: the conditional UPDATE on
each bill (paid_fen as found) decides; one takes the money, the other is refused and nothing
of theirs stays."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Bill, BillSettlement, Order
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import BillStatus, OrderType
from hall_app.services.bills import BillPaymentRequest
from tests.bill_fixtures import OCT_FEE, OCT_FEN, SEP_FEE, SEP_FEN, billed_customer, cash
from tests.conftest import DEMO_TODAY, FakeClock
from tests.integration.test_instalments_pg import race


@pytest.mark.postgres
def test_two_clerks_paying_the_same_bills_on_postgresql(pg_url: str, clock: FakeClock) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=6, today=DEMO_TODAY, chunk=50, workers=1).build(60, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url), clock=clock)
    try:
        one = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        two = hall.auth.log_in("clerk2", DEMO_PASSWORD)
        b = billed_customer(hall)
        total = SEP_FEN + SEP_FEE + OCT_FEN + OCT_FEE
        req = BillPaymentRequest(b.customer_id, cash(total))
        refused = race(
            lambda: hall.bills.pay_bills(one, req), lambda: hall.bills.pay_bills(two, req)
        )
        assert len(refused) == 1, refused
        assert "其他窗口缴费" in str(refused[0]) or "已缴清" in str(refused[0])
        with hall.db.read() as s:
            paid = [s.get_one(Bill, x) for x in (b.sep, b.oct)]
            assert [(x.paid_fen, x.status) for x in paid] == [
                (SEP_FEN, BillStatus.PAID),
                (OCT_FEN, BillStatus.PAID),
            ]
            assert s.scalar(select(func.count()).select_from(BillSettlement)) == 2
            orders = s.scalar(
                select(func.count())
                .select_from(Order)
                .where(
                    Order.order_type == OrderType.BILL_PAYMENT, Order.customer_id == b.customer_id
                )
            )
            assert orders == 1
    finally:
        hall.close()
