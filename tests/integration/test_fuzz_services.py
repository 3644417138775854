"""Fuzzing the services' text entry points on a real demo database (issue 15 §5): the customer
search, registration fields, login, scanned IMEIs, delivery files with arbitrary rows, work
order and top-up look-ups, coverage and number filters. Only a typed ``HallError`` (or a normal
result) comes out; nothing half-written stays behind.

One demo database per module (hypothesis runs many examples per test; a fresh copy each would
take minutes), no per-example deadline."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.models import Customer, Device, Product
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import FaceCheckMethod
from hall_app.domain.errors import HallError
from hall_app.services.account_requests import CustomerDataChange
from hall_app.services.actor import Actor
from hall_app.services.customers import RegisterIndividual
from hall_app.services.numbers import NumberFilter
from tests.conftest import FakeClock
from tests.custdata_helpers import NAME, OWNER_ID, Owner, card, make_owner
from tests.fuzz_support import (
    ANY_CHAR,
    CJK,
    CONTROLS,
    SURROGATES,
    fuzz,
    huge,
    luhn_digits,
    mobiles,
    resident_ids,
    texts_like,
    usccs,
)
from tests.handset_fixtures import SIGNED
from tests.stock_fixtures import handset_codes

pytestmark = pytest.mark.slow


class _Hall:
    def __init__(self, app: HallApp) -> None:
        self.app = app
        self.clerk: Actor = app.auth.log_in("clerk1", DEMO_PASSWORD)
        self.supervisor: Actor = app.auth.log_in("super1", DEMO_PASSWORD)
        self.codes = handset_codes(app)
        with app.db.read() as s:
            self.handset_id = s.scalars(
                select(Product.id).where(Product.code == self.codes[0])
            ).one()


@pytest.fixture(scope="module")
def fuzz_hall(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Hall]:
    from datetime import UTC, datetime

    path = tmp_path_factory.mktemp("fuzz") / "hall.sqlite3"
    shutil.copyfile(demo_template, path)
    clock = FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    app = build_app(Settings.load(env={}, db_url=f"sqlite:///{path}"), clock=clock)
    yield _Hall(app)
    app.close()


def _count(hall: _Hall, model: type[Customer] | type[Device]) -> int:
    with hall.app.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


names = st.one_of(
    st.text(CJK, min_size=2, max_size=4),
    st.text(ANY_CHAR, max_size=40),
    st.text(st.one_of(CJK, st.sampled_from(CONTROLS), SURROGATES), min_size=1, max_size=6),
    huge("张"),
)
free_text = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.text(st.one_of(CJK, st.sampled_from(CONTROLS + "%_\\'\""), SURROGATES), max_size=20),
    huge("路1号"),
    st.just("福建省福州市鼓楼区五四路100号"),
)
queries = texts_like(
    mobiles(),
    resident_ids(),
    usccs(),
    st.text(CJK, min_size=1, max_size=4),
    st.sampled_from(["KD059100001234", "059187654321", "zs", "wang", "张%", "_", "%"]),
)


@fuzz(60, db=True)
@given(queries)
@example("张%")
@example("z%")
@example("\ud800")
def test_customer_search(fuzz_hall: _Hall, text: str) -> None:
    try:
        result = fuzz_hall.app.customers.search_customers(fuzz_hall.clerk, text)
    except HallError as exc:
        assert exc.message
        return
    assert len(result.rows) <= result.total


@fuzz(80, db=True)
@given(
    name=names,
    id_number=texts_like(resident_ids()),
    address=free_text,
    phone=texts_like(mobiles()),
    checked_by=free_text,
    guardian=st.just("") | texts_like(resident_ids()),
)
@example("张三", "11010519491231002X", "福建省福州市鼓楼区五四路100号", "13312345678", "D\x00", "")
@example("张\x00三", "11010519491231002X", "福建省福州市鼓楼区五四路100号", "13312345678", "D1", "")
@example(
    "张\u200b三", "11010519491231002X", "福建省福州市鼓楼区五四路100号", "13312345678", "D1", ""
)
def test_register_individual(
    fuzz_hall: _Hall,
    name: str,
    id_number: str,
    address: str,
    phone: str,
    checked_by: str,
    guardian: str,
) -> None:
    req = RegisterIndividual(
        name=name,
        id_number=id_number,
        address=address,
        contact_phone=phone,
        face_check=FaceCheckMethod.DEVICE,
        face_checked_by=checked_by,
        guardian_id_number=guardian,
    )
    before = _count(fuzz_hall, Customer)
    try:
        customer_id = fuzz_hall.app.customers.register_individual(fuzz_hall.clerk, req)
    except HallError as exc:
        assert exc.message
        assert _count(fuzz_hall, Customer) == before  # refused: nothing written
        return
    assert _count(fuzz_hall, Customer) == before + 1
    with fuzz_hall.app.db.read() as s:
        stored = s.get_one(Customer, customer_id)
        assert stored.name == name.strip()
        assert all(ch.isprintable() for ch in stored.name), repr(stored.name)
        assert "\x00" not in stored.address + stored.face_check_by


@fuzz(20, db=True)
@given(
    texts_like(st.sampled_from(["clerk1", "super1", "nobody"])),
    st.text(ANY_CHAR, max_size=30) | st.just(DEMO_PASSWORD),
)
@example("clerk1\ud800", "x")
@example("nobody", "\ud800")
def test_log_in(fuzz_hall: _Hall, username: str, password: str) -> None:
    if username.strip() in ("clerk1", "super1"):
        username = "x" + username  # never lock the accounts the other tests act as
    try:
        fuzz_hall.app.auth.log_in(username, password)
    except HallError as exc:
        assert exc.message


@fuzz(80, db=True)
@given(
    texts_like(luhn_digits(15, "35209900"), luhn_digits(15, "86")),
    st.lists(luhn_digits(15, "35209900"), max_size=3),
)
def test_scanned_imei(fuzz_hall: _Hall, scanned: str, pending: list[str]) -> None:
    try:
        imei = fuzz_hall.app.stock.check_imei(fuzz_hall.supervisor, scanned, pending)
    except HallError as exc:
        assert exc.message
        return
    assert len(imei) == 15 and imei.isdigit() and imei.isascii()


cells = st.one_of(
    st.text(ANY_CHAR.filter(lambda c: not "\ud800" <= c <= "\udfff"), max_size=25),
    luhn_digits(15, "35209900"),
    st.sampled_from(["8.6123456789012E+14", "", " ", "=1+1"]),
)


@fuzz(25, db=True)
@given(st.data(), st.lists(st.tuples(cells, cells, cells), min_size=0, max_size=12))
def test_delivery_file_rows(
    fuzz_hall: _Hall, data: st.DataObject, rows: list[tuple[str, str, str]]
) -> None:
    codes = fuzz_hall.codes
    rows = [
        (imei, data.draw(st.sampled_from([*codes, model, model.lower()])), note)
        for imei, model, note in rows
    ]
    text = io.StringIO()
    csv.writer(text).writerows([("IMEI", "型号编码", "备注"), *rows])
    stock = fuzz_hall.app.stock
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "到货.csv"
        path.write_text(text.getvalue(), encoding="utf-8")
        try:
            report = stock.check_file(fuzz_hall.supervisor, path)
        except HallError as exc:
            assert exc.message
            return
        assert report.valid + report.error_rows == report.rows_total
        before = _count(fuzz_hall, Device)
        try:
            result = stock.import_file(fuzz_hall.supervisor, path, accepted=report)
        except HallError as exc:
            assert exc.message and _count(fuzz_hall, Device) == before
            return
        assert _count(fuzz_hall, Device) == before + result.imported == before + report.valid


@fuzz(60, db=True)
@given(texts_like(st.sampled_from(["SL20261124000001", "ZJ20261124000001"])))
@example("SL\ud800")
def test_work_order_lookup(fuzz_hall: _Hall, ref: str) -> None:
    try:
        fuzz_hall.app.work_orders.find(fuzz_hall.clerk, ref)
    except HallError as exc:
        assert exc.message


@fuzz(60, db=True)
@given(texts_like(mobiles(), st.sampled_from(["0591-87654321", "KD059100001234"])))
@example("1331234\ud800678")
def test_top_up_number_lookup(fuzz_hall: _Hall, number: str) -> None:
    try:
        fuzz_hall.app.top_up.find_number(fuzz_hall.clerk, number)
    except HallError as exc:
        assert exc.message


@fuzz(60, db=True)
@given(free_text)
@example("鼓楼区\ud800花园")
@example("%%%%_")
def test_coverage_lookup(fuzz_hall: _Hall, address: str) -> None:
    for look_up in (fuzz_hall.app.coverage.lookup, fuzz_hall.app.fixed_line.coverage):
        try:
            look_up(fuzz_hall.clerk, address)
        except HallError as exc:
            assert exc.message


digitsish = st.text(st.sampled_from("0123456789٣４%_ \ud800x"), max_size=12)


@fuzz(60, db=True)
@given(digitsish, digitsish, digitsish, st.none() | st.text(ANY_CHAR, max_size=8))
@example("1٣", "", "", None)
@example("", "", "", "\ud800")
def test_number_filter(
    fuzz_hall: _Hall, prefix: str, contains: str, ends_with: str, tier: str | None
) -> None:
    f = NumberFilter(prefix=prefix, contains=contains, ends_with=ends_with, tier_code=tier)
    try:
        found = fuzz_hall.app.numbers.find_numbers(fuzz_hall.clerk, f)
    except HallError as exc:
        assert exc.message
        return
    assert (prefix + contains + ends_with).strip(" ").isascii()
    assert all(v.number.isascii() for v in found)


@fuzz(15, db=True)
@given(
    name=st.text(CJK, min_size=2, max_size=4),
    person=resident_ids(),
    phone=mobiles(),
    pad=st.sampled_from(["", " ", "\t", "\u3000"]),
)
def test_valid_fields_register_and_are_found(
    fuzz_hall: _Hall, name: str, person: str, phone: str, pad: str
) -> None:
    """The fuzzed path that succeeds: valid fields (padded as typed) register once, and the
    customer is found by the ID number."""
    req = RegisterIndividual(
        name=pad + name + pad,
        id_number=pad + person + pad,
        address="福建省福州市鼓楼区五四路100号",
        contact_phone=pad + phone,
        face_check=FaceCheckMethod.DEVICE,
        face_checked_by="D1",
    )
    try:
        customer_id = fuzz_hall.app.customers.register_individual(fuzz_hall.clerk, req)
    except HallError as exc:
        assert "已登记" in exc.message or "周岁" in exc.message, exc.text
        return
    found = fuzz_hall.app.customers.search_customers(fuzz_hall.clerk, person)
    assert [r.id for r in found.rows] == [customer_id]


@pytest.fixture(scope="module")
def owner(fuzz_hall: _Hall) -> Owner:
    return make_owner(fuzz_hall.app)


@fuzz(60, db=True)
@given(
    phone=st.none() | texts_like(mobiles()),
    alt=st.none() | st.just("") | texts_like(mobiles()),
    address=st.none() | free_text,
    card_name=st.none() | st.just(NAME) | names,
    card_number=st.just(OWNER_ID) | texts_like(resident_ids()),
    card_address=free_text,
)
@example(None, None, "福建省福州市鼓楼区五四路\x00100号", None, OWNER_ID, "")
@example(None, None, None, NAME, OWNER_ID, "福建省福州市\ud800台江区工业路 523 号")
def test_customer_data_change(
    fuzz_hall: _Hall,
    owner: Owner,
    phone: str | None,
    alt: str | None,
    address: str | None,
    card_name: str | None,
    card_number: str,
    card_address: str,
) -> None:
    """资料变更: the quote of any typed change, then (when quoted) the signed change itself."""
    id_card = (
        None
        if card_name is None
        else card(name=card_name, id_number=card_number, address=card_address)
    )
    change = CustomerDataChange(owner.customer_id, phone, alt, address, id_card)
    service = fuzz_hall.app.account_changes
    try:
        quote = service.quote_customer_data(fuzz_hall.clerk, change)
    except HallError as exc:
        assert exc.message
        return
    try:
        service.change_customer_data(
            fuzz_hall.clerk, replace(change, signature_png=SIGNED, terms_text=quote.terms)
        )
    except HallError as exc:
        assert exc.message


scans = st.one_of(
    texts_like(
        luhn_digits(20, "898603"),
        luhn_digits(15, "86"),
        st.sampled_from(["ZTE-F650-000001", "HG8245-0001", "A001"]),
        alphabet="0123456789ABCDEF-_ \t\r\n" + CONTROLS,
    ),
    st.text(st.one_of(SURROGATES, st.sampled_from("8986")), min_size=1, max_size=22),
)


@fuzz(60, db=True)
@given(scans)
@example("8986\ud80031100000000001")
@example("ZTE\ud800")
@example("A\x00")
def test_scanned_sims_equipment_devices_and_codes(fuzz_hall: _Hall, scanned: str) -> None:
    """What a scanner or a keyboard puts into the SIM, modem, handset, community and service
    type fields."""
    app, clerk = fuzz_hall.app, fuzz_hall.clerk
    product = fuzz_hall.handset_id
    for check in (
        lambda: app.orders.check_sim(clerk, scanned),
        lambda: app.sim_swaps.check_new_sim(clerk, scanned),
        lambda: app.fixed_line.check_equipment(clerk, scanned),
        lambda: app.handsets.check_device(clerk, scanned, product),
        lambda: app.slots.free_slots(clerk, scanned),
        lambda: app.queue.issue_ticket(clerk, scanned),
        lambda: app.numbers.release_number(clerk, scanned),
    ):
        try:
            check()
        except HallError as exc:
            assert exc.message
