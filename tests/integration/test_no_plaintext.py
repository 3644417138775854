"""No ID number or phone of a customer in plaintext: not in a fresh demo database's file (nor
its WAL), not in the log (SQL included), not in an exported report. The phones the carrier
gave its own subscribers are service numbers (its resources, stored as such) and are left out
of the check; every other phone is one."""

from __future__ import annotations

import json
import logging
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import HallApp, build_app
from hall_app.cli import main
from hall_app.clock import business_date
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import (
    AuditEntry,
    Customer,
    Invoice,
    PhoneNumber,
    Staff,
    Subscription,
    WorkOrder,
)
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.picks import sims_in_stock
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import DemandStatus, FaceCheckMethod, PaymentMethod, WorkOrderStatus
from hall_app.domain.payments import PaymentInput
from hall_app.services.account_changes import CustomerDataChange
from hall_app.services.actor import Actor
from hall_app.services.customers import RegisterIndividual
from hall_app.services.documents import DocumentKind
from hall_app.services.fixed_line import DemandRequest, RelocateRequest
from hall_app.services.numbers import NumberFilter
from hall_app.services.orders import OpenMobileRequest
from tests.conftest import DEMO_TODAY, FakeClock
from tests.custdata_helpers import resident_id
from tests.handset_fixtures import SIGNED
from tests.integration.test_fixed_line import _active_broadband as active_broadband
from tests.integration.test_fixed_line import _prepare as prepare_fixed_line
from tests.people import people
from tests.transfer_helpers import pair, request


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    """Everything logged meanwhile, SQL statements included, into a file."""
    path = tmp_path / "hall.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root, sql = logging.getLogger(), logging.getLogger("sqlalchemy.engine")
    levels = root.level, sql.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.INFO)
    yield path
    root.removeHandler(handler)
    handler.close()
    root.setLevel(levels[0])
    sql.setLevel(levels[1])


def _bytes(path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


def test_no_id_number_or_phone_in_plaintext_anywhere(
    tmp_path: Path, logged: Path, clock: FakeClock
) -> None:
    db = tmp_path / "hall.sqlite3"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=7, today=DEMO_TODAY, chunk=200, workers=1).build(300, 2)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=url), clock=clock)
    try:
        everyone = people(hall)
        with hall.db.read() as s:
            carrier = set(s.scalars(select(Subscription.service_number))) | set(
                s.scalars(select(PhoneNumber.number))
            )
            buyers = s.scalar(select(Invoice.buyer_name).limit(1))
            staff = set(s.scalars(select(Staff.full_name)))
        numbers = {c.id_number for c in everyone if c.id_number}
        phones = {p for c in everyone for p in (c.contact_phone, c.alt_phone) if p} - carrier
        names = {c.name for c in everyone if len(c.name) >= 2}
        addresses = {c.address for c in everyone if c.address and len(c.address) >= 6}
        assert len(addresses) > 200
        assert len(numbers) > 200 and len(phones) > 20 and len(names) > 200
        assert buyers is not None and buyers.startswith("e1.")  # Core reads the sealed form
        # The clerk's everyday work, logged: searches, a record opened unmasked.
        supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
        someone = next(c for c in everyone if c.id_number and c.contact_phone not in carrier)
        assert hall.customers.search_customers(supervisor, someone.id_number or "").rows
        assert hall.customers.search_customers(supervisor, someone.contact_phone or "").rows
        assert hall.customers.search_customers(supervisor, someone.name[:2]).rows
        assert hall.customers.get_customer_record(supervisor, someone.id).sensitive_shown
    finally:
        hall.close()
    report = tmp_path / "daily.xlsx"
    argv = ["--db", url, "report", "daily", "--date", "2026-11-23", "--out", str(report)]
    assert main(argv) == 0
    with zipfile.ZipFile(report) as xlsx:
        exported = b"".join(xlsx.read(name) for name in xlsx.namelist())
    stored, log = _bytes(db), logged.read_bytes()
    assert b"SELECT" in log  # SQL was logged, with its parameters hidden
    for where, data in (("database", stored), ("log", log), ("report", exported)):
        leaked = [v for v in (*numbers, *phones) if v.encode() in data]
        assert leaked == [], f"{where}: {len(leaked)} in plaintext, e.g. {leaked[:1]}"
    # Names and addresses too, in the database (a member of staff may share a name).
    leaked = [n for n in (*(names - staff), *addresses) if any(f in stored for f in _forms(n))]
    assert leaked == [], f"{len(leaked)} in plaintext, e.g. {leaked[:1]}"


# -- the counter's own operations --------------------------------------------------------------
NEW_NAME = "宋雨桐"
NEW_ID = resident_id("35010219910623458")
NEW_PHONE = "13905917731"
CHANGED_PHONE = "13305918842"
CHANGED_ALT = "13605919953"
NEW_ADDRESS = "福建省福州市鼓楼区五四路 88 号 3 栋 1201 室"
CHANGED_ADDRESS = "福建省福州市台江区工业路 523 号 7 栋 402 室"
MOVE_CONTACT = "欧阳静怡"
MOVE_PHONE = "13705916604"
MASKED_DOCUMENTS = {DocumentKind.RECEIPT, DocumentKind.ACCEPTANCE_FORM}


def _forms(value: str) -> tuple[bytes, ...]:
    """A value's bytes as text holds it, and as JSON holds it (the audit's ``\\uXXXX``)."""
    return value.encode(), json.dumps(value).strip('"').encode()


def _pdf_text(path: Path) -> bytes:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    ).stdout


def test_the_counters_operations_leave_no_plaintext(
    logged: Path, demo_url: str, hall: HallApp, clerk: Actor, supervisor: Actor, tmp_path: Path
) -> None:
    """Register, open a number, change the customer's data, transfer a number and relocate a
    broadband line, logged at DEBUG with SQL; then the database file, the log, the day's
    reports and the orders' printed documents hold none of their ID numbers, phones, names or
    addresses in plaintext (the documents show them masked)."""
    # 实名登记
    cid = hall.customers.register_individual(
        clerk,
        RegisterIndividual(
            name=NEW_NAME,
            id_number=NEW_ID,
            address=NEW_ADDRESS,
            contact_phone=NEW_PHONE,
            face_check=FaceCheckMethod.DEVICE,
            face_checked_by="HK-FR-200",
            card_valid_to=date(2040, 1, 1),
        ),
    )
    # 开户
    number = hall.numbers.find_numbers(clerk, NumberFilter(tier_code=""))[0].number
    hall.numbers.reserve_number(clerk, number)
    opened = hall.orders.open_mobile_number(
        clerk,
        OpenMobileRequest(
            customer_id=cid,
            number=number,
            plan_code="5G129",
            iccid=sims_in_stock(hall.db, 1, 0, None)[0],
            addon_codes=("VAS_RING",),
            payments=(PaymentInput(PaymentMethod.CASH, 6_950, tendered_fen=10_000),),
            face_check=FaceCheckMethod.DEVICE,
            face_checked_by="HK-FR-200",
        ),
    )
    # 资料变更
    change = CustomerDataChange(
        cid, contact_phone=CHANGED_PHONE, alt_phone=CHANGED_ALT, address=CHANGED_ADDRESS
    )
    quote = hall.account_changes.quote_customer_data(clerk, change)
    changed = hall.account_changes.change_customer_data(
        clerk, replace(change, signature_png=SIGNED, terms_text=quote.terms)
    )
    # 过户
    p = pair(hall)
    check = hall.transfers.check_transfer(clerk, p.subscription_id, p.to_id)
    moved = hall.transfers.transfer(clerk, request(p, check, supervisor=supervisor))
    # 移机
    st = prepare_fixed_line(hall)
    line = active_broadband(hall)
    relocation = RelocateRequest(
        subscription_id=line.id,
        new_address=f"福州市鼓楼区{st.community}8号楼1201",
        slot_id=hall.slots.free_slots(clerk, st.community)[0].slot_id,
        contact_name=MOVE_CONTACT,
        contact_phone=MOVE_PHONE,
        payments=(),
    )
    priced = hall.fixed_line.quote_relocation(clerk, relocation)
    relocated = hall.fixed_line.relocate(
        clerk,
        replace(
            relocation,
            payments=(PaymentInput(PaymentMethod.BANK_CARD, priced.total_fen, None, "POS123"),),
            terms_text=priced.terms,
            signature_png=SIGNED,
        ),
    )
    # Everyone involved, opened through the ORM.
    involved = people(hall, Customer.id.in_([cid, p.from_id, p.to_id, line.customer_id]))
    assert {c.id for c in involved} == {cid, p.from_id, p.to_id, line.customer_id}
    numbers = {c.id_number for c in involved if c.id_number} | {NEW_ID}
    phones = {x for c in involved for x in (c.contact_phone, c.alt_phone) if x} | {
        NEW_PHONE,
        CHANGED_PHONE,
        CHANGED_ALT,
        MOVE_PHONE,
    }
    with hall.db.read() as s:  # the carrier's numbers are stored as such (see above)
        carrier = set(s.scalars(select(Subscription.service_number))) | set(
            s.scalars(select(PhoneNumber.number))
        )
    phones -= carrier
    names = {c.name for c in involved} | {NEW_NAME, MOVE_CONTACT}
    addresses = {NEW_ADDRESS, CHANGED_ADDRESS, relocation.new_address}
    assert len(numbers) >= 3 and len(phones) >= 4 and len(names) >= 4
    # What was printed for the orders (receipts and forms), and the day's reports.
    printed: list[bytes] = []
    for order_id in (opened.order_id, changed.order_id, moved.order_id, relocated.order_id):
        # The invoice names its buyer and the installer's work order the address and contact
        # it needs: those are printed as they are. The receipt and the form show them masked.
        kinds = set(hall.documents.document_kinds(clerk, order_id)) & MASKED_DOCUMENTS
        for kind in kinds:
            doc = hall.documents.print_document(clerk, order_id, kind)
            pdf = tmp_path / doc.filename
            pdf.write_bytes(doc.pdf)
            printed.append(_pdf_text(pdf))
    assert len(printed) >= 4
    hall.close()
    db = Path(demo_url.removeprefix("sqlite:///"))
    day = f"{business_date(hall.clock()):%Y-%m-%d}"
    exported = []
    for suffix in (".xlsx", ".pdf"):
        out = tmp_path / f"daily{suffix}"
        assert main(["--db", demo_url, "report", "daily", "--date", day, "--out", str(out)]) == 0
        if suffix == ".pdf":
            exported.append(_pdf_text(out))
        else:
            with zipfile.ZipFile(out) as xlsx:
                exported.append(b"".join(xlsx.read(n) for n in xlsx.namelist()))
    stored, log = _bytes(db), logged.read_bytes()
    assert b"UPDATE customers" in log and b"INSERT INTO audit_log" in log
    secret = (*numbers, *phones, *addresses)
    # The receipt and the form name the customer they are given to (a top-up's masked).
    places = (
        ("database", stored, (*secret, *names)),
        ("log", log, (*secret, *names)),
        ("reports", b"".join(exported), (*secret, *names)),
        ("documents", b"".join(printed), (*secret, MOVE_CONTACT)),
    )
    for where, data, values in places:
        leaked = [v for v in values if any(form in data for form in _forms(v))]
        assert leaked == [], f"{where}: {leaked} in plaintext"


# -- free text a clerk types ---------------------------------------------------------------------
NOTE_ID = "11010519491231002X"  # the standard's own example
NOTE_PHONE = "13905917731"


def test_an_id_and_a_phone_typed_into_free_text_reach_no_audit_entry_nor_log(
    logged: Path,
    demo_url: str,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A demand registration's follow-up note and a failed install's reason (from the
    installers' back office, ``hall-app workorder fail``) naming the customer's ID and phone:
    the audit entries hold both masked, the log, the command's output and the database file
    neither: the rows keep what was typed, sealed (migration 0021)."""
    typed = f"客户来电 {NOTE_PHONE}，身份证{NOTE_ID}，小区已覆盖"
    demand = hall.fixed_line.register_demand(
        clerk,
        DemandRequest(
            address="福州市晋安区未来之光花园1号楼",
            contact_name="赵先生",
            contact_phone="13800138000",
            wanted="宽带",
            note=typed,
        ),
    )
    view = hall.fixed_line.follow_up_demand(supervisor, demand, DemandStatus.NOTIFIED, typed)
    assert view.note == f"{typed}；{typed}"  # the record keeps it as typed
    with hall.db.read() as s:
        ref = s.scalars(
            select(WorkOrder.work_order_no).where(
                WorkOrder.status.in_((WorkOrderStatus.SCHEDULED, WorkOrderStatus.DISPATCHED))
            )
        ).first()
    assert ref is not None
    capsys.readouterr()
    assert main(["--db", demo_url, "workorder", "fail", ref, "--reason", typed]) == 0
    printed = capsys.readouterr()
    with hall.db.read() as s:
        entries = s.execute(
            select(AuditEntry.action, AuditEntry.before, AuditEntry.after).where(
                AuditEntry.action.in_(("demand.follow_up", "work_order.failed"))
            )
        ).all()
        audit_json = json.dumps(
            [list(e) for e in s.execute(select(AuditEntry.before, AuditEntry.after))]
        )
    assert sorted(e.action for e in entries) == ["demand.follow_up", "work_order.failed"]
    shown = json.dumps([list(e) for e in entries], ensure_ascii=False)
    assert "客户来电 139****7731，身份证1101**********002X，小区已覆盖" in shown
    places = (
        ("audit JSON", audit_json.encode()),
        ("log", logged.read_bytes()),
        ("output", (printed.out + printed.err).encode()),
        ("database file", _bytes(Path(demo_url.removeprefix("sqlite:///")))),
    )
    assert b"INSERT INTO audit_log" in places[1][1]
    for where, data in places:
        leaked = [v for v in (NOTE_ID, NOTE_PHONE) if any(f in data for f in _forms(v))]
        assert leaked == [], f"{where}: {leaked} in plaintext"
