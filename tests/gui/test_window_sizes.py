"""Every window and dialog fits a 1366×768 counter monitor: opened with demo data on the
virtual screen of tests/gui/screen_1366x768.json (1366×728, what is left beside a 40 px
taskbar), each fits with its frame, its minimum size fits, and its key buttons are shown
whole inside it. ``fitted_size`` is also checked on the larger screens counters have."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QPushButton, QTabWidget, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.db.models import Customer, Order, Subscription, WorkOrder
from hall_app.domain.enums import SubscriptionKind, SubscriptionStatus, SuspendReason
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from hall_app.services.documents import DocumentKind
from hall_app.services.numbers import NumberFilter
from tests.fixed_line_fixtures import make_work_order
from tests.gui.conftest import ShownMessages
from tests.gui.test_customer_search import _logged_in
from tests.gui.test_open_mobile_wizard import WAIT, card_of
from tests.integration.handset_rows import contract_sale, installment_sale
from tests.integration.test_open_mobile import _customer_without_mobile, _request
from tests.transfer_helpers import pair
from ui.app import Session
from ui.approvals.remote import RemoteApprovalDialog
from ui.cash.dialog import CashDialog
from ui.customers.red_letter import RedLetterDialog
from ui.customers.register import RegisterDialog
from ui.desk.alerts import AuditAlertsPage
from ui.desk.approvals import ApprovalsPage, DecisionDialog
from ui.desk.my_performance import MyPerformanceDialog
from ui.desk.pages import DeskContext
from ui.desk.queue_review import QueueReviewPage
from ui.desk.staff_dialogs import NewStaffDialog, ResetPasswordDialog
from ui.documents.preview import DocumentPreview
from ui.kiosk.window import KioskWindow
from ui.login.change_password import ChangePasswordDialog
from ui.login.dialog import LoginDialog
from ui.open_mobile.base import OrderDraft
from ui.open_mobile.page_confirm import CustomerConfirmDialog, summary_html
from ui.open_mobile.wizard import OpenMobileWizard
from ui.ops import Operations
from ui.queue.evaluation import EvaluationScreen
from ui.queue.transfer import TransferDialog
from ui.screen import FRAME, fitted_size
from ui.sync.quarantine import QuarantineDialog
from ui.transfer.dialog import TransferDialog as OwnershipTransferDialog
from ui.transfer.pages import TransferDraft

USABLE = QSize(1366, 728)  # a 1366×768 monitor less a 40 px taskbar


@dataclass
class Opened:
    window: QWidget
    buttons: list[QPushButton]


@dataclass
class Env:
    qtbot: QtBot
    hall: HallApp
    clerk: Actor
    supervisor: Actor
    ops: Operations
    session: Session


def _shown(env: Env, window: QWidget) -> QWidget:
    env.qtbot.addWidget(window)
    window.show()
    env.qtbot.waitUntil(window.isVisible, timeout=WAIT)
    return window


def open_login(env: Env) -> Opened:
    login = _shown(env, LoginDialog(env.hall.auth, env.ops, "单机模式（本地数据库）"))
    assert isinstance(login, LoginDialog)
    return Opened(login, [login.login_button])


def _busiest_customer(hall: HallApp) -> object:
    with hall.db.read() as s:
        return (
            s.execute(
                select(Order.customer_id).group_by(Order.customer_id).order_by(func.count().desc())
            )
            .scalars()
            .first()
        )


def open_main_window(env: Env) -> Opened:
    window = _logged_in(env.qtbot, env.session)
    page = window.customers
    page.open_customer(_busiest_customer(env.hall))  # type: ignore[arg-type]
    env.qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    env.qtbot.wait(50)
    tabs = page.record.tabs  # every tab of the record shown, with its count, unscrolled
    assert tabs.tabBar().sizeHint().width() <= tabs.width(), (
        tabs.tabBar().sizeHint(),
        tabs.width(),
    )
    buttons = [*window.queue.buttons.values(), page.open_mobile_button, page.search_button]
    buttons += [b for b in window.findChildren(QPushButton) if b.objectName() == "cashButton"]
    return Opened(window, buttons)


def _busiest_with_everything(env: Env) -> uuid.UUID:
    """The busiest customer given the tallest record there is: three open install work
    orders above the tabs (one past its promised date), three installment contracts with
    overdue instalments and two contract phones on the 终端 tab."""
    hall, clerk = env.hall, env.clerk
    with hall.db.read() as s:  # the busiest with a mobile number (ties in any order)
        customer = s.scalars(
            select(Order.customer_id)
            .where(
                Order.customer_id.in_(
                    select(Subscription.customer_id).where(
                        Subscription.kind == SubscriptionKind.MOBILE,
                        Subscription.status == SubscriptionStatus.ACTIVE,
                    )
                )
            )
            .group_by(Order.customer_id)
            .order_by(func.count().desc(), Order.customer_id)
        ).first()
    assert isinstance(customer, uuid.UUID)
    with hall.db.read() as s:
        open_now = sum(v.is_open for v in hall.work_orders.for_customer(clerk, customer))
        mobile = s.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(
                Subscription.customer_id == customer,
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
        )
    assert mobile, "the busiest demo customer has an active mobile number"
    for i in range(3 - open_now):  # theirs now: the work order, its order, its subscriptions
        built = make_work_order(hall, clerk, promised=date(2026, 11, 23 + 2 * i))
        with hall.db.unit_of_work() as s:
            for table in (WorkOrder, Order, Subscription):
                s.execute(
                    update(table)
                    .where(table.customer_id == built.customer_id)
                    .values(customer_id=customer)
                )
    for months in (6, 12, 24):
        installment_sale(hall, clerk, customer, months=months)  # 2026-07-28: overdue ones
    for starts in (date(2025, 9, 24), date(2026, 3, 1)):
        contract_sale(hall, clerk, customer, starts_on=starts)
    return customer


def open_main_window_everything(env: Env) -> Opened:
    """The main window on the tallest record: three open work orders, and the 终端 tab with
    three installment contracts and two contract phones shown below them."""
    window = _logged_in(env.qtbot, env.session)
    page = window.customers
    page.open_customer(_busiest_with_everything(env))
    record = page.record
    env.qtbot.waitUntil(  # the demo's own contract makes four
        lambda: (
            page.current is not None
            and len(record.shown_work_orders) == 3
            and len(record.handsets.shown_contracts) >= 3
        ),
        timeout=WAIT,
    )
    record.go_to_tab(record.tabs.indexOf(record.handsets))
    env.qtbot.wait(50)
    assert record.work_order_panel.isVisible() and record.handsets.commitment_box.isVisible()
    # all three work orders listed without scrolling, the instalments readable
    table = record.work_order_table
    assert table.rowViewportPosition(2) + table.rowHeight(2) <= table.viewport().height()
    assert record.handsets.instalment_table.height() >= 70
    buttons = [*window.queue.buttons.values(), page.open_mobile_button, page.search_button]
    buttons += [b for b in window.findChildren(QPushButton) if b.objectName() == "cashButton"]
    return Opened(window, buttons)


def open_wizard(env: Env) -> Opened:
    wizard = OpenMobileWizard(env.hall, env.clerk, env.ops, _customer_without_mobile(env.hall))
    _shown(env, wizard)
    env.qtbot.waitUntil(lambda: wizard.draft.context is not None, timeout=WAIT)
    # the tallest first page: a minor with a guardian, and a supervisor to authorize
    wizard.eligibility.guardian_box.show()
    wizard.eligibility.supervisor_box.show()
    buttons = [wizard.next_button, wizard.back_button, wizard.cancel_button]
    return Opened(wizard, [*buttons, wizard.eligibility.sup_button])


def open_customer_confirm(env: Env) -> Opened:
    hall, clerk = env.hall, env.clerk
    number = hall.numbers.find_numbers(clerk, NumberFilter(tier_code="T1"))[0].number
    draft = OrderDraft(_customer_without_mobile(hall))
    draft.reservation = hall.numbers.reserve_number(clerk, number)
    draft.quote = hall.orders.quote(clerk, number, "5G129", ("VAS_RING",))
    draft.plan_name = "5G 畅享 129 元套餐"
    dialog = CustomerConfirmDialog(summary_html(draft))
    dialog.show_to_customer()
    env.qtbot.addWidget(dialog)
    return Opened(dialog, [dialog.confirm_button, dialog.clear_button])


def open_register(env: Env) -> Opened:
    card = card_of(env.hall, _customer_without_mobile(env.hall))
    dialog = RegisterDialog(card, env.hall.customers, env.clerk, env.ops)
    _shown(env, dialog)
    return Opened(dialog, [dialog.save_button])


def open_cash(env: Env) -> Opened:
    dialog = CashDialog(env.hall.cash, env.clerk, env.ops)
    _shown(env, dialog)
    env.qtbot.waitUntil(lambda: bool(dialog.action.text()), timeout=WAIT)
    return Opened(dialog, [dialog.action])


def open_preview(env: Env) -> Opened:
    hall, clerk = env.hall, env.clerk
    done = hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    kind = DocumentKind.ACCEPTANCE_FORM
    shown = hall.documents.preview_document(clerk, done.order_id, kind)
    dialog = DocumentPreview(
        shown,
        "业务受理单",
        env.ops,
        lambda reason: hall.documents.print_document(clerk, done.order_id, kind, reason),
    )
    _shown(env, dialog)
    return Opened(dialog, [dialog.print_button, dialog.save_button])


def open_quarantine(env: Env) -> Opened:
    dialog = QuarantineDialog(env.hall.sync, env.supervisor, env.ops)
    _shown(env, dialog)
    return Opened(dialog, [dialog.retry_button])


def open_kiosk(env: Env) -> Opened:
    kiosk = KioskWindow(env.hall, env.clerk, env.ops, lambda: QPrinter())
    env.qtbot.addWidget(kiosk)
    kiosk.showFullScreen()
    env.qtbot.waitUntil(lambda: len(kiosk.buttons) >= 4, timeout=WAIT)
    return Opened(kiosk, list(kiosk.buttons.values()))


def open_transfer(env: Env) -> Opened:
    hall = env.hall
    issued = hall.queue.issue_ticket(hall.auth.log_in("super2", "hall1234"), "general")
    called = hall.queue.call_next(env.clerk)
    assert called is not None and called.id == issued.id
    dialog = TransferDialog(hall.queue, env.clerk, env.ops, called)
    _shown(env, dialog)
    env.qtbot.waitUntil(lambda: dialog.chosen() is not None, timeout=WAIT)
    return Opened(dialog, [dialog.ok_button])


def open_red_letter(env: Env) -> Opened:
    hall, clerk = env.hall, env.clerk
    req = _request(hall, clerk)
    hall.orders.open_mobile_number(clerk, req)
    record = hall.customers.get_customer_record(env.supervisor, req.customer_id)
    dialog = RedLetterDialog(record.invoices[0], hall.invoices, env.supervisor, env.ops)
    _shown(env, dialog)
    dialog.reason.insert("购买方名称有误，需重开")
    dialog.next()  # the confirmation page, the taller one
    assert dialog.confirming
    return Opened(dialog, [dialog.issue_button, dialog.back_button])


def open_evaluation(env: Env) -> Opened:
    hall = env.hall
    hall.queue.issue_ticket(env.clerk, "general")
    called = hall.queue.call_next(env.clerk)
    assert called is not None
    screen = EvaluationScreen(hall.evaluations, env.clerk, env.ops)
    env.qtbot.addWidget(screen)
    screen.ask(hall.queue.finish(env.clerk, called.id))
    env.qtbot.waitUntil(screen.isVisible, timeout=WAIT)
    buttons = list(screen.buttons.values())
    screen.stop()
    return Opened(screen, buttons)


def open_my_performance(env: Env) -> Opened:
    dialog = MyPerformanceDialog(env.hall, env.clerk, env.ops)
    _shown(env, dialog)
    env.qtbot.waitUntil(lambda: "全厅第" in dialog.appraisal_label.text(), timeout=WAIT)
    return Opened(dialog, [])


def open_reset_password(env: Env) -> Opened:
    target = next(v for v in env.hall.staff.list_staff(env.supervisor) if v.username == "clerk2")
    dialog = ResetPasswordDialog(env.hall.staff, env.ops, env.supervisor, target)
    _shown(env, dialog)
    return Opened(dialog, [dialog.ok])


def open_new_staff(env: Env) -> Opened:
    admin = env.hall.auth.log_in("admin1", "hall1234")
    counters = env.hall.staff.counters(admin)
    dialog = NewStaffDialog(env.hall.staff, env.ops, admin, counters)
    _shown(env, dialog)
    return Opened(dialog, [dialog.ok])


def open_change_password(env: Env) -> Opened:
    dialog = ChangePasswordDialog(env.hall.staff, env.ops, env.clerk, "hall1234")
    _shown(env, dialog)
    return Opened(dialog, [dialog.ok])


def open_remote_approval(env: Env) -> Opened:
    ask = ApprovalRequest(
        "handset_return", "sale-1", "七天无理由退货", "手机退货 SL202611240100001"
    )
    dialog = RemoteApprovalDialog(env.hall.approvals, env.clerk, env.ops, ask)
    _shown(env, dialog)
    return Opened(dialog, [dialog.send_button, dialog.close_button])


def open_approvals_page(env: Env) -> Opened:
    page = ApprovalsPage(DeskContext(env.hall, env.supervisor, env.ops))
    page.setMinimumSize(page.minimumSizeHint())
    _shown(env, page)
    page.resize(page.minimumSizeHint())
    return Opened(page, [page.approve_button, page.reject_button])


def open_audit_alerts_page(env: Env) -> Opened:
    page = AuditAlertsPage(DeskContext(env.hall, env.supervisor, env.ops))
    page.setMinimumSize(page.minimumSizeHint())
    _shown(env, page)
    page.resize(page.minimumSizeHint())
    env.qtbot.waitUntil(lambda: page.shown is not None, timeout=WAIT)
    return Opened(page, [page.refresh_button, page.ack_button])


def open_approval_decision(env: Env) -> Opened:
    hall = env.hall
    view = hall.approvals.request(
        env.clerk, ApprovalRequest("red_letter", "INV-1", "抬头有误", "红冲发票 INV-1")
    )
    dialog = DecisionDialog(view, approve=False)
    _shown(env, dialog)
    return Opened(dialog, [dialog.ok_button])


def open_supervisor_desk(env: Env) -> Opened:
    """The supervisor's desk window at 排队日报, a day reviewed with its charts: the
    filters, the export buttons and the charts inside the window."""
    window = _logged_in(env.qtbot, env.session, "super1")
    window.open_desk()
    desk = window.desk
    assert desk is not None
    env.qtbot.addWidget(desk)
    page = desk.go_to_key("queue_review")
    assert isinstance(page, QueueReviewPage)
    page.date.setDate(page.date.date().addDays(-1))  # yesterday: a whole day of the demo
    page.refresh()
    env.qtbot.waitUntil(
        lambda: page.reviewed is not None and not page.reviewed.report.empty, timeout=WAIT
    )
    env.qtbot.waitUntil(
        lambda: all(v.image is not None for v in page.charts.values()), timeout=WAIT
    )
    for view in page.charts.values():  # each chart at least readable
        assert view.width() >= 300 and view.height() >= 150, (view.objectName(), view.size())
    return Opened(desk, [page.query_button, page.xlsx_button, page.pdf_button])


_PARENTS: list[QWidget] = []  # an account dialog's parent lives on past its dialog


def _account_context(env: Env, number: object) -> object:
    from hall_app.services.customers import SubscriptionView
    from ui.account.actions import AccountContext

    sub_id, customer_id = number.subscription_id, number.customer_id  # type: ignore[attr-defined]
    view = next(
        v
        for v in env.hall.customers.get_customer_record(env.clerk, customer_id).subscriptions
        if v.id == sub_id
    )
    assert isinstance(view, SubscriptionView)
    parent = QWidget()
    return AccountContext(env.hall, env.clerk, env.ops, customer_id, "客户", view, None, parent)


def open_plan_change(env: Env) -> Opened:
    """套餐变更 at its tallest: a downgrade inside a lock-in, the agreement to pay shown."""
    from tests.plan_helpers import mobile_number
    from ui.plan.change import open_plan_change as opener

    number = mobile_number(env.hall, "5G129", lock_in_until=date(2027, 5, 31))
    context = _account_context(env, number)
    dialog = opener(context)  # type: ignore[arg-type]
    _shown(env, dialog)
    _PARENTS.append(context.parent)  # type: ignore[attr-defined]
    table = dialog.choose.table  # type: ignore[attr-defined]
    env.qtbot.waitUntil(lambda: table.model().rowCount() > 0, timeout=WAIT)
    env.qtbot.waitUntil(lambda: dialog.choose.agree.isVisible(), timeout=WAIT)  # type: ignore[attr-defined]
    return Opened(dialog, [dialog.next_button, dialog.back_button, dialog.cancel_button])


def open_value_added(env: Env) -> Opened:
    from tests.plan_helpers import mobile_number
    from ui.plan.value_added import open_value_added as opener

    context = _account_context(env, mobile_number(env.hall, "5G059"))
    dialog = opener(context)  # type: ignore[arg-type]
    _shown(env, dialog)
    _PARENTS.append(context.parent)  # type: ignore[attr-defined]
    table = dialog.choose.table  # type: ignore[attr-defined]
    env.qtbot.waitUntil(lambda: table.model().rowCount() > 0, timeout=WAIT)
    return Opened(dialog, [dialog.next_button, dialog.back_button, dialog.cancel_button])


def open_porting(env: Env) -> Opened:
    """携号转网资格 with every condition failing but one: the longest reasons, wrapped."""
    # imported here: the other businesses' entries in this shared file merge without conflict
    from hall_app.db.models import HandsetCommitment
    from hall_app.domain.enums import ContractStatus
    from tests.integration.handset_rows import with_mobile
    from tests.porting_helpers import activated_days_ago, add_bill, make_eligible
    from ui.porting.dialog import PortingDialog

    hall, clock = env.hall, env.hall.clock
    sold = contract_sale(hall, env.clerk, with_mobile(hall, 14))
    assert sold.subscription_id is not None
    make_eligible(hall, sold.subscription_id, clock())
    with hall.db.unit_of_work() as s:
        s.execute(
            update(HandsetCommitment)
            .where(HandsetCommitment.id == sold.commitment_id)
            .values(status=ContractStatus.ACTIVE)
        )
    activated_days_ago(hall, sold.subscription_id, 87, clock())
    add_bill(hall, sold.subscription_id, "2026-10", 16_900, issued=clock())
    dialog = PortingDialog(
        hall, env.clerk, env.ops, sold.customer_id, sold.subscription_id, "189****0000"
    )
    _shown(env, dialog)
    env.qtbot.waitUntil(lambda: dialog.draft.check is not None, timeout=WAIT)
    return Opened(dialog, [dialog.next_button, dialog.cancel_button, dialog.check.recheck_button])


def open_top_up(env: Env) -> Opened:
    """充值 with a number found and an amount with its offer: the taller first page."""
    from tests.top_up_helpers import live_mobile
    from ui.top_up.wizard import TopUpDialog

    n = live_mobile(env.hall)
    dialog = TopUpDialog(env.hall, env.clerk, env.ops, n.customer_id, customer_name="测试")
    _shown(env, dialog)
    env.qtbot.keyClicks(dialog.choose.number, n.number)
    env.qtbot.keyClick(dialog.choose.number, Qt.Key.Key_Return)
    env.qtbot.waitUntil(lambda: dialog.draft.target is not None, timeout=WAIT)
    dialog.choose.choose(10_000)
    env.qtbot.waitUntil(dialog.choose.is_complete, timeout=WAIT)
    return Opened(dialog, [dialog.next_button, *dialog.choose.quick])


def _lost_number_context(env: Env) -> object:
    """A lost number's owner opened as from the record (ui.account_changes' dialogs)."""
    from tests.custdata_helpers import make_owner
    from ui.account.actions import AccountContext

    owner = make_owner(env.hall, status=SubscriptionStatus.SUSPENDED, reason=SuspendReason.LOST)
    record = env.hall.customers.get_customer_record(env.clerk, owner.customer_id)
    window = _logged_in(env.qtbot, env.session)  # the dialogs' parent, as in the app
    return AccountContext(
        env.hall, env.clerk, env.ops, owner.customer_id, record.name,
        record.subscriptions[0], None, window,
    )  # fmt: skip


def open_customer_data(env: Env) -> Opened:
    from ui.account_changes.customer_data import open_customer_data as opener

    dialog = opener(_lost_number_context(env))  # type: ignore[arg-type]
    _shown(env, dialog)
    return Opened(dialog, [dialog.next_button, dialog.cancel_button, dialog.first.read_button])


def open_reinstate(env: Env) -> Opened:
    from ui.account_changes.number import NumberPage, open_loss

    dialog = open_loss(_lost_number_context(env))  # type: ignore[arg-type]
    _shown(env, dialog)
    first = dialog.first
    assert isinstance(first, NumberPage) and first.what == "解挂"
    return Opened(dialog, [dialog.next_button, dialog.cancel_button, first.read_button])


def open_ownership_transfer(env: Env) -> Opened:
    """过户 at its tallest page: the new owner found and every check shown."""
    p = pair(env.hall)
    draft = TransferDraft(customer_id=p.from_id, subscription_id=p.subscription_id)
    wizard = OwnershipTransferDialog(env.hall, env.clerk, env.ops, draft)
    _shown(env, wizard)
    with env.hall.db.read() as s:
        id_number = s.get_one(Customer, p.to_id).id_number or ""
    env.qtbot.keyClicks(wizard.owner.search, id_number)
    wizard.owner.search_owner()
    env.qtbot.waitUntil(lambda: wizard.draft.check is not None, timeout=WAIT)
    buttons = [wizard.next_button, wizard.back_button, wizard.cancel_button]
    return Opened(wizard, buttons)


def _sim_number_context(env: Env) -> object:
    from PySide6.QtWidgets import QWidget

    from tests.sim_cancel_helpers import mobile
    from ui.account.actions import AccountContext

    sub = mobile(env.hall, env.clerk)
    record = env.hall.customers.get_customer_record(env.clerk, sub.customer_id)
    view = next(v for v in record.subscriptions if v.id == sub.id)
    parent = QWidget()
    env.qtbot.addWidget(parent)
    return AccountContext(
        env.hall, env.clerk, env.ops, sub.customer_id, record.name, view, None, parent
    )


def open_sim_swap(env: Env) -> Opened:
    from ui.sim_cancel.swap import SimSwapDialog

    context = _sim_number_context(env)
    dialog = SimSwapDialog(context)  # type: ignore[arg-type]
    dialog.setProperty("keep", context)  # its parent window lives as long as it
    dialog.show()
    env.qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    return Opened(dialog, [dialog.next_button, dialog.back_button, dialog.cancel_button])


def open_cancel(env: Env) -> Opened:
    from ui.sim_cancel.cancel import CancelDialog

    context = _sim_number_context(env)
    dialog = CancelDialog(context)  # type: ignore[arg-type]
    dialog.setProperty("keep", context)
    dialog.show()
    env.qtbot.waitUntil(lambda: dialog.draft.check is not None, timeout=WAIT)
    return Opened(dialog, [dialog.next_button, dialog.back_button, dialog.cancel_button])


def open_bill_payment_dialog(env: Env) -> Opened:
    from tests.bill_fixtures import billed_customer
    from tests.gui.test_bill_payment import open_bill_payment

    b = billed_customer(env.hall)
    dialog = open_bill_payment(env.qtbot, env.session, b.number)
    return Opened(dialog, [dialog.next_button, dialog.choose.remote_button])


WINDOWS: dict[str, Callable[[Env], Opened]] = {
    "login": open_login,
    "main_window": open_main_window,
    "main_window_everything": open_main_window_everything,
    "open_mobile_wizard": open_wizard,
    "customer_confirm": open_customer_confirm,
    "register": open_register,
    "cash": open_cash,
    "document_preview": open_preview,
    "quarantine": open_quarantine,
    "kiosk": open_kiosk,
    "queue_transfer": open_transfer,
    "red_letter": open_red_letter,
    "evaluation_screen": open_evaluation,
    "my_performance": open_my_performance,
    "reset_password": open_reset_password,
    "new_staff": open_new_staff,
    "change_password": open_change_password,
    "remote_approval": open_remote_approval,
    "approvals_page": open_approvals_page,
    "audit_alerts_page": open_audit_alerts_page,
    "approval_decision": open_approval_decision,
    "supervisor_desk": open_supervisor_desk,
    "plan_change": open_plan_change,
    "value_added": open_value_added,
    "porting": open_porting,
    "top_up": open_top_up,
    "customer_data": open_customer_data,
    "reinstate": open_reinstate,
    "ownership_transfer": open_ownership_transfer,
    "sim_swap": open_sim_swap,
    "cancel": open_cancel,
    "bill_payment": open_bill_payment_dialog,
}


@pytest.fixture
def env(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    supervisor: Actor,
    ops: Operations,
    session: Session,
    shown: ShownMessages,
) -> Iterator[Env]:
    yield Env(qtbot, hall, clerk, supervisor, ops, session)
    ops.wait_idle()


def _inside(outer: QRect, inner: QRect) -> bool:
    return outer.contains(inner.topLeft()) and outer.contains(inner.bottomRight())


@pytest.mark.parametrize("name", list(WINDOWS))
def test_every_window_fits_a_1366x768_screen(env: Env, name: str) -> None:
    opened = WINDOWS[name](env)
    window = opened.window
    env.qtbot.wait(50)  # layouts settle
    area = window.screen().availableGeometry()
    if area.size() != USABLE:
        pytest.skip(f"needs the virtual 1366×728 screen, this one is {area.size()}")
    assert _inside(area, window.frameGeometry()), (window.frameGeometry(), area)
    # with a real window manager's title bar and borders, not the offscreen 2 px
    frame = QSize(0, 0) if window.isFullScreen() else FRAME
    outer = window.size() + frame
    assert outer.width() <= USABLE.width() and outer.height() <= USABLE.height(), outer
    hint = window.minimumSizeHint() + frame
    assert hint.width() <= USABLE.width() and hint.height() <= USABLE.height(), hint
    inside = window.rect()
    for button in opened.buttons:
        assert button.isVisible(), button.text()
        rect = QRect(button.mapTo(window, QPoint(0, 0)), button.size())
        assert _inside(inside, rect), (button.text(), rect, inside)
        # not squeezed below what its text needs
        assert button.width() >= button.minimumSizeHint().width(), button.text()
        assert button.height() >= button.minimumSizeHint().height(), button.text()
    for tabs in window.findChildren(QTabWidget):
        assert tabs.usesScrollButtons(), tabs.objectName()  # never wider than the window


@pytest.mark.parametrize(
    ("screen", "preferred", "share", "expected"),
    [
        # the main window: the whole usable area on a small screen, 90 % on larger ones
        (QSize(1366, 728), QSize(1350, 760), (0.9, 0.92), QSize(1350, 688)),
        (QSize(1600, 960), QSize(1350, 760), (0.9, 0.92), QSize(1425, 846)),
        (QSize(1920, 1040), QSize(1350, 760), (0.9, 0.92), QSize(1713, 920)),
        # a tall dialog is cut to the screen height, then grows with the screen
        (QSize(1366, 728), QSize(820, 760), (0.5, 0.9), QSize(820, 688)),
        (QSize(1920, 1040), QSize(820, 760), (0.5, 0.9), QSize(952, 900)),
        # a small dialog keeps its own size
        (QSize(1920, 1040), QSize(460, 360), None, QSize(460, 360)),
    ],
)
def test_fitted_size_scales_with_the_screen(
    screen: QSize, preferred: QSize, share: tuple[float, float] | None, expected: QSize
) -> None:
    assert fitted_size(preferred, QRect(QPoint(0, 0), screen), None, share) == expected


def test_a_minimum_larger_than_the_screen_is_still_cut_to_it() -> None:
    area = QRect(0, 0, 1366, 728)
    assert fitted_size(QSize(400, 300), area, QSize(1500, 900)) == QSize(1350, 688)


def test_the_virtual_screen_is_the_usable_part_of_1366x768() -> None:
    screen = QGuiApplication.primaryScreen()
    if QGuiApplication.platformName() != "offscreen":
        pytest.skip("the virtual screen is the offscreen platform's")
    assert screen.availableGeometry().size() == USABLE
