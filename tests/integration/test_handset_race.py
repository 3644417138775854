"""The last unit of a handset model sold from two counters at the same instant: at the
central database (one conditional UPDATE in ``LinkedCentral.claim_device``) exactly one
wins, the other is told in Chinese that the unit is sold, and its counter saved nothing. On
SQLite (two counter processes, each with its own SQLite file, against a central SQLite file)
and on the real PostgreSQL (several connections at once, several rounds). A claim whose sale
then failed is given back by its ``DeviceClaim`` (only that very claim), so the unit is
sellable again."""

from __future__ import annotations

import multiprocessing
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.central import CentralLink, DeviceClaim, mirror
from hall_app.db.central_claims import LinkedCentral
from hall_app.db.engine import Database, make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import (
    Counter,
    Device,
    Hall,
    InvoiceSegment,
    Order,
    Product,
    SyncOutbox,
    VatCategory,
)
from hall_app.domain.enums import DeviceStatus, PaymentMethod, ProductKind, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.handsets import HandsetSaleRequest
from tests.conftest import FakeClock
from tests.handset_fixtures import SIGNED, HandsetSetup, prepare_handsets, sale_request
from tests.integration.test_sync_handsets import HandsetHall, imei
from tests.integration.test_sync_handsets import handsets as handsets  # the fixture

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
WON = "won"
SOLD_MESSAGE = "不能再销售"


@dataclass
class Stock:
    """A hall with two counters and one handset model, at a database."""

    db: Database
    hall_id: uuid.UUID
    a: uuid.UUID
    b: uuid.UUID
    product_id: uuid.UUID

    def unit(self, n: int, status: DeviceStatus = DeviceStatus.IN_STOCK) -> str:
        number = imei(n)
        with self.db.unit_of_work() as s:
            s.execute(
                insert(Device).values(
                    id=uuid.uuid4(), product_id=self.product_id, imei=number, status=status,
                    hall_id=self.hall_id, location="营业厅库房", received_at=NOW,
                    created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
        return number

    def device(self, number: str) -> tuple[DeviceStatus, uuid.UUID | None]:
        with self.db.read() as s:
            status, holder = s.execute(
                select(Device.status, Device.taken_by_counter_id).where(Device.imei == number)
            ).one()
        return DeviceStatus(status), holder


def make_stock(db: Database) -> Stock:
    hall_id, a, b, product_id, vat = (uuid.uuid4() for _ in range(5))
    with db.unit_of_work() as s:
        s.execute(
            insert(Hall).values(
                id=hall_id, code="H-RACE", name="鼓楼营业厅", region_code="350102",
                province_code="35", address="福州市鼓楼区", seller_name="中国电信",
                seller_tax_id="91350100M000100Y43",
            )
        )  # fmt: skip
        for cid, code in ((a, "01"), (b, "02")):
            s.execute(insert(Counter).values(id=cid, hall_id=hall_id, code=code, name=code))
        s.execute(
            insert(VatCategory).values(
                id=vat, code="handset-race", category="通信设备", item_name="手机",
                rate=Decimal("0.13"),
            )
        )  # fmt: skip
        s.execute(
            insert(Product).values(
                id=product_id, code="HS-RACE-1", kind=ProductKind.HANDSET,
                name="华为 Mate 70 12+256GB 雅川青", price_fen=599_900, vat_category_id=vat,
                brand="华为", model="Mate 70", colour="雅川青", storage="12+256GB",
            )
        )  # fmt: skip
    return Stock(db, hall_id, a, b, product_id)


# -- SQLite: two counter processes, each on its own file ---------------------------------------


def _counter_sells(
    central_url: str,
    counter_url: str,
    number: str,
    counter_id: uuid.UUID,
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[str],
) -> None:
    """One counter: its sale's transaction claims the unit centrally, then takes it in its own
    database (as the order pipeline does); a refused claim rolls the whole sale back."""
    link = CentralLink(central_url)
    local = Database(make_engine(counter_url))
    try:
        start.wait()
        with local.unit_of_work() as s:
            rows = LinkedCentral(link).claim_device(number, counter_id, NOW)
            mirror(s, rows, only_missing=True)
            s.execute(
                update(Device)
                .where(Device.imei == number)
                .values(
                    status=DeviceStatus.SOLD, taken_by_counter_id=counter_id, location="客户",
                    sold_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
        results.put(WON)
    except ValidationError as exc:
        results.put(f"{exc.field}|{exc.text}")
    except BaseException as exc:
        results.put(f"error: {type(exc).__name__}: {exc}")
    finally:
        link.close()
        local.dispose()


def test_the_last_unit_goes_to_one_of_two_counters_on_sqlite(tmp_path: Path) -> None:
    central_path = tmp_path / "central.sqlite3"
    central_url = f"sqlite:///{central_path}"
    engine = make_engine(central_url)
    upgrade_to_head(engine)
    stock = make_stock(Database(engine))
    rounds = [stock.unit(i) for i in range(3)]
    stock.db.dispose()
    counters = {}
    for code in ("01", "02"):  # each counter's own database, with the same stock in it
        path = tmp_path / f"counter-{code}.sqlite3"
        shutil.copyfile(central_path, path)
        counters[code] = f"sqlite:///{path}"
    ctx = multiprocessing.get_context("spawn")
    db = Database(make_engine(counters["01"]))
    with db.read() as s:
        stocked = s.scalar(select(func.max(SyncOutbox.version)))  # every unit's, as stocked
    db.dispose()
    for number in rounds:
        start = ctx.Barrier(2)
        results: multiprocessing.Queue[str] = ctx.Queue()
        procs = {
            code: ctx.Process(
                target=_counter_sells,
                args=(central_url, counters[code], number, cid, start, results),
            )
            for code, cid in (("01", stock.a), ("02", stock.b))
        }
        for p in procs.values():
            p.start()
        got = sorted(results.get(timeout=60) for _ in procs)
        for p in procs.values():
            p.join(timeout=30)
        assert got[-1] == WON, got
        field, message = got[0].split("|", 1)
        assert field == "IMEI" and SOLD_MESSAGE in message and number in message, got
        central = Database(make_engine(central_url))
        try:
            status, holder = Stock(
                central, stock.hall_id, stock.a, stock.b, stock.product_id
            ).device(number)
        finally:
            central.dispose()
        assert status is DeviceStatus.SOLD and holder in (stock.a, stock.b)
        winner = "01" if holder == stock.a else "02"
        loser = "02" if winner == "01" else "01"
        for code, expected in ((winner, DeviceStatus.SOLD), (loser, DeviceStatus.IN_STOCK)):
            db = Database(make_engine(counters[code]))
            try:
                with db.read() as s:
                    assert s.scalar(select(Device.status).where(Device.imei == number)) == expected
                    device_id = s.scalar(select(Device.id).where(Device.imei == number))
                    version = s.scalar(
                        select(SyncOutbox.version).where(
                            SyncOutbox.table_name == "devices", SyncOutbox.row_id == device_id
                        )
                    )
                # Nothing half-saved at the loser: its unit's outbox entry is as stocked; the
                # winner's carries the sale.
                assert version == (stocked + 1 if code == winner else stocked)
            finally:
                db.dispose()


# -- PostgreSQL: several connections at once ---------------------------------------------------


@pytest.fixture
def pg_stock(pg_url: str) -> Iterator[tuple[Stock, str]]:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    stock = make_stock(Database(engine))
    yield stock, pg_url
    stock.db.dispose()


def _in_threads(workers: list[Callable[[], str]]) -> list[str]:
    out: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(workers))

    def run(work: Callable[[], str]) -> None:
        start.wait()
        try:
            result = work()
        except ValidationError as exc:
            result = f"{exc.field}|{exc.text}"
        except BaseException as exc:
            result = f"error: {type(exc).__name__}: {exc}"
        with lock:
            out.append(result)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(out)


RACERS = 6


@pytest.mark.postgres
def test_the_last_unit_goes_to_one_counter_on_postgresql(pg_stock: tuple[Stock, str]) -> None:
    stock, url = pg_stock
    links = [CentralLink(url) for _ in range(RACERS)]
    counters = [stock.a, stock.b] * (RACERS // 2)
    try:
        for n, status in enumerate((DeviceStatus.IN_STOCK, DeviceStatus.RETURNED) * 2):
            number = stock.unit(100 + n, status)  # the model's last unit (a returned one too)

            def work(link: CentralLink, cid: uuid.UUID, number: str = number, n: int = n) -> str:
                LinkedCentral(link).claim_device(number, cid, NOW + timedelta(seconds=n))
                return WON

            got = _in_threads(
                [
                    (lambda link=link, c=c: work(link, c))
                    for link, c in zip(links, counters, strict=True)
                ]
            )
            assert got.count(WON) == 1, got
            losers = [g for g in got if g != WON]
            assert len(losers) == RACERS - 1
            for lost in losers:
                field, message = lost.split("|", 1)
                assert field == "IMEI" and SOLD_MESSAGE in message and number in message, lost
            sold, holder = stock.device(number)
            assert sold is DeviceStatus.SOLD and holder in (stock.a, stock.b)
    finally:
        for link in links:
            link.close()


@pytest.mark.postgres
def test_a_failed_sale_gives_the_unit_back_by_its_own_claim(pg_stock: tuple[Stock, str]) -> None:
    stock, url = pg_stock
    link = CentralLink(url)
    port = LinkedCentral(link)
    try:
        number = stock.unit(200, DeviceStatus.RETURNED)
        port.claim_device(number, stock.a, NOW)
        # Another counter is refused while it is claimed ...
        with pytest.raises(ValidationError) as err:
            port.claim_device(number, stock.b, NOW)
        assert err.value.field == "IMEI" and "已售" in err.value.text
        # ... a stale claim (another stamp, or another counter's) undoes nothing ...
        port.release_claim(DeviceClaim(number, stock.a, NOW - timedelta(seconds=1), "returned"))
        port.release_claim(DeviceClaim(number, stock.b, NOW, "returned"))
        assert stock.device(number) == (DeviceStatus.SOLD, stock.a)
        # ... the sale's own claim gives it back as it was (returned), and 02 may sell it.
        port.release_claim(DeviceClaim(number, stock.a, NOW, "returned"))
        assert stock.device(number) == (DeviceStatus.RETURNED, None)
        port.claim_device(number, stock.b, NOW + timedelta(seconds=1))
        assert stock.device(number) == (DeviceStatus.SOLD, stock.b)
        # A unit leased to counter 01 (its lease running) is not 02's to sell.
        leased = stock.unit(201)
        with stock.db.unit_of_work() as s:
            s.execute(
                update(Device)
                .where(Device.imei == leased)
                .values(lease_counter_id=stock.a, lease_until=func.now() + timedelta(hours=2))
            )
        with pytest.raises(ValidationError) as err:
            port.claim_device(leased, stock.b, NOW)
        assert "其他窗口离线租用中" in err.value.text
        port.claim_device(leased, stock.a, NOW)
        assert stock.device(leased) == (DeviceStatus.SOLD, stock.a)
    finally:
        link.close()


# -- Through HandsetService.sell: two counter apps, the same last unit ------------------------


def _outright(app: HallApp, actor: Actor, st: HandsetSetup, imei: str) -> HandsetSaleRequest:
    req = replace(sale_request(st, SaleMode.OUTRIGHT), imei=imei)
    quote = app.handsets.quote(actor, req)
    card = PaymentInput(PaymentMethod.BANK_CARD, quote.total_fen, reference="POS123456")
    return replace(req, payments=(card,), terms_text=quote.terms, signature_png=SIGNED)


def _race_sales(
    apps: dict[str, HallApp], clerks: dict[str, Actor], reqs: dict[str, HandsetSaleRequest]
) -> dict[str, str]:
    got: dict[str, str] = {}
    start = threading.Barrier(len(apps))

    def work(code: str) -> None:
        start.wait()
        try:
            apps[code].handsets.sell(clerks[code], reqs[code])
            got[code] = WON
        except ValidationError as exc:
            got[code] = f"{exc.field}|{exc.text}"
        except BaseException as exc:
            got[code] = f"error: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=work, args=(c,)) for c in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return got


def _nothing_half_saved(app: HallApp, imei: str, orders_before: int) -> None:
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == orders_before
        unit = s.scalars(select(Device).where(Device.imei == imei)).one_or_none()
        # In stock as it was, or never known here (delivered at another counter): the
        # refused claim mirrored nothing.
        assert unit is None or (unit.status is DeviceStatus.IN_STOCK and unit.order_id is None)


def _check_race(
    apps: dict[str, HallApp], clerks: dict[str, Actor], st: dict[str, HandsetSetup], imei: str
) -> str:
    reqs = {c: _outright(apps[c], clerks[c], st[c], imei) for c in apps}
    before = {}
    for c, app in apps.items():
        with app.db.read() as s:
            before[c] = s.scalar(select(func.count()).select_from(Order)) or 0
    got = _race_sales(apps, clerks, reqs)
    winners = [c for c, r in got.items() if r == WON]
    assert len(winners) == 1, got
    (loser,) = [c for c in got if c != winners[0]]
    field, message = got[loser].split("|", 1)
    # Refused at the claim (不能再销售) or, when the winner had committed already, by the
    # check before it (不能销售): either way told the unit is sold, by its IMEI.
    assert field == "IMEI" and "已售" in message and imei in message, got
    _nothing_half_saved(apps[loser], imei, before[loser])
    with apps[winners[0]].db.read() as s:
        unit = s.scalars(select(Device).where(Device.imei == imei)).one()
        assert unit.status is DeviceStatus.SOLD and unit.order_id is not None
    return winners[0]


def test_two_counter_apps_sell_the_last_unit_on_sqlite(
    demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    """Each counter on its own SQLite file, the central database a SQLite file too (the live
    link's claim is the same conditional UPDATE): one sale wins, one is refused."""
    central = tmp_path / "central.sqlite3"
    shutil.copyfile(demo_template, central)
    # The tests' handset models, units and offers, made once and in every database alike.
    at_centre = build_app(Settings.load(env={}, db_url=f"sqlite:///{central}"), clock=clock)
    try:
        setup = prepare_handsets(at_centre)
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
        for c, app in apps.items():  # the invoice block a morning round would have leased
            with app.db.unit_of_work() as s:
                shared = s.scalars(
                    select(InvoiceSegment).where(InvoiceSegment.counter_id.is_(None)).limit(1)
                ).one()
                start = shared.next_seq + (0 if c == "01" else 500)
                s.add(InvoiceSegment(
                    hall_id=shared.hall_id, counter_id=clerks[c].counter_id,
                    year2=shared.year2, province_code=shared.province_code,
                    channel=shared.channel, first_seq=start, last_seq=start + 499,
                    next_seq=start, created_at=clock(), updated_at=clock(),
                ))  # fmt: skip
        st = dict.fromkeys(apps, setup)
        won = {_check_race(apps, clerks, st, imei) for imei in st["01"].imeis[:3]}
        assert won <= {"01", "02"}
        central_db = Database(make_engine(f"sqlite:///{central}"))
        try:
            with central_db.read() as s:
                sold = s.execute(
                    select(Device.status, Device.taken_by_counter_id).where(
                        Device.imei.in_(st["01"].imeis[:3])
                    )
                ).all()
            assert {DeviceStatus(x) for x, _ in sold} == {DeviceStatus.SOLD}
            assert {h for _, h in sold} <= {clerks["01"].counter_id, clerks["02"].counter_id}
        finally:
            central_db.dispose()
    finally:
        for app in apps.values():
            app.close()


@pytest.mark.postgres
def test_two_counter_apps_sell_the_last_unit_on_postgresql(handsets: HandsetHall) -> None:
    h = handsets
    apps = {c: h.apps[c] for c in ("01", "02")}
    clerks = {c: h.clerk(c) for c in apps}
    setup = prepare_handsets(apps["01"])  # made at counter 01, pushed, pulled by 02
    for code in ("01", "02"):
        assert apps[code].sync.run_round().quarantined == 0
    st = dict.fromkeys(apps, setup)
    with h.central.begin() as conn:  # the model's units held on no lease: any counter's
        conn.execute(
            update(Device)
            .where(Device.product_id == setup.product_id)
            .values(lease_counter_id=None, lease_until=None)
        )
    with h.central.connect() as conn:  # the model's units nobody holds on a lease
        free = list(
            conn.scalars(
                select(Device.imei)
                .where(
                    Device.product_id == st["01"].product_id,
                    Device.status == DeviceStatus.IN_STOCK,
                    Device.lease_counter_id.is_(None),
                )
                .order_by(Device.imei)
                .limit(10)
            )
        )
    assert len(free) >= 3
    for number in free:
        winner = _check_race(apps, clerks, st, number)
        with h.central.connect() as conn:
            status, holder = conn.execute(
                select(Device.status, Device.taken_by_counter_id).where(Device.imei == number)
            ).one()
        assert status == "sold" and holder == h.counter_id(winner)
