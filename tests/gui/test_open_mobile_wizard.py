"""The whole counter visit, as a clerk does it: call the ticket, read the ID card, pick a
pretty number, compare plans, scan the SIM, let the customer sign, take cash with change,
print, finish. Then the database and the PDFs read back from the saved files."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QCheckBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import (
    Customer,
    Invoice,
    Order,
    Payment,
    PhoneNumber,
    PrintRecord,
    QueueTicket,
    SimCard,
    Subscription,
)
from hall_app.devices.id_reader import IdCardData, SimulatedIdCardReader
from hall_app.domain.enums import (
    NumberStatus,
    PaymentMethod,
    SimStatus,
    SubscriptionStatus,
    TicketStatus,
)
from hall_app.domain.masking import mask_id_number, mask_phone
from hall_app.domain.money import capital_amount
from hall_app.services.documents import DocumentKind
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.integration.test_open_mobile import _customer_without_mobile, _sim
from ui.app import Session
from ui.documents import preview
from ui.main_window.window import MainWindow
from ui.open_mobile.wizard import OpenMobileWizard
from ui.ops import Operations
from ui.widgets.signature import SignaturePad

WAIT = 10_000


def card_of(hall: HallApp, customer_id: object) -> IdCardData:
    with hall.db.read() as s:
        c = s.get_one(Customer, customer_id)
        assert c.id_number and c.birth_date
        return IdCardData(
            name=c.name,
            gender=c.gender or "M",
            ethnicity="汉",
            birth_date=c.birth_date,
            address=c.address,
            id_number=c.id_number,
            issuer="福州市公安局鼓楼分局",
            valid_from=c.birth_date.replace(year=2020),
            valid_to=None,
        )


def sign(pad: SignaturePad, points: list[tuple[float, float]]) -> None:
    """A pen stroke: press, moves with the button held, release (what a tablet sends)."""

    def send(kind: QEvent.Type, x: float, y: float, buttons: Qt.MouseButton) -> None:
        at = QPointF(x, y)
        event = QMouseEvent(
            kind,
            at,
            pad.mapToGlobal(at),
            Qt.MouseButton.LeftButton,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(pad, event)

    held = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, *points[0], held)
    for x, y in points[1:]:
        send(QEvent.Type.MouseMove, x, y, held)
    send(QEvent.Type.MouseButtonRelease, *points[-1], Qt.MouseButton.NoButton)


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """Click the box itself (a wide check box only reacts on its indicator and label)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def reader_session(
    hall: HallApp, ops: Operations, qtbot: QtBot
) -> Iterator[tuple[Session, SimulatedIdCardReader]]:
    reader = SimulatedIdCardReader([])
    s = Session(replace(hall, id_reader=reader), ops)
    yield s, reader
    ops.wait_idle()
    if s.window is not None:
        s.window.close()


def start_wizard(qtbot: QtBot, window: MainWindow) -> OpenMobileWizard:
    qtbot.keyClick(window, Qt.Key.Key_F9)  # read the ID card
    page = window.customers
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    qtbot.waitUntil(page.open_mobile_button.isEnabled, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.wizard is not None and window.wizard.isVisible(), timeout=WAIT)
    assert window.wizard is not None
    return window.wizard


def next_page(qtbot: QtBot, wizard: OpenMobileWizard) -> None:
    before = wizard.current
    qtbot.waitUntil(wizard.next_button.isEnabled, timeout=WAIT)
    qtbot.keyClick(wizard, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: wizard.current is not before, timeout=WAIT)


def test_a_whole_visit_from_ticket_to_printed_documents(
    qtbot: QtBot,
    reader_session: tuple[Session, SimulatedIdCardReader],
    shown: ShownMessages,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, reader = reader_session
    hall = session.hall
    assert hall is not None
    customer_id = _customer_without_mobile(hall)
    reader.present(card_of(hall, customer_id))
    ticket = hall.queue.issue_ticket(hall.auth.log_in("super2", "hall1234"), "general")
    iccid = _sim(hall)

    window = _logged_in(qtbot, session)
    qtbot.keyClick(window, Qt.Key.Key_F2)  # call the ticket
    qtbot.waitUntil(lambda: window.queue.current is not None, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_F5)  # the customer is at the counter
    qtbot.waitUntil(
        lambda: window.queue.current.status is TicketStatus.SERVING,  # type: ignore[union-attr]
        timeout=WAIT,
    )
    wizard = start_wizard(qtbot, window)

    # 1. eligibility: an adult with no number, face compared on the device
    elig = wizard.eligibility
    qtbot.waitUntil(lambda: elig.verdict.text().startswith("可以办理"), timeout=WAIT)
    assert mask_id_number(card_of(hall, customer_id).id_number) in elig.customer_label.text()
    assert not wizard.next_button.isEnabled()  # the face check is not confirmed yet
    tick(qtbot, elig.face_passed)
    next_page(qtbot, wizard)

    # 2. a pretty number: tier 三级靓号, no 4, Enter to search, Enter to reserve
    numbers = wizard.number
    qtbot.waitUntil(lambda: numbers.tier.count() > 2, timeout=WAIT)
    numbers.tier.setFocus()
    for _ in range(4):  # 全部号码, 普通号码, 一级, 二级 → 三级靓号
        qtbot.keyClick(numbers.tier, Qt.Key.Key_Down)
    assert numbers.tier.currentData() == "T3"
    tick(qtbot, numbers.no_four)
    qtbot.keyClick(numbers.fields["prefix"], Qt.Key.Key_Return)

    def shown_tiers() -> set[str]:
        rows = range(numbers.results.rowCount())
        return {numbers.results.data(numbers.results.index(r, 1)) for r in rows}

    # the page listed all numbers on entry; wait for the answer to this search
    qtbot.waitUntil(lambda: shown_tiers() == {"三级靓号"}, timeout=WAIT)
    assert "找到" in numbers.hint.text()
    qtbot.keyClick(numbers.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.reservation is not None, timeout=WAIT)
    chosen = wizard.draft.reservation
    assert chosen is not None and chosen.number.tier_code == "T3"
    assert "4" not in chosen.number.number
    assert "预存话费 ¥500.00" in numbers.terms.text()
    next_page(qtbot, wizard)

    # 3. compare three plans (Space ticks), take the second, add a service
    plans = wizard.plan
    qtbot.waitUntil(lambda: plans.plan_list.count() > 0, timeout=WAIT)
    for row in (2, 3, 4, 5):  # a fourth tick is refused: three at most
        plans.plan_list.setCurrentRow(row)
        qtbot.keyClick(plans.plan_list, Qt.Key.Key_Space)
    assert len(plans.compared_codes()) == 3
    assert "最多同时对比 3 个套餐" in plans.compare_note.text()
    assert plans.compare.columnCount() == 3
    assert plans.compare.item(0, 0).text().startswith("¥")
    compared = plans.compared_codes()
    plans.plan_combo.setCurrentIndex(plans.plan_combo.findData(compared[1]))
    plans.addon_list.setCurrentRow(0)
    qtbot.keyClick(plans.addon_list, Qt.Key.Key_Space)
    next_page(qtbot, wizard)
    quote = wizard.draft.quote
    assert quote is not None and wizard.draft.plan_code == compared[1]

    # 4. the SIM: garbage first, then the real scan as keystrokes and Enter, then a double scan
    sim = wizard.sim
    qtbot.keyClicks(sim.iccid, "8986ABC")
    assert "ICCID" in sim.error.text()
    sim.iccid.clear()
    qtbot.keyClicks(sim.iccid, iccid)
    qtbot.keyClick(sim.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.sim is not None, timeout=WAIT)
    qtbot.keyClicks(sim.iccid, iccid)
    qtbot.keyClick(sim.iccid, Qt.Key.Key_Return)
    assert "已扫描并核对过" in sim.error.text()
    next_page(qtbot, wizard)

    # 5. the customer reads and signs on their own screen (a dialog with one screen)
    confirm = wizard.confirm
    dialog = confirm.customer_dialog
    assert dialog is not None and dialog.isVisible()
    assert capital_amount(quote.total_fen) in dialog.summary.text()
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert "请在签名框内签署" in dialog.note.text()  # an empty pad is not a signature
    sign(dialog.pad, [(60, 120), (120, 60), (180, 140), (260, 70), (330, 130)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.draft.signature_png is not None, timeout=WAIT)
    next_page(qtbot, wizard)

    # 6. cash with change; Enter takes the money
    pay = wizard.payment
    assert pay.due.text().endswith(f"¥{quote.total_fen // 100:,}.{quote.total_fen % 100:02d}")
    tendered = (quote.total_fen // 10_000 + 1) * 10_000  # the next hundred yuan up
    qtbot.keyClicks(pay.tendered, str(tendered // 100))
    change = tendered - quote.total_fen
    assert pay.change.text() == f"¥{change // 100:,}.{change % 100:02d}"
    qtbot.keyClick(pay.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.done_page, timeout=WAIT)
    opened = wizard.draft.opened
    assert opened is not None and opened.number == chosen.number.number
    assert f"找零 ¥{change // 100:,}" in wizard.done_page.result.text()

    # 7. documents: preview, save the form and the invoice, print the receipt
    saved: list[Path] = []

    def save_to(_parent: QWidget, suggested: str) -> str:
        saved.append(tmp_path / suggested)
        return str(saved[-1])

    monkeypatch.setattr(preview, "_ask_save_path", save_to)
    printed_pdf = tmp_path / "printer-output.pdf"

    def printer_ok(_parent: QWidget, printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed_pdf))
        return True

    monkeypatch.setattr(preview, "_choose_printer", printer_ok)
    done = wizard.done_page

    def prints(kind: DocumentKind) -> list[tuple[int, str]]:
        with hall.db.read() as s:
            rows = s.scalars(  # the ORM opens the sealed reason
                select(PrintRecord)
                .where(PrintRecord.order_id == opened.order_id, PrintRecord.document_type == kind)
                .order_by(PrintRecord.copy_no)
            ).all()
            return [(r.copy_no, r.reason) for r in rows]

    texts: dict[str, str] = {}
    for key, name, kind in (
        (Qt.Key.Key_F11, "form", DocumentKind.ACCEPTANCE_FORM),
        (Qt.Key.Key_F12, "invoice", DocumentKind.INVOICE),
    ):
        qtbot.keyClick(done, key)
        qtbot.waitUntil(lambda k=kind: k in done.previewed, timeout=WAIT)
        view = done.preview
        assert view is not None and view.document.pageCount() >= 1
        qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda v=view: "已保存到" in v.info.text(), timeout=WAIT)
        texts[name] = pdf_text(saved[-1])
        qtbot.keyClick(view, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
    qtbot.keyClick(done, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: len(done.previewed) == 3, timeout=WAIT)
    receipt_view = done.preview
    assert receipt_view is not None
    assert prints(DocumentKind.RECEIPT) == []  # shown, not printed: nothing recorded
    qtbot.keyClick(receipt_view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "已发送到打印机：第 1 份" in receipt_view.info.text(), timeout=WAIT)
    assert printed_pdf.read_bytes().startswith(b"%PDF")  # the pages went to the printer
    first_copy = tmp_path / "receipt-1.pdf"
    first_copy.write_bytes(receipt_view.issued[-1].pdf)
    assert "重打" not in pdf_text(first_copy)
    reasons: list[str] = []

    def reason(_parent: QWidget, _label: str) -> str:
        reasons.append("卡纸")
        return "卡纸"

    monkeypatch.setattr(preview, "_ask_reason", reason)
    qtbot.keyClick(receipt_view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "已发送到打印机：第 2 份" in receipt_view.info.text(), timeout=WAIT)
    second_copy = tmp_path / "receipt-2.pdf"
    second_copy.write_bytes(receipt_view.issued[-1].pdf)
    assert reasons == ["卡纸"] and "重打" in pdf_text(second_copy)  # the second is stamped
    assert prints(DocumentKind.RECEIPT) == [(1, ""), (2, "卡纸")]

    id_number = card_of(hall, customer_id).id_number
    form = texts["form"]
    assert mask_id_number(id_number) in form and id_number not in form
    assert capital_amount(quote.total_fen) in form
    assert opened.order_no in form
    assert opened.number not in form and mask_phone(opened.number) in form  # masked, terms too
    invoice = texts["invoice"]
    assert opened.invoice_no is not None and opened.invoice_no in invoice
    assert capital_amount(opened.invoice_total_fen) in invoice
    assert "*电信服务*基础电信服务" in invoice and "9%" in invoice
    assert "*电信服务*增值电信服务" in invoice and "6%" in invoice

    # 8. finish the wizard and the ticket
    qtbot.keyClick(receipt_view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
    qtbot.keyClick(wizard, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_F8)
    qtbot.waitUntil(
        lambda: window.queue.current.status is TicketStatus.DONE,  # type: ignore[union-attr]
        timeout=WAIT,
    )
    session.ops.wait_idle()
    assert not [t for t in shown.texts() if "错误" in t or "失败" in t], shown.items

    with hall.db.read() as s:
        order = s.scalars(select(Order).where(Order.order_no == opened.order_no)).one()
        assert order.ticket_id == ticket.id and order.customer_id == customer_id
        assert order.total_fen == quote.total_fen and order.terms_text == quote.terms
        assert order.signature_png is not None and order.signature_png.startswith(b"\x89PNG")
        payment = s.scalars(select(Payment).where(Payment.order_id == order.id)).one()
        assert payment.method is PaymentMethod.CASH
        assert (payment.amount_fen, payment.tendered_fen, payment.change_fen) == (
            quote.total_fen,
            tendered,
            change,
        )
        inv = s.scalars(select(Invoice).where(Invoice.order_id == order.id)).one()
        assert inv.invoice_no == opened.invoice_no and inv.tax_fen == quote.tax_fen
        sub = s.get_one(Subscription, order.subscription_id)
        assert sub.status is SubscriptionStatus.ACTIVE and sub.service_number == opened.number
        number = s.scalars(select(PhoneNumber).where(PhoneNumber.number == opened.number)).one()
        assert number.status is NumberStatus.ASSIGNED
        card = s.scalars(select(SimCard).where(SimCard.iccid == iccid)).one()
        assert card.status is SimStatus.ASSIGNED and sub.sim_id == card.id
        prints = s.scalars(select(PrintRecord).where(PrintRecord.order_id == order.id)).all()
        assert sorted(p.document_type for p in prints) == [
            "acceptance_form",
            "invoice",
            "receipt",
            "receipt",
        ]
        t = s.get_one(QueueTicket, ticket.id)
        assert t.status is TicketStatus.DONE and t.customer_id == customer_id
        assert t.finished_at is not None
