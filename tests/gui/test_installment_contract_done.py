"""The shared done page offers 分期付款合同 only for an order that has an installment contract,
and previews it (every page) like the other documents."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Order
from hall_app.domain.enums import OrderType
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.integration.test_handset_documents import _installment_sale
from ui.ops import Operations
from ui.wizard import done
from ui.wizard.base import WizardEnv

WAIT = 10_000
SHOTS = os.environ.get("HALL_SHOTS")  # a folder for the preview's screenshot
KEYS = {
    DocumentKind.RECEIPT: "F10",
    DocumentKind.ACCEPTANCE_FORM: "F11",
    DocumentKind.INVOICE: "F12",
    DocumentKind.INSTALLMENT_CONTRACT: "F7",
}


class _Done(done.DonePage):
    """A handset sale's done page as the 购机 wizard builds it."""

    def __init__(self, env: WizardEnv, order_id: uuid.UUID) -> None:
        self._order_id = order_id
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        return self._order_id

    def has_invoice(self) -> bool:
        return False

    def result_html(self) -> str:
        return "<b>购机成功</b>"


def _page(qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, order_id: uuid.UUID) -> _Done:
    page = _Done(WizardEnv(hall, clerk, ops, None), order_id)
    qtbot.addWidget(page)
    page.resize(1000, 300)
    page.show()
    page.enter()
    return page


def test_done_page_offers_and_previews_the_contract(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, tmp_path: Path
) -> None:
    sale = _installment_sale(hall, clerk, 24, fee_fen=24_000)
    page = _page(qtbot, hall, clerk, ops, sale.order_id)
    button = page.buttons[DocumentKind.INSTALLMENT_CONTRACT]
    qtbot.waitUntil(button.isVisible, timeout=WAIT)
    assert button.isEnabled() and button.text() == "分期付款合同 (F7)"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: DocumentKind.INSTALLMENT_CONTRACT in page.previewed, timeout=WAIT)
    view = page.preview
    assert view is not None and view.windowTitle() == "分期付款合同 — 预览"
    pages = view.document.pageCount()
    assert pages >= 2 and f"共 {pages} 页" in view.info.text()
    if SHOTS:
        view.resize(1000, 720)
        qtbot.wait(300)
        view.grab().save(f"{SHOTS}/installment-contract-preview.png")
    view.close()


def test_an_order_without_a_contract_does_not_offer_one(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations
) -> None:
    with hall.db.read() as s:
        order_id = s.scalars(
            select(Order.id).where(Order.order_type == OrderType.OPEN_MOBILE).limit(1)
        ).one()
    page = _page(qtbot, hall, clerk, ops, order_id)
    ops.wait_idle()
    qtbot.wait(100)  # the answer is in: still hidden
    button = page.buttons[DocumentKind.INSTALLMENT_CONTRACT]
    assert not button.isVisible() and not button.isEnabled()
    page.print_document(DocumentKind.INSTALLMENT_CONTRACT)  # F7 does nothing either
    qtbot.wait(100)
    assert page.previewed == set()
