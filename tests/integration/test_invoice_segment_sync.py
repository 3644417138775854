"""A counter's invoice block is made centrally and stamped with the central clock. Each number
the counter takes stamps the block later than it was, so the push carries the count to the
central copy even when the counter's clock is behind the central one (as this suite's fake
clock is, by days): the central database knows how many numbers each block has left (what
the lease top-up and a restore's recovery go by)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from hall_app.app import HallApp
from hall_app.db.engine import make_engine
from hall_app.db.models import InvoiceSegment
from tests.integration.test_open_mobile import _request
from tests.integration.test_sync_service import online  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres


@pytest.fixture
def central_of(online: HallApp) -> Iterator[Engine]:  # noqa: F811
    assert online.settings.central_url
    engine = make_engine(online.settings.central_url)
    yield engine
    engine.dispose()


def _blocks(engine: Engine, counter_id: object) -> dict[object, tuple[int, object]]:
    with engine.connect() as conn:
        return {
            i: (n, at)
            for i, n, at in conn.execute(
                select(InvoiceSegment.id, InvoiceSegment.next_seq, InvoiceSegment.updated_at).where(
                    InvoiceSegment.counter_id == counter_id
                )
            )
        }


def test_the_central_copy_of_a_block_counts_the_numbers_taken(
    online: HallApp,  # noqa: F811
    central_of: Engine,
) -> None:
    clerk = online.auth.log_in("clerk1", "hall1234")
    before = _blocks(central_of, clerk.counter_id)
    assert before, "the counter holds no leased invoice block"
    assert all(at > online.clock() for _, at in before.values())  # the counter is behind
    issued = [
        online.orders.open_mobile_number(clerk, _request(online, clerk, skip=i)) for i in (0, 1)
    ]
    assert all(o.invoice_no for o in issued)
    assert online.sync.run_round().quarantined == 0
    local = _blocks(online.db.engine, clerk.counter_id)
    central = _blocks(central_of, clerk.counter_id)
    assert {i: n for i, (n, _) in central.items()} == {i: n for i, (n, _) in local.items()}
    assert sum(central[i][0] - before[i][0] for i in before) == 2
    # The round took no central copy back: the next number is a new one.
    again = online.orders.open_mobile_number(clerk, _request(online, clerk, skip=2))
    assert again.invoice_no not in {o.invoice_no for o in issued}
    assert (
        again.invoice_no
        == f"{issued[-1].invoice_no[:-15]}{int(issued[-1].invoice_no[-15:]) + 1:015d}"
    )
