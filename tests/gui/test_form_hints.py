"""What a clerk is told on the forms: why 下一步 is greyed out on step 1, every registration
field error at once, and labelled supervisor-authorization boxes."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.blind import id_index
from hall_app.db.models import Customer
from hall_app.devices.id_reader import IdCardData
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT, tick
from tests.integration.test_open_mobile import _customer_without_mobile
from ui.customers.register import RegisterDialog
from ui.open_mobile.wizard import OpenMobileWizard
from ui.ops import Operations


def test_step_one_says_the_face_check_is_missing_beside_next(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = OpenMobileWizard(hall, clerk, ops, _customer_without_mobile(hall))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.draft.context is not None, timeout=WAIT)
    assert not wizard.next_button.isEnabled()
    assert wizard.next_hint.isVisible()
    assert "尚未完成人像比对" in wizard.next_hint.text()
    tick(qtbot, wizard.eligibility.face_passed)
    assert wizard.next_button.isEnabled() and wizard.next_hint.text() == ""


def test_the_supervisor_authorization_boxes_are_labelled(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = OpenMobileWizard(hall, clerk, ops, _customer_without_mobile(hall))
    qtbot.addWidget(wizard)
    page = wizard.eligibility
    labels = {
        label.buddy(): label.text()
        for label in page.supervisor_box.findChildren(QLabel)
        if label.buddy() is not None
    }
    assert labels == {page.sup_user: "主管用户名：", page.sup_password: "主管密码："}
    assert page.sup_password.accessibleName() == "主管密码"


def test_registration_shows_every_field_error_at_once(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    card = IdCardData(
        name="测试新客",
        gender="F",
        ethnicity="汉",
        birth_date=date(1990, 3, 7),
        address="",
        id_number="350102199003070020",
        issuer="福州市公安局鼓楼分局",
        valid_from=date(2020, 1, 1),
        valid_to=None,
    )
    dialog = RegisterDialog(card, hall.customers, clerk, ops)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT)
    qtbot.keyClicks(dialog.phone, "1391234")  # too short
    qtbot.keyClicks(dialog.guardian, "35010219900307002")  # a digit missing
    qtbot.keyClick(dialog.phone, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(dialog.face_error.text()), timeout=WAIT)  # an animated click
    assert dialog.phone_error.text().startswith("联系电话：")
    assert dialog.address_error.text() == "地址：请填写联系地址"
    assert dialog.guardian_error.text().startswith("监护人：")
    assert dialog.face_error.text().startswith("人像比对：")
    assert dialog.isVisible()
    ops.wait_idle()
    with hall.db.read() as s:
        n = s.scalar(
            select(func.count()).where(Customer.id_number_bidx == id_index(card.id_number))
        )
    assert n == 0 and shown.items == []

    # corrected one by one, the remaining errors stay until each is fixed
    dialog.phone.clear()
    qtbot.keyClicks(dialog.phone, "13912345678")
    dialog.guardian.clear()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.phone_error.text() == "" and dialog.guardian_error.text() == ""
    assert dialog.address_error.text() and dialog.face_error.text()


def test_every_wizard_page_says_what_keeps_next_greyed_out(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    """Not only step 1: a page that is not complete names what is missing beside 下一步."""
    wizard = OpenMobileWizard(hall, clerk, ops, _customer_without_mobile(hall))
    qtbot.addWidget(wizard)
    expected = {
        "NumberPage": "预占",
        "PlanPage": "选择一个套餐",
        "SimPage": "扫描 SIM 卡",
        "ConfirmPage": "签名确认",
        "PaymentPage": "收款",
    }
    for page in wizard.pages[1:-1]:  # a fresh order: nothing chosen yet
        assert not page.is_complete(), type(page).__name__
        assert expected[type(page).__name__] in page.missing()
