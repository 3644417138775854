"""The main window: who is at which counter, today's date, navigation, and the work area."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.app import HallApp
from hall_app.clock import business_date
from hall_app.domain.enums import TicketStatus
from hall_app.domain.errors import HallError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.instalments import ContractView
from hall_app.services.queue import TicketView
from ui import format as fmt
from ui import messages
from ui.account.actions import AccountContext
from ui.account.actions import action as account_action
from ui.cash.dialog import CashDialog
from ui.customers.search import CustomerSearchPage
from ui.desk.my_performance import MyPerformanceDialog
from ui.desk.pages import DeskContext, may_open_desk
from ui.fixed_line.demands import DemandListDialog
from ui.fixed_line.wizard import FIXED_SERVICE, FixedLineWizard, RelocationWizard
from ui.handsets.repay import RepaymentDialog
from ui.handsets.wizard import HandsetWizard
from ui.keys import shortcut
from ui.open_mobile.wizard import OpenMobileWizard
from ui.ops import Changes, Operations
from ui.queue.panel import QueuePanel
from ui.screen import fit_to_screen
from ui.stock.menu import StockMenu
from ui.sync.quarantine import QuarantineDialog
from ui.sync.status import SyncStatusLabel
from ui.workorders.supervisor import OpenWorkOrdersDialog

if TYPE_CHECKING:
    from ui.desk.window import SupervisorDesk

HOUSEKEEPING_MS = 5 * 60_000
log = logging.getLogger("hall.ui.main")


class MainWindow(QMainWindow):
    logout_requested = Signal()

    def __init__(self, app: HallApp, actor: Actor, ops: Operations) -> None:
        super().__init__()
        self._app = app
        self.actor = actor
        self._ops = ops
        self.leave_confirmed = False  # set once the clerk agreed to log out or quit
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"营业厅前台受理系统 — {actor.hall_name}")

        self.customers = CustomerSearchPage(
            app.customers,
            actor,
            ops,
            app.id_reader,
            app.invoices,
            app.documents,
            work_orders=app.work_orders,
            slots=app.slots,
            instalments=app.instalments,
            returns=app.handset_returns,
            auth=app.auth,
            approvals=app.approvals,
            bills=app.bills,
        )
        self.customers.repayment_requested.connect(self.open_repayment)
        self.customers.open_mobile_requested.connect(self.open_mobile)
        self.customers.fixed_line_requested.connect(self.open_fixed_line)
        self.customers.relocation_requested.connect(self.open_relocation)
        self.customers.handset_requested.connect(self.open_handset)
        self.customers.account_action_requested.connect(self.open_account_action)
        self.account_dialog: QDialog | None = None
        self.wizard: OpenMobileWizard | None = None
        self.fixed_wizard: FixedLineWizard | RelocationWizard | None = None
        self.handset_wizard: HandsetWizard | None = None
        self.demand_dialog: DemandListDialog | None = None
        self.work_orders_dialog: OpenWorkOrdersDialog | None = None
        self.cash_dialog: CashDialog | None = None
        self.repayment_dialog: RepaymentDialog | None = None
        self.pages = QStackedWidget()
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(140)
        self._add_page("客户查询", "F3", self.customers, self.customers.focus_query)
        # 主管工作台: supervisors and admins only, its own window, built the first time
        self.desk: SupervisorDesk | None = None
        self._desk_holder: QWidget | None = None
        if may_open_desk(actor):
            self._desk_holder = QWidget()  # a navigation entry, never shown: the desk's window
            self._add_page("主管工作台", "F12", self._desk_holder)
            shortcut(self, "F12", self.open_desk)
        self.nav.currentRowChanged.connect(self._nav_changed)
        self.nav.setCurrentRow(0)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self._header())
        self.queue = QueuePanel(app.queue, actor, ops, evaluations=app.evaluations)
        self.queue.ticket_changed.connect(self._ticket_changed)
        self._visit_ticket: uuid.UUID | None = None  # the ticket whose customer may be on screen
        layout.addWidget(self.queue)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        layout.addLayout(body, 1)
        self.setCentralWidget(central)

        self._busy = QLabel("")
        self.statusBar().addPermanentWidget(self._busy)
        self.sync_status = SyncStatusLabel(app.sync, ops, self)
        self.statusBar().addPermanentWidget(self.sync_status)
        self.quarantine_button = QPushButton("拒收与冲突")
        self.quarantine_button.setObjectName("quarantineButton")
        self.quarantine_button.setVisible(app.sync.configured and actor.can(Permission.APPROVE))
        self.quarantine_button.clicked.connect(self.open_quarantine)
        self.statusBar().addPermanentWidget(self.quarantine_button)
        self.quarantine_dialog: QuarantineDialog | None = None
        self.statusBar().showMessage(app.storage_label())
        ops.busy_changed.connect(self._on_busy)

        self._clock_timer = QTimer(self)
        self._clock_timer.timeout.connect(self._tick)
        self._clock_timer.start(30_000)
        # Housekeeping: lapsed number reservations go back to the pool (audited as "system").
        self._housekeeping = QTimer(self)
        self._housekeeping.timeout.connect(self.release_lapsed_numbers)
        self._housekeeping.start(HOUSEKEEPING_MS)
        QTimer.singleShot(0, self.release_lapsed_numbers)
        self._tick()
        shortcut(self, "F3", self._go_customers)
        if actor.can(Permission.REPORTS_VIEW):  # the supervisor's lists
            menu = self.menuBar().addMenu("管理(&G)")
            # the menu shows each action's shortcut itself: not again in the text
            demands = menu.addAction("预约登记列表")
            demands.setObjectName("demandListAction")
            demands.setShortcut("Ctrl+Shift+D")
            demands.triggered.connect(self.open_demands)
            self.demand_action = demands
            work_orders = menu.addAction("在途装机工单")
            work_orders.setObjectName("openWorkOrdersAction")
            work_orders.setShortcut("Ctrl+Shift+W")
            work_orders.triggered.connect(self.open_work_orders)
            self.work_orders_action = work_orders
            if actor.can(Permission.STOCK_RECEIVE):  # 终端入库 and 终端库存
                self.stock_menu = StockMenu(app.stock, actor, ops, menu, self)
        mine = self.menuBar().addMenu("我的(&M)")
        performance = mine.addAction("我的业绩")
        performance.setObjectName("myPerformanceAction")
        performance.setShortcut("Ctrl+Shift+P")
        performance.triggered.connect(self.open_my_performance)
        self.my_performance_action = performance
        self.my_performance_dialog: MyPerformanceDialog | None = None
        shortcut(self, "F10", self.open_cash)
        shortcut(self, "Ctrl+Shift+L", self.request_logout)
        fit_to_screen(self, QSize(1350, 760), share=(0.9, 0.92))

    def _add_page(
        self, label: str, key: str, page: QWidget, on_show: Callable[[], None] | None = None
    ) -> None:
        item = QListWidgetItem(f"{label}  ({key})")
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.nav.addItem(item)
        self.pages.addWidget(page)

    def _nav_changed(self, row: int) -> None:
        if self._desk_holder is not None and self.pages.widget(row) is self._desk_holder:
            # 主管工作台 is a window of its own: opened, and the work area stays as it was
            self.nav.setCurrentRow(self.pages.currentIndex())
            self.open_desk()
            return
        self.pages.setCurrentIndex(row)

    def open_desk(self) -> None:
        """F12 (or the navigation): the supervisor's desk window, built the first time; the
        main window keeps its page (a customer's record stays open behind the desk)."""
        if self._desk_holder is None:
            return
        if self.desk is None:
            from ui.desk.window import SupervisorDesk  # a clerk's window never loads the desk

            self.desk = SupervisorDesk(DeskContext(self._app, self.actor, self._ops), self)
        self.desk.open()

    def _header(self) -> QWidget:
        frame = QFrame()
        frame.setObjectName("header")
        row = QHBoxLayout(frame)
        title = QLabel(f"营业厅前台受理系统 · {self.actor.hall_name}")
        title.setObjectName("headerTitle")
        self.staff_label = QLabel(
            f"{self.actor.role.label}：{self.actor.full_name}（工号 {self.actor.employee_no}）"
        )
        self.staff_label.setObjectName("staffLabel")
        self.counter_label = QLabel(f"窗口：{self.actor.counter_name}")
        self.counter_label.setObjectName("counterLabel")
        self.date_label = QLabel("")
        self.date_label.setObjectName("dateLabel")
        till = QPushButton("开班/日结 (F10)")
        till.setObjectName("cashButton")
        till.clicked.connect(self.open_cash)
        logout = QPushButton("退出登录")
        logout.setObjectName("logoutButton")
        logout.clicked.connect(self.request_logout)
        row.addWidget(title)
        row.addStretch(1)
        for widget in (self.staff_label, self.counter_label, self.date_label):
            row.addWidget(widget)
            row.addSpacing(16)
        row.addWidget(till)
        row.addWidget(logout)
        return frame

    def _tick(self) -> None:
        self.date_label.setText(fmt.today_label(business_date(self._app.clock())))

    def open_mobile(self, customer_id: uuid.UUID) -> None:
        """The 开户 wizard for this customer, tied to the ticket being served."""
        if self.wizard is not None:
            if self.wizard.isVisible():
                self.wizard.raise_()
                return
            self.wizard.deleteLater()  # the previous visit's wizard, with its previews
        ticket = self.queue.current
        ticket_id = (
            ticket.id
            if ticket is not None and ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING)
            else None
        )
        wizard = OpenMobileWizard(self._app, self.actor, self._ops, customer_id, ticket_id, self)
        wizard.finished.connect(lambda _r: QTimer.singleShot(0, self.activateWindow))
        self.wizard = wizard
        wizard.open()

    def _serving_ticket(self) -> uuid.UUID | None:
        ticket = self.queue.current
        if ticket is not None and ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING):
            return ticket.id
        return None

    def _customer_name(self, customer_id: uuid.UUID) -> str:
        current = self.customers.current
        return current.name if current is not None and current.id == customer_id else ""

    def _contact_person(self, customer_id: uuid.UUID) -> str:
        """Who the installer calls by default: an enterprise's contact person, else the
        customer (a company name is nobody to ask for at the door)."""
        current = self.customers.current
        if current is None or current.id != customer_id:
            return ""
        return current.contact_person or current.name

    def open_fixed_line(self, customer_id: uuid.UUID) -> None:
        """The broadband/landline install wizard for this customer, tied to the ticket."""
        self._open_fixed(FixedLineWizard, customer_id)

    def open_relocation(self, customer_id: uuid.UUID) -> None:
        self._open_fixed(RelocationWizard, customer_id)

    def _open_fixed(
        self, kind: type[FixedLineWizard] | type[RelocationWizard], customer_id: uuid.UUID
    ) -> None:
        if self.fixed_wizard is not None:
            if self.fixed_wizard.isVisible():
                self.fixed_wizard.raise_()
                return
            self.fixed_wizard.deleteLater()
        wizard = kind(
            self._app,
            self.actor,
            self._ops,
            customer_id,
            self._serving_ticket(),
            self._customer_name(customer_id),
            self,
            contact_name=self._contact_person(customer_id),
        )
        wizard.finished.connect(lambda _r: QTimer.singleShot(0, self.activateWindow))
        self.fixed_wizard = wizard
        wizard.open()

    def open_handset(self, customer_id: uuid.UUID) -> None:
        """The 购机 wizard for this customer, tied to the ticket being served."""
        if self.handset_wizard is not None:
            if self.handset_wizard.isVisible():
                self.handset_wizard.raise_()
                return
            self.handset_wizard.deleteLater()
        wizard = HandsetWizard(
            self._app,
            self.actor,
            self._ops,
            customer_id,
            self._serving_ticket(),
            self._customer_name(customer_id),
            self,
        )
        wizard.finished.connect(lambda _r: QTimer.singleShot(0, self.activateWindow))
        self.handset_wizard = wizard
        wizard.open()

    def open_account_action(self, key: str, customer_id: uuid.UUID) -> None:
        """缴费, 充值 or a change from the 号码业务 menu (ui.account.actions) for this customer,
        tied to the ticket being served; one such dialog at a time."""
        if self.account_dialog is not None:
            if self.account_dialog.isVisible():
                self.account_dialog.raise_()
                return
            self.account_dialog.deleteLater()
            self.account_dialog = None
        chosen = account_action(key)
        subscription = self.customers.selected_subscription()
        if chosen.needs_number and subscription is None:
            messages.warning(self, "请先在客户资料的“号码”页选中要办理的号码")
            return
        context = AccountContext(
            app=self._app,
            actor=self.actor,
            ops=self._ops,
            customer_id=customer_id,
            customer_name=self._customer_name(customer_id),
            subscription=subscription,
            ticket_id=self._serving_ticket(),
            parent=self,
        )
        try:
            dialog = chosen.opener()(context)
        except HallError as exc:
            messages.failure(self, exc)
            return
        dialog.finished.connect(lambda _r: QTimer.singleShot(0, self.activateWindow))
        self.account_dialog = dialog
        dialog.open()

    def open_repayment(self, contract: ContractView, payoff: bool, customer_id: uuid.UUID) -> None:
        """还款 / 提前结清 of one installment contract, tied to the ticket being served; the
        record refreshes from the payment's announcement."""
        if self.repayment_dialog is not None:
            if self.repayment_dialog.isVisible():
                self.repayment_dialog.raise_()
                return
            self.repayment_dialog.deleteLater()
        dialog = RepaymentDialog(
            self._app,
            self.actor,
            self._ops,
            contract,
            customer_id,
            payoff=payoff,
            ticket_id=self._serving_ticket(),
            customer_name=self._customer_name(customer_id),
            parent=self,
        )
        dialog.finished.connect(lambda _r: QTimer.singleShot(0, self.activateWindow))
        dialog.finished.connect(lambda _r: self._after_repayment(dialog, customer_id))
        self.repayment_dialog = dialog
        dialog.open()

    def _after_repayment(self, dialog: RepaymentDialog, customer_id: uuid.UUID) -> None:
        """Closed without a payment (perhaps refused: another window took the instalment, the
        contract ended): the record is read again, so it shows what is paid now. A payment
        refreshes it from its own announcement."""
        current = self.customers.current
        if dialog.outcome() is None and current is not None and current.id == customer_id:
            self.customers.open_customer(customer_id)

    def open_demands(self) -> None:
        if self.demand_dialog is not None:
            self.demand_dialog.deleteLater()
        dialog = DemandListDialog(self._app, self.actor, self._ops, self)
        self.demand_dialog = dialog
        dialog.open()

    def open_work_orders(self) -> None:
        if self.work_orders_dialog is not None:
            self.work_orders_dialog.deleteLater()
        dialog = OpenWorkOrdersDialog(self._app, self.actor, self._ops, self)
        self.work_orders_dialog = dialog
        dialog.open()

    def _ticket_changed(self, ticket: TicketView | None) -> None:
        """A newly called ticket is a new customer: the previous one's record leaves the
        screen (the next customer is standing at the counter in front of it)."""
        if ticket is not None and ticket.status in (TicketStatus.DONE, TicketStatus.NO_SHOW):
            self.customers.end_visit(ticket.ticket_no)  # its instructions leave with it
            return
        if ticket is None or ticket.id == self._visit_ticket:
            return
        self._visit_ticket = ticket.id
        fixed = ticket.service_code == FIXED_SERVICE  # C: 宽带/固话
        self.customers.start_visit(ticket.ticket_no, fixed_line=fixed)

    def release_lapsed_numbers(self) -> None:
        numbers = self._app.numbers
        counter_id = self.actor.counter_id
        self._ops.mutate(
            lambda: numbers.release_expired(counter_id),
            on_error=lambda exc: log.info("lapsed reservations not released now: %s", exc.text),
            changes=Changes.STOCK,
            initiator=self,
        )

    def open_quarantine(self) -> None:
        if self.quarantine_dialog is not None:
            self.quarantine_dialog.deleteLater()
        dialog = QuarantineDialog(self._app.sync, self.actor, self._ops, self)
        self.quarantine_dialog = dialog
        dialog.open()

    def open_my_performance(self) -> None:
        """The signed-in staff member's own figures (我的业绩, Ctrl+Shift+P)."""
        if self.my_performance_dialog is not None:
            self.my_performance_dialog.deleteLater()
        dialog = MyPerformanceDialog(self._app, self.actor, self._ops, self)
        dialog.finished.connect(lambda _r: QTimer.singleShot(0, self.activateWindow))
        self.my_performance_dialog = dialog
        dialog.open()

    def open_cash(self) -> None:
        if self.cash_dialog is not None:
            self.cash_dialog.deleteLater()
        dialog = CashDialog(
            self._app.cash,
            self.actor,
            self._ops,
            self,
            auth=self._app.auth,
            approvals=self._app.approvals,
        )
        self.cash_dialog = dialog
        dialog.open()

    def _go_customers(self) -> None:
        self.nav.setCurrentRow(0)
        self.customers.focus_query()

    def _on_busy(self, busy: int) -> None:
        self._busy.setText("处理中…" if busy else "")

    def _unfinished_work(self) -> str | None:
        """What closing now would interrupt, in the clerk's words (None: nothing)."""
        if self.wizard is not None and self.wizard.isVisible():
            return "开户尚未办结"
        if self.fixed_wizard is not None and self.fixed_wizard.isVisible():
            return f"{self.fixed_wizard.windowTitle()}尚未办结"
        if self.handset_wizard is not None and self.handset_wizard.isVisible():
            return "购机尚未办结"
        ticket = self.queue.current
        if ticket is not None and ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING):
            return f"正在为 {ticket.ticket_no} 办理业务"
        return None

    def confirm_leave(self, action: str) -> bool:
        """Ask before logging out or quitting in the middle of a visit or an order."""
        if self.leave_confirmed:
            return True
        work = self._unfinished_work()  # a write under way is waited for at exit (run_gui)
        if work is not None and not messages.confirm_default_no(
            self, f"{work}，确定要{action}吗？"
        ):
            return False
        self.leave_confirmed = True
        return True

    def request_logout(self) -> None:
        if self.confirm_leave("退出登录"):
            self.logout_requested.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_leave("退出系统"):
            event.ignore()
            return
        self._clock_timer.stop()
        self._housekeeping.stop()
        self.sync_status.stop()
        self.queue.stop()
        if self.desk is not None:
            self.desk.stop()
            self.desk.close()
        with contextlib.suppress(RuntimeError, TypeError):  # already disconnected
            self._ops.busy_changed.disconnect(self._on_busy)
        super().closeEvent(event)
