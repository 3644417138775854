"""The wizard's pages on their own: what each refuses, and what abandoning leaves behind."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.blind import id_index
from hall_app.db.models import Customer, Order, Payment, PhoneNumber, SimCard, Subscription
from hall_app.devices.id_reader import IdCardData, SimulatedIdCardReader
from hall_app.domain.enums import NumberStatus, SimStatus
from hall_app.services.actor import Actor
from tests.conftest import FakeClock
from tests.gui.conftest import ShownMessages
from tests.gui.test_open_mobile_wizard import WAIT, next_page, sign, tick
from tests.integration.test_open_mobile import _customer_without_mobile, _request, _sim
from ui.customers.search import CustomerSearchPage
from ui.open_mobile.wizard import OpenMobileWizard
from ui.ops import Changes, Operations


def _wizard(qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, customer_id: object):  # type: ignore[no-untyped-def]
    wizard = OpenMobileWizard(hall, clerk, ops, customer_id)  # type: ignore[arg-type]
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.draft.context is not None, timeout=WAIT)
    return wizard


def _to_number_page(qtbot: QtBot, wizard: OpenMobileWizard, ordinary: bool = True) -> str:
    tick(qtbot, wizard.eligibility.face_passed)
    next_page(qtbot, wizard)
    numbers = wizard.number
    qtbot.waitUntil(lambda: numbers.tier.count() > 2, timeout=WAIT)
    if ordinary:
        numbers.tier.setFocus()
        qtbot.keyClick(numbers.tier, Qt.Key.Key_Down)  # 普通号码
    qtbot.keyClick(numbers.fields["prefix"], Qt.Key.Key_Return)

    def listed() -> bool:  # the answer to this search, not to the one the page ran on entry
        tiers = {numbers.results.data(numbers.results.index(r, 1)) for r in range(5)}
        return numbers.results.rowCount() > 0 and (not ordinary or tiers == {"普通号码"})

    qtbot.waitUntil(listed, timeout=WAIT)
    qtbot.keyClick(numbers.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.reservation is not None, timeout=WAIT)
    assert wizard.draft.reservation is not None
    return wizard.draft.reservation.number.number


def _to_sim_page(qtbot: QtBot, wizard: OpenMobileWizard, plan_row: int) -> None:
    """An ordinary number, then the plan in row ``plan_row`` of the choice (cheapest first)."""
    _to_number_page(qtbot, wizard)
    next_page(qtbot, wizard)
    plans = wizard.plan
    qtbot.waitUntil(lambda: plans.plan_combo.count() > 1, timeout=WAIT)
    plans.plan_combo.setCurrentIndex(plan_row)
    next_page(qtbot, wizard)


def _status(hall: HallApp, number: str) -> NumberStatus:
    with hall.db.read() as s:
        return s.scalars(select(PhoneNumber.status).where(PhoneNumber.number == number)).one()


def test_abandoning_the_wizard_gives_the_number_back(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    number = _to_number_page(qtbot, wizard)
    assert _status(hall, number) is NumberStatus.RESERVED
    numbers = wizard.number  # choosing another number gives the first one back
    qtbot.keyClick(numbers.table, Qt.Key.Key_Down)
    qtbot.keyClick(numbers.table, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            wizard.draft.reservation is not None
            and wizard.draft.reservation.number.number != number
        ),
        timeout=WAIT,
    )
    second = wizard.draft.reservation.number.number  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: _status(hall, number) is NumberStatus.AVAILABLE, timeout=WAIT)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert f"已预占的号码 {second} 将立即释放" in shown.texts()[-1]
    ops.wait_idle()
    assert not wizard.isVisible()
    assert _status(hall, second) is NumberStatus.AVAILABLE


def test_digits_only_in_the_number_filters(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    tick(qtbot, wizard.eligibility.face_passed)
    next_page(qtbot, wizard)
    numbers = wizard.number
    qtbot.keyClicks(numbers.fields["ends"], "88a")
    assert numbers.field_errors["ends"].text() == "尾号只能输入数字"
    assert not wizard.next_button.isEnabled()


def test_an_expired_reservation_at_payment_takes_no_money(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    clock: FakeClock,
    shown: ShownMessages,
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    _to_sim_page(qtbot, wizard, plan_row=2)
    qtbot.keyClicks(wizard.sim.iccid, _sim(hall))
    qtbot.keyClick(wizard.sim.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.sim is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    sign(dialog.pad, [(40, 40), (200, 120)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    next_page(qtbot, wizard)
    with hall.db.read() as s:
        before = (
            s.scalar(select(func.count()).select_from(Order)),
            s.scalar(select(func.count()).select_from(Payment)),
        )
    clock.now += timedelta(minutes=31)  # the customer hesitated
    wizard.number._tick()  # the number page's countdown notices, while the clerk is elsewhere
    qtbot.keyClicks(wizard.payment.tendered, "500")
    assert wizard.payment.is_complete()  # the order decides, not the countdown
    qtbot.keyClick(wizard.payment.tendered, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.current is wizard.number, timeout=WAIT)
    assert "预占已过期" in shown.texts()[-1] and "本次未收费" in shown.texts()[-1]
    assert wizard.draft.reservation is None and not wizard.next_button.isEnabled()
    with hall.db.read() as s:
        after = (
            s.scalar(select(func.count()).select_from(Order)),
            s.scalar(select(func.count()).select_from(Payment)),
        )
    assert after == before


def test_payment_fields_name_what_is_wrong(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    _to_sim_page(qtbot, wizard, plan_row=1)
    wizard.go_to(wizard.payment)  # the payment page checks on its own what is typed
    pay = wizard.payment
    qtbot.keyClicks(pay.tendered, "12.345")
    assert pay.error.text() == "实收现金：金额最多两位小数"
    pay.tendered.clear()
    pay.tendered.insert("9" * 4300)  # pasted: cut at the field, refused as an amount
    pay._recompute()
    assert (
        len(pay.tendered.text()) == 32
        and pay.error.text() == "实收现金：“" + "9" * 32 + "” 金额过大"
    )
    assert not shown.items  # no crash dialog
    pay.tendered.clear()
    qtbot.keyClicks(pay.tendered, "1")
    assert pay.error.text().startswith("实收现金：实收 ¥1.00 少于应收现金")
    qtbot.keyClicks(pay.card_amount, "10")
    assert pay.error.text().startswith("实收现金") or "交易参考号" in pay.error.text()
    pay.tendered.clear()
    qtbot.keyClicks(pay.tendered, "1000")
    assert pay.error.text() == "交易参考号：银行卡须录入交易参考号（至少 6 位字母或数字）"
    qtbot.keyClicks(pay.card_ref, "POS123456")
    assert pay.error.text() == "" and pay.is_complete()
    qtbot.keyClicks(pay.qr_amount, "100000")
    assert pay.error.text() == "支付金额：银行卡与扫码金额合计超过应收"


def test_used_and_unknown_sims_are_refused(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    with hall.db.read() as s:
        used = s.scalars(
            select(SimCard.iccid).where(SimCard.status == SimStatus.ASSIGNED).limit(1)
        ).one()
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    wizard.go_to(wizard.sim)
    sim = wizard.sim
    qtbot.keyClicks(sim.iccid, used)
    qtbot.keyClick(sim.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "不能再用于开户" in sim.error.text(), timeout=WAIT)
    unknown = "89860311" + "0" * 11
    from hall_app.domain.telecom import luhn_check_digit

    sim.iccid.clear()
    qtbot.keyClicks(sim.iccid, unknown + luhn_check_digit(unknown))
    qtbot.keyClick(sim.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "库存中没有" in sim.error.text(), timeout=WAIT)
    sim.iccid.clear()
    qtbot.keyClicks(sim.iccid, used[:19] + str((int(used[19]) + 1) % 10))  # a misread digit
    qtbot.keyClick(sim.iccid, Qt.Key.Key_Return)
    assert sim.error.text().startswith("ICCID：校验位错误")
    assert wizard.draft.sim is None and not sim.is_complete()


def test_iccid_letters_are_flagged_as_they_are_typed(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    wizard.go_to(wizard.sim)
    sim = wizard.sim
    qtbot.keyClicks(sim.iccid, "8986")
    assert sim.error.text() == "ICCID：已输入 4 位，共 20 位"
    qtbot.keyClicks(sim.iccid, "abc")  # 8986abc: letters where the issuer digits go
    assert "已输入" not in sim.error.text()
    assert sim.error.text() == "ICCID：第 5-6 位是发卡方代码，只能是数字，第 5 位却是 a"
    sim.iccid.clear()
    qtbot.keyClicks(sim.iccid, "898603x")
    assert sim.error.text() == "ICCID：含有非法字符 x"
    sim.iccid.clear()
    qtbot.keyClicks(sim.iccid, "8985")
    assert sim.error.text() == "ICCID：应以 8986 开头（中国），实际为 8985"


def test_a_payment_after_the_day_close_is_said_on_the_done_page(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations
) -> None:
    hall.cash.open_session(clerk, 0)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    hall.cash.close_session(clerk, 6_950)  # 日结
    for skip, reopened in ((1, True), (2, False)):
        opened = hall.orders.open_mobile_number(clerk, _request(hall, clerk, skip=skip))
        wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall, 5))
        wizard.draft.opened = opened
        wizard.go_to(wizard.done_page)
        text = wizard.done_page.result.text()
        assert ("本日已日结，已为本笔收款新开钱箱（无备用金）" in text) is reopened
        assert "开户成功" in text


def test_second_number_within_30_days_needs_a_supervisor_at_the_counter(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    first = _request(hall, clerk)
    hall.orders.open_mobile_number(clerk, first)
    wizard = _wizard(qtbot, hall, clerk, ops, first.customer_id)
    elig = wizard.eligibility
    assert "须值班主管在本窗口授权" in elig.verdict.text()
    assert elig.supervisor_box.isVisible()
    tick(qtbot, elig.face_passed)
    assert not wizard.next_button.isEnabled()
    qtbot.keyClicks(elig.sup_user, "clerk2")
    qtbot.keyClicks(elig.sup_password, "hall1234")
    qtbot.keyClick(elig.sup_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "无权授权" in elig.sup_result.text(), timeout=WAIT)
    elig.sup_user.clear()
    qtbot.keyClicks(elig.sup_user, "super1")
    qtbot.keyClicks(elig.sup_password, "wrong-password")
    qtbot.keyClick(elig.sup_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "密码" in elig.sup_result.text(), timeout=WAIT)
    assert elig.sup_password.text() == ""  # never left in the field
    qtbot.keyClicks(elig.sup_password, "hall1234")
    qtbot.keyClick(elig.sup_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已由" in elig.sup_result.text(), timeout=WAIT)
    assert wizard.draft.supervisor is not None and wizard.next_button.isEnabled()


def test_a_minor_needs_the_guardian_present(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    with hall.db.read() as s:
        since = hall.clock() - timedelta(days=hall.settings.rules.recent_open_window_days)
        lately = select(Subscription.customer_id).where(Subscription.activated_at >= since)
        minor = s.scalars(  # one with no number opened lately: a guardian is all it needs
            select(Customer.id)
            .where(Customer.guardian_id.is_not(None), Customer.id.not_in(lately))
            .order_by(Customer.id)
        ).first()
        assert minor is not None
    wizard = _wizard(qtbot, hall, clerk, ops, minor)
    elig = wizard.eligibility
    assert "须监护人到场" in elig.verdict.text() and elig.guardian_box.isVisible()
    tick(qtbot, elig.face_passed)
    assert not wizard.next_button.isEnabled()
    tick(qtbot, elig.guardian_present)
    assert wizard.next_button.isEnabled()


def test_an_unregistered_card_opens_registration(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    card = new_card(
        "测试新客", "F", date(1990, 3, 7), "350102199003070020", "福建省福州市鼓楼区五四路 88 号"
    )
    page = CustomerSearchPage(hall.customers, clerk, ops, SimulatedIdCardReader([card]))
    qtbot.addWidget(page)
    page.show()
    qtbot.mouseClick(page.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.register_dialog is not None, timeout=WAIT)
    dialog = page.register_dialog
    assert dialog is not None
    assert (
        dialog.findChild(type(dialog.phone_error), "card_证件号码").text() == "3501**********0020"
    )
    qtbot.keyClicks(dialog.phone, "1234")
    qtbot.keyClicks(dialog.phone, "5678901")
    assert dialog.phone_error.text().startswith("联系电话：")
    dialog.phone.clear()
    qtbot.keyClicks(dialog.phone, "13912345678")
    assert dialog.phone_error.text() == ""
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "人像比对" in dialog.face_error.text()  # not yet compared: nothing saved
    tick(qtbot, dialog.face_passed)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.current is not None or bool(shown.items), timeout=WAIT)
    assert not shown.items
    assert page.current is not None and page.current.name == "测试新客"
    with hall.db.read() as s:
        c = s.scalars(
            select(Customer).where(Customer.id_number_bidx == id_index(card.id_number))
        ).one()
        assert c.contact_phone == "13912345678" and c.face_check_by == "HK-FR-200"


@pytest.mark.parametrize("present", [None])
def test_an_empty_reader_says_so(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, present: None
) -> None:
    reader = SimulatedIdCardReader([])
    reader.present(present)
    page = CustomerSearchPage(hall.customers, clerk, ops, reader)
    qtbot.addWidget(page)
    page.show()
    qtbot.mouseClick(page.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "未检测到身份证" in page.field_error.text(), timeout=WAIT)
    assert page.read_button.isEnabled()


def _to_confirm_page(qtbot: QtBot, hall: HallApp, wizard: OpenMobileWizard) -> None:
    _to_sim_page(qtbot, wizard, plan_row=2)
    qtbot.keyClicks(wizard.sim.iccid, _sim(hall))
    qtbot.keyClick(wizard.sim.iccid, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.draft.sim is not None, timeout=WAIT)
    next_page(qtbot, wizard)


def test_abandoning_at_confirmation_clears_the_customer_screen(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    _to_confirm_page(qtbot, hall, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None and dialog.isVisible()
    number = wizard.draft.reservation.number.number  # type: ignore[union-attr]
    wizard.reject()  # Esc
    assert not dialog.isVisible() and wizard.confirm.customer_dialog is None
    ops.wait_idle()
    qtbot.waitUntil(lambda: _status(hall, number) is NumberStatus.AVAILABLE, timeout=WAIT)


def test_the_wizard_cannot_be_closed_while_the_order_is_being_taken(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    wizard = _wizard(qtbot, hall, clerk, ops, _customer_without_mobile(hall))
    _to_confirm_page(qtbot, hall, wizard)
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    sign(dialog.pad, [(40, 40), (200, 120)])
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    next_page(qtbot, wizard)
    gate = threading.Event()
    ops.mutate(gate.wait, changes=Changes.NONE)  # the write worker is busy for now
    qtbot.keyClicks(wizard.payment.tendered, "100")
    qtbot.keyClick(wizard.payment.tendered, Qt.Key.Key_Return)  # the order waits its turn
    wizard.reject()  # Esc while the money is being taken
    assert shown.texts()[-1] == "正在办理，请稍候完成后再关闭"
    assert wizard.isVisible()
    gate.set()
    qtbot.waitUntil(lambda: wizard.current is wizard.done_page, timeout=WAIT)
    assert wizard.draft.opened is not None


def test_after_registering_the_list_and_hint_are_about_the_new_customer(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    """Defect: the new record showed while the list still highlighted someone else and the
    line above still said 尚未登记, so one Enter opened the wrong person."""
    card = new_card(
        "测试新客", "F", date(1990, 3, 7), "350102199003070020", "福建省福州市鼓楼区五四路 88 号"
    )
    page = CustomerSearchPage(hall.customers, clerk, ops, SimulatedIdCardReader([card]))
    qtbot.addWidget(page)
    page.show()
    page.query.setText("张")  # someone else is in the list, highlighted
    qtbot.keyClick(page.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.results.rowCount() > 1, timeout=WAIT)
    qtbot.mouseClick(page.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.register_dialog is not None, timeout=WAIT)
    assert page.results.rowCount() == 0  # the card's holder is nobody in the old list
    dialog = page.register_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.phone, "13912345678")
    tick(qtbot, dialog.face_passed)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    ops.wait_idle()
    qtbot.waitUntil(lambda: not ops.busy, timeout=WAIT)
    assert not shown.items
    assert page.results.rowCount() == 1
    assert page.results.payload(0) == page.current.id
    assert page.table.currentIndex().row() == 0
    assert "尚未登记" not in page.hint.text() and "找到 1 位客户" in page.hint.text()
    opened = page.current.id
    page.current = None
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # Enter opens the new customer, nobody else
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    assert page.current.id == opened and page.current.name == "测试新客"


def test_a_card_of_someone_unregistered_closes_the_record_open_before(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    """Seen on the real app: with 苏兰 open, the demo reader read 陈凯峰 (not registered);
    the registration was cancelled and Ctrl+N opened a number for 苏兰."""
    card = new_card(
        "测试新客", "F", date(1990, 3, 7), "350102199003070020", "福建省福州市鼓楼区五四路 88 号"
    )
    page = CustomerSearchPage(hall.customers, clerk, ops, SimulatedIdCardReader([card]))
    qtbot.addWidget(page)
    page.show()
    page.open_customer(_customer_without_mobile(hall))
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    assert page.open_mobile_button.isEnabled()
    qtbot.mouseClick(page.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.register_dialog is not None, timeout=WAIT)
    assert page.current is None and not page.open_mobile_button.isEnabled()
    assert page.record.title.text() == "请在左侧查询并打开客户"  # nobody open
    dialog = page.register_dialog
    assert dialog is not None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    requested: list[object] = []
    page.open_mobile_requested.connect(requested.append)
    page._request_open_mobile()  # what Ctrl+N does (the shortcut needs an active window)
    assert requested == []
    assert page.field_error.text() == "请先打开客户资料再开户 (F3 查询)"


def test_the_registration_address_is_capped_at_its_column(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations
) -> None:
    from ui.customers.register import RegisterDialog

    card = new_card("测试长址", "M", date(1980, 1, 1), "350102198001010016", "福建省福州市")
    dialog = RegisterDialog(card, hall.customers, clerk, ops)
    qtbot.addWidget(dialog)
    dialog.address.selectAll()
    dialog.address.insert("长" * 252)  # pasted: the central database would refuse it
    assert len(dialog.address.text()) == 200


def new_card(name: str, gender: str, born: date, id_number: str, address: str) -> IdCardData:
    """The card of someone not registered yet, as the reader gives it."""
    return IdCardData(
        name=name,
        gender=gender,
        ethnicity="汉",
        birth_date=born,
        address=address,
        id_number=id_number,
        issuer="福州市公安局鼓楼分局",
        valid_from=date(2020, 1, 1),
        valid_to=None,
    )
