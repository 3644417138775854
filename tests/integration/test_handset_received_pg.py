"""A unit just received at a synced counter (终端入库) and not yet pushed: the central database,
where an online sale claims it, has no row for it. The scan says so at once, as the sale does,
and once a sync round has pushed it the unit scans and sells (review of issue 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hall_app.db.models import Device, Order
from hall_app.domain.enums import DeviceStatus, SaleMode
from hall_app.domain.errors import ValidationError
from tests.handset_fixtures import HandsetSetup, sale_request, signed
from tests.integration.test_handsets_pg import _central, synced  # noqa: F401  (fixture)
from tests.integration.test_sync_resources import Hall
from tests.stock_fixtures import imei

pytestmark = pytest.mark.postgres


def test_a_unit_received_here_sells_once_a_sync_round_pushed_it(
    synced: tuple[Hall, HandsetSetup],  # noqa: F811
) -> None:
    h, st = synced
    app, clerk = h.apps["01"], h.clerk("01")
    boss = app.auth.log_in("super1", "hall1234")
    new = imei(4545, tac="35000001")
    app.stock.receive(boss, st.product_id, [new])
    with pytest.raises(ValidationError) as scanned:
        app.handsets.check_device(clerk, new, st.product_id)
    assert scanned.value.field == "IMEI"
    assert "刚入库" in scanned.value.message and "同步" in scanned.value.message
    req = sale_request(st, SaleMode.OUTRIGHT, imei=new)
    with pytest.raises(ValidationError) as sold:
        app.handsets.quote(clerk, req)
    assert sold.value.message == scanned.value.message
    with pytest.raises(ValidationError) as sold:
        app.handsets.sell(clerk, req)
    assert sold.value.message == scanned.value.message
    with app.db.read() as s:
        orders = s.scalar(select(func.count()).select_from(Order))
        status = s.scalars(select(Device.status).where(Device.imei == new)).one()
        assert status is DeviceStatus.IN_STOCK
    # The next round pushes the unit: now the scan finds it centrally and the sale claims it.
    app.sync.run_round()
    assert _central(h, new) == (DeviceStatus.IN_STOCK, None)
    view = app.handsets.check_device(clerk, new, st.product_id)
    assert view.imei == new and view.status is DeviceStatus.IN_STOCK
    done = app.handsets.sell(clerk, signed(app, clerk, req))
    assert done.imei == new
    assert _central(h, new) == (DeviceStatus.SOLD, h.counter_id("01"))
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == (orders or 0) + 1
