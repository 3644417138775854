"""Documents and the customer record of real broadband and landline orders (made through
FixedLineService): both services on one order, the modem's deposit (not a prepayment), long
line names on the narrow receipt, landline numbers written 0591-…, the relocation's original
address and equipment, and a fusion bundle's fee on the record — read back from the PDFs."""

from __future__ import annotations

import io
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.clock import fmt_local
from hall_app.db.models import Equipment, InstallerTeam, Product, Subscription
from hall_app.domain.enums import (
    EquipmentMode,
    EquipmentStatus,
    PaymentMethod,
    SubscriptionKind,
)
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.documents import DEPOSIT_NOTE, PREPAID_NOTE, DocumentKind
from hall_app.services.fixed_line import FixedInstalled, RelocateRequest
from tests.integration.test_fixed_line import (
    LANDLINES,
    SERIALS,
    Setup,
    _active_broadband,
    _bookable,
    _paid,
    _prepare,
    _request,
)

# A folder: the documents are saved there as PNG too; docs/work-order.png is made with
# HALL_SHOTS=docs pytest tests/integration/test_fixed_line_documents.py -k both_services
SHOTS = os.environ.get("HALL_SHOTS")
MODEM = "华为 GPON 光猫 HN8145X6"  # long enough to wrap on the 80 mm receipt


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    if SHOTS:
        subprocess.run(
            ["pdftoppm", "-png", "-r", "110", "-singlefile", str(path), f"{SHOTS}/{name}"],
            check=True,
        )
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _signature() -> bytes:
    """A signature as the customer screen gives it (a real PNG: the form prints it)."""
    image = Image.new("RGBA", (300, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (110, 70), (160, 20), (220, 65)], "black", 3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


SIGNED = _signature()


def _flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def st(hall: HallApp) -> Setup:
    setup = _prepare(hall)
    with hall.db.unit_of_work() as s:
        s.execute(update(Product).where(Product.code == "T-ONU").values(name=MODEM))
        s.execute(
            update(InstallerTeam)
            .where(InstallerTeam.code == "T-GL1")
            .values(leader="陈建华", phone="13305910101")
        )
    return setup


def _both(hall: HallApp, clerk: Actor, st: Setup) -> FixedInstalled:
    """Broadband in the fusion bundle with a lent modem, and a landline, in one order."""
    hall.fixed_line.reserve_landline(clerk, LANDLINES[0])
    req = _request(hall, clerk, st, landline_plan_code="LL20", landline_number=LANDLINES[0])
    return hall.fixed_line.install(clerk, replace(_paid(hall, clerk, req), signature_png=SIGNED))


def _print(hall: HallApp, clerk: Actor, done: FixedInstalled, kind: DocumentKind) -> bytes:
    return hall.documents.print_document(clerk, done.order_id, kind).pdf


def _read(
    hall: HallApp, clerk: Actor, done: FixedInstalled, kind: DocumentKind, path: Path, name: str
) -> str:
    """The printed document's text, without white space."""
    return _flat(_text(_print(hall, clerk, done, kind), path, name))


def test_a_broadband_and_landline_order_names_both_services(
    hall: HallApp, clerk: Actor, st: Setup, tmp_path: Path
) -> None:
    done = _both(hall, clerk, st)
    assert done.broadband_account is not None
    with hall.db.read() as s:
        bb, ll = (
            s.scalars(select(Product).where(Product.code == c)).one() for c in ("BB500", "LL20")
        )
        plans = (bb.name, ll.name)
    form = _read(hall, clerk, done, DocumentKind.ACCEPTANCE_FORM, tmp_path, "fixed-line-acceptance")
    assert "受理业务：新装宽带+固话" in form
    assert f"宽带账号：{done.broadband_account}" in form
    assert "固话号码：0591-87650001" in form and "059187650001" not in form
    assert _flat(f"套餐：融合 500M（{plans[0]}）；{plans[1]}") in form
    receipt = _read(hall, clerk, done, DocumentKind.RECEIPT, tmp_path, "fixed-line-receipt")
    assert "业务：新装宽带+固话" in receipt
    assert f"宽带账号：{done.broadband_account}" in receipt
    assert "固话号码：0591-87650001" in receipt and "059187650001" not in receipt
    order = _read(hall, clerk, done, DocumentKind.WORK_ORDER, tmp_path, "work-order")
    assert "受理业务：新装宽带+固话" in order
    # 受理时间 by the hall's clock (not the row's wall-clock stamp).
    assert f"受理时间：{fmt_local(hall.clock())[:10]}" in order
    # The landline has its barcode (labelled beneath it) besides its row in 三、业务.
    assert order.count("固话号码：0591-87650001") == 2
    assert order.count(f"宽带账号：{done.broadband_account}") == 2
    assert _flat(f"套餐：融合 500M（{plans[0]}）；{plans[1]}") in order


def test_a_modem_deposit_is_no_prepayment(
    hall: HallApp, clerk: Actor, st: Setup, tmp_path: Path
) -> None:
    done = _both(hall, clerk, st)
    form = _flat(_text(_print(hall, clerk, done, DocumentKind.ACCEPTANCE_FORM), tmp_path, "form"))
    assert _flat(f"{MODEM} 押金（{SERIALS[0]}） ¥100.00 {DEPOSIT_NOTE}") in form
    assert _flat(PREPAID_NOTE) not in form
    receipt = _flat(_text(_print(hall, clerk, done, DocumentKind.RECEIPT), tmp_path, "receipt"))
    assert "预存话费" not in receipt
    assert "设备押金不开具发票，拆机归还设备后凭本小票退还" in receipt


def test_long_line_names_wrap_on_the_receipt(
    hall: HallApp, clerk: Actor, st: Setup, tmp_path: Path
) -> None:
    done = _both(hall, clerk, st)
    text = _text(_print(hall, clerk, done, DocumentKind.RECEIPT), tmp_path, "receipt")
    lines = [line.strip() for line in text.splitlines()]
    first = next(i for i, line in enumerate(lines) if line.startswith("华为 GPON"))
    # The whole name over two lines, the amount on the first.
    assert lines[first].endswith("¥100.00")
    assert _flat(lines[first].removesuffix("¥100.00") + lines[first + 1]) == _flat(
        f"{MODEM} 押金（{SERIALS[0]}）"
    )


def test_a_landline_alone_is_written_with_its_area_code(
    hall: HallApp, clerk: Actor, st: Setup, tmp_path: Path
) -> None:
    hall.fixed_line.reserve_landline(clerk, LANDLINES[1])
    req = _request(
        hall,
        clerk,
        st,
        broadband_plan_code=None,
        bundle_code=None,
        bundled_with_id=None,
        equipment=(),
        landline_plan_code="LL20",
        landline_number=LANDLINES[1],
    )
    done = hall.fixed_line.install(clerk, replace(_paid(hall, clerk, req), signature_png=SIGNED))
    for kind in (DocumentKind.ACCEPTANCE_FORM, DocumentKind.RECEIPT):
        flat = _flat(_text(_print(hall, clerk, done, kind), tmp_path, kind.value))
        assert "固话号码：0591-87650002" in flat and "059187650002" not in flat
        assert "新装固话" in flat and "宽带账号" not in flat
        assert "预存话费" not in flat  # nothing prepaid on this order


def test_the_relocation_work_order_shows_the_old_address_and_the_equipment(
    hall: HallApp, clerk: Actor, st: Setup, tmp_path: Path
) -> None:
    sub = _active_broadband(hall)
    with hall.db.unit_of_work() as s:  # the modem the customer has had since the first install
        gear = s.scalars(select(Equipment).where(Equipment.serial == SERIALS[2])).one()
        gear.status, gear.mode, gear.subscription_id = (
            EquipmentStatus.LENT,
            EquipmentMode.DEPOSIT,
            sub.id,
        )
        gear.deposit_fen = 10_000
    req = RelocateRequest(
        subscription_id=sub.id,
        new_address=f"福州市鼓楼区{st.community}8号楼1201",
        slot_id=_bookable(hall, clerk, st.community),
        contact_name="李女士",
        contact_phone="0591-87001234",
        payments=(),
    )
    quote = hall.fixed_line.quote_relocation(clerk, req)
    paid = PaymentInput(PaymentMethod.BANK_CARD, quote.total_fen, None, "POS123")
    done = hall.fixed_line.relocate(
        clerk, replace(req, payments=(paid,), terms_text=quote.terms, signature_png=SIGNED)
    )
    flat = _flat(_text(_print(hall, clerk, done, DocumentKind.WORK_ORDER), tmp_path, "reloc-wo"))
    assert "装机工单（移机）" in flat
    assert f"原址：{_flat(sub.address)}" in flat
    assert f"新装机地址：{_flat(req.new_address)}" in flat
    assert f"{_flat(MODEM)}{SERIALS[2]}押金借用¥100.00" in flat
    assert "无（客户自备）" not in flat
    # Installed at the new address, a reprint still says where the line came from.
    hall.work_orders.dispatch(clerk, done.work_order_id)
    hall.work_orders.report_installed(clerk, done.work_order_id)
    again = hall.documents.print_document(
        clerk, done.order_id, DocumentKind.WORK_ORDER, reprint_reason="装维回单遗失"
    ).pdf
    reprinted = _flat(_text(again, tmp_path, "reloc-wo-again"))
    assert f"原址：{_flat(sub.address)}" in reprinted


def test_the_record_shows_the_bundle_fee_and_the_landline_as_written(
    hall: HallApp, clerk: Actor, st: Setup
) -> None:
    done = _both(hall, clerk, st)
    record = hall.customers.get_customer_record(clerk, st.customer_id)
    shown = {v.number_display: v for v in record.subscriptions}
    broadband = shown[done.broadband_account or ""]
    with hall.db.read() as s:
        bb = s.scalars(
            select(Subscription).where(Subscription.service_number == done.broadband_account)
        ).one()
        plan = s.get_one(Product, bb.product_id)
        plan_name, plan_fen = plan.name, plan.price_fen
    assert broadband.monthly_fee_fen == 5_000 != plan_fen  # the bundle's, not the plan's
    assert broadband.plan_name == f"融合 500M（{plan_name}）"
    assert shown["0591-87650001"].kind is SubscriptionKind.LANDLINE
    assert "059187650001" not in shown
