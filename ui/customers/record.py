"""A customer's full record: identity, services, orders, payments, invoices, open tickets,
and the handsets bought on installments or on contract (分期/合约)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.enums import CustomerKind
from hall_app.services.bills import BillView
from hall_app.services.customers import CustomerRecord, SubscriptionView
from hall_app.services.instalments import CommitmentView, ContractView
from hall_app.services.workorders import WorkOrderView
from ui import format as fmt
from ui.bills.history import BILLS_TAB, BillHistoryPanel
from ui.handsets.contracts import OVERDUE_RED, HandsetContractsPanel
from ui.keys import shortcut
from ui.style import set_role
from ui.table import RowsModel, fit_columns, make_table
from ui.transfer.history import transfer_lines
from ui.workorders.format import appointment

WORK_ORDER_ROWS = 3  # at most: the open work orders' list is as tall as its rows, then scrolls
HANDSETS_TAB = "终端"  # handsets on installments or on contract; short: 7 tabs fit unscrolled
# The tabs' short names (the tooltip and ``tables`` keep the long one): all seven with their
# counts fit the record's half of a 1366 px screen, so 终端 (red when overdue) is never
# scrolled off its right edge.
TAB_LABELS = {
    "业务号码": "号码",
    "受理记录": "受理",
    "缴费记录": "缴费",
    "未结故障/投诉": "故障投诉",
}


class CustomerRecordView(QWidget):
    work_order_activated = Signal(object)  # WorkOrderView: Enter or a double click on it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerRecord")
        self.title = QLabel("请在左侧查询并打开客户")
        self.title.setObjectName("recordTitle")
        self._build_work_orders()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("recordTabs")
        # Six tabs with counts are wider than the record's half of a 1366 px screen: the tab
        # bar scrolls (whole names, arrows at its end) instead of widening the window.
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self._shown_id: uuid.UUID | None = None
        self._record: CustomerRecord | None = None

        identity = QWidget()
        self._identity_form = QFormLayout(identity)
        # the page scrolls rather than asking for the height of all its rows: with the open
        # work orders above the tabs the record's half of a 1366×728 screen has no more
        self._identity = QScrollArea()
        self._identity.setObjectName("identityPage")
        self._identity.setFrameShape(QFrame.Shape.NoFrame)
        self._identity.setWidgetResizable(True)
        self._identity.setWidget(identity)
        self.subscriptions = RowsModel(
            ["类型", "号码/账号", "套餐", "月费", "余额", "状态", "开通日期", "合约到期", "地址"]
        )
        self.orders = RowsModel(["受理单号", "业务", "状态", "金额", "受理时间", "受理人"])
        self.payments = RowsModel(["缴费时间", "方式", "金额", "交易参考号"])
        self.invoices = RowsModel(["发票号码", "类型", "状态", "开票时间", "价税合计", "税额"])
        self.tickets = RowsModel(["工单号", "类型", "类别", "状态", "受理时间", "处理时限", "超时"])

        self.tabs.addTab(self._identity, "基本资料")
        self.tables: dict[str, QTableView] = {}
        day_time = "2026-11-24 10:30"
        for model, label, samples in (
            (
                self.subscriptions,
                "业务号码",
                (
                    "移动电话",
                    "059100000024",
                    "5G 畅享 99 元套餐",
                    "¥199.00",
                    "¥1,154.43",
                    "待开通",
                    "2026-11-24",
                    "2026-11-24",
                ),
            ),
            (
                self.orders,
                "受理记录",
                ("SL20261124000123", "新装移动电话", "待审批", "¥5,999.00", day_time),
            ),
            (self.payments, "缴费记录", (day_time, "扫码支付", "¥5,999.00")),
            (
                self.invoices,
                "发票",
                ("26351000000000012345", "蓝字发票", "已红冲", day_time, "¥5,999.00"),
            ),
            (
                self.tickets,
                "未结故障/投诉",
                ("GZ2026112400012", "故障申告", "宽带无法上网", "处理中", day_time, day_time),
            ),
        ):
            table = make_table(model, samples)
            if model is self.subscriptions:  # 余额 stays in view; 套餐 and 地址 narrow
                table.setColumnWidth(8, 260)
                fit_columns(table, {2: 90, 8: 110})
            self.tables[label] = table
            self.tabs.addTab(table, TAB_LABELS.get(label, label))
        self.handsets = HandsetContractsPanel()
        self.tabs.addTab(self.handsets, HANDSETS_TAB)
        self.bills = BillHistoryPanel()
        self.tabs.addTab(self.bills, BILLS_TAB)
        self._tab_names = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.work_order_panel)
        layout.addWidget(self.tabs, 1)
        self.tabs.setEnabled(False)
        self._add_tab_keys()

    def _add_tab_keys(self) -> None:
        """Ctrl+PgDown / Ctrl+PgUp step through the tabs, Alt+1 … Alt+6 go to one, from
        anywhere in the window (Ctrl+Tab belongs to the focused list)."""
        keys: list[tuple[str, Callable[[], None]]] = [
            ("Ctrl+PgDown", lambda: self.step_tab(1)),
            ("Ctrl+PgUp", lambda: self.step_tab(-1)),
        ]
        for i in range(self.tabs.count()):
            keys.append((f"Alt+{i + 1}", functools.partial(self.go_to_tab, i)))
            name = next((k for k, v in TAB_LABELS.items() if v == self._tab_names[i]), "")
            self.tabs.setTabToolTip(
                i, f"{name + '。' if name else ''}Alt+{i + 1}；Ctrl+PgDown / Ctrl+PgUp 切换资料页"
            )
        for key, slot in keys:
            shortcut(self, key, slot)

    def step_tab(self, step: int) -> None:
        if self.tabs.isEnabled():
            self.go_to_tab((self.tabs.currentIndex() + step) % self.tabs.count())

    def go_to_tab(self, index: int) -> None:
        if self.tabs.isEnabled() and 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)
            self.tabs.currentWidget().setFocus()

    def selected_subscription(self) -> SubscriptionView | None:
        """The row selected on the 号码 tab (the only one when the customer has one)."""
        if self._record is None or not self._record.subscriptions:
            return None
        subs = self._record.subscriptions
        current = self.tables["业务号码"].currentIndex()
        if current.isValid() and current.row() < len(subs):
            return subs[current.row()]
        return subs[0] if len(subs) == 1 else None

    def select_subscription(self, subscription_id: uuid.UUID) -> None:
        """Make the subscription ``subscription_id`` the selected row of the 号码 tab."""
        subs = self._record.subscriptions if self._record is not None else ()
        row = next((i for i, s in enumerate(subs) if s.id == subscription_id), None)
        if row is not None:
            self.tables["业务号码"].selectRow(row)

    def clear(self) -> None:
        self._shown_id = None
        self._record = None
        self.title.setText("请在左侧查询并打开客户")
        self.tabs.setEnabled(False)
        while self._identity_form.rowCount():
            self._identity_form.removeRow(0)
        for model in (self.subscriptions, self.orders, self.payments, self.invoices, self.tickets):
            model.set_rows([])
        self.show_work_orders([])
        self.show_handsets([], [])
        self.show_bills([])
        for i, name in enumerate(self._tab_names):
            self.tabs.setTabText(i, name)

    def show_record(self, r: CustomerRecord) -> None:
        self._record = r
        vip = "（VIP）" if r.is_vip else ""
        self.title.setText(f"{r.name}{vip}")
        self.tabs.setEnabled(True)
        if r.id != self._shown_id:  # another customer: start on 基本资料, not the last tab
            self._shown_id = r.id
            self.tabs.setCurrentIndex(0)
        while self._identity_form.rowCount():
            self._identity_form.removeRow(0)
        rows: list[tuple[str, str]] = [
            ("客户类型", r.kind.label),
            ("名称" if r.kind is CustomerKind.ENTERPRISE else "姓名", r.name),
        ]
        if r.kind is CustomerKind.ENTERPRISE:
            rows += [("统一社会信用代码", r.uscc or ""), ("联系人", r.contact_person or "")]
        else:
            rows += [
                ("证件类型", r.id_doc_type.label if r.id_doc_type else ""),
                ("证件号码", r.id_display),
                ("性别", {"M": "男", "F": "女"}.get(r.gender or "", "")),
                ("出生日期", r.birth_display),
            ]
            if r.guardian_name:
                rows.append(("监护人", r.guardian_name))
        rows += [
            ("联系电话", r.contact_phone_display),
            ("备用电话", r.alt_phone_display or "—"),
            ("地址", r.address),
            ("实名登记时间", fmt.when(r.real_name_verified_at)),
        ]
        if r.transfers:
            rows.append(("过户记录", transfer_lines(r.transfers)))
        if not r.sensitive_shown:
            rows.append(("说明", "证件号码和电话号码已脱敏显示；查看完整信息需值班主管权限"))
        for label, value in rows:
            field = QLabel(value)
            field.setObjectName(f"field_{label}")
            field.setWordWrap(True)
            self._identity_form.addRow(f"{label}：", field)

        self.subscriptions.set_rows(
            [
                (
                    s.kind.label,
                    s.number_display,
                    s.plan_name,
                    fmt.money(s.monthly_fee_fen),
                    fmt.money(s.balance_fen),
                    s.status_text or s.status.label,
                    fmt.local_day(s.activated_at),
                    fmt.day(s.lock_in_until),
                    s.address,
                )
                for s in r.subscriptions
            ]
        )
        self.orders.set_rows(
            [
                (
                    o.order_no,
                    o.order_type.label,
                    o.state.label,
                    fmt.money(o.total_fen),
                    fmt.when(o.created_at),
                    o.staff_name,
                )
                for o in r.orders
            ]
        )
        self.payments.set_rows(
            [
                (fmt.when(p.paid_at), p.method.label, fmt.money(p.amount_fen), p.reference)
                for p in r.payments
            ]
        )
        self.invoices.set_rows(
            [
                (
                    i.invoice_no,
                    i.kind.label,
                    i.status.label,
                    fmt.when(i.issued_at),
                    fmt.money(i.total_fen),
                    fmt.money(i.tax_fen),
                )
                for i in r.invoices
            ]
        )
        self.tickets.set_rows(
            [
                (
                    t.ticket_no,
                    t.kind.label,
                    t.category,
                    t.status.label,
                    fmt.when(t.opened_at),
                    fmt.when(t.deadline_at),
                    "已超时" if t.overdue else "",
                )
                for t in r.open_tickets
            ]
        )
        counts = (
            len(r.subscriptions),
            len(r.orders),
            len(r.payments),
            len(r.invoices),
            len(r.open_tickets),
        )
        for i, n in enumerate(counts, start=1):  # half-width: six tabs fit 1366 px unscrolled
            self.tabs.setTabText(i, f"{self._tab_names[i]} ({n})")

    def show_handsets(
        self, contracts: list[ContractView], commitments: list[CommitmentView]
    ) -> None:
        """The 终端 tab (分期合同 and 合约机): its count is of what still runs; it turns red,
        its tooltip saying why, while an instalment is overdue."""
        self.handsets.show_handsets(contracts, commitments)
        index = self.tabs.indexOf(self.handsets)
        running = sum(1 for c in contracts if c.next_due is not None) + sum(
            1 for v in commitments if v.months_left
        )
        late = sum(c.overdue_count for c in contracts)
        self.tabs.setTabText(index, f"{HANDSETS_TAB} ({running})" if running else HANDSETS_TAB)
        bar = self.tabs.tabBar()
        bar.setTabTextColor(index, OVERDUE_RED if late else bar.palette().windowText().color())
        tip = f"分期合同与合约机。Alt+{index + 1}；Ctrl+PgDown / Ctrl+PgUp 切换资料页"
        self.tabs.setTabToolTip(index, f"有 {late} 期分期逾期未还。{tip}" if late else tip)

    def show_bills(self, bills: Sequence[BillView]) -> None:
        """The 账单 tab: its count is of the unpaid bills, red while one is overdue."""
        self.bills.show_bills(bills)
        index = self.tabs.indexOf(self.bills)
        unpaid, late = self.bills.unpaid, self.bills.overdue
        self.tabs.setTabText(index, f"{BILLS_TAB} ({unpaid})" if unpaid else BILLS_TAB)
        bar = self.tabs.tabBar()
        bar.setTabTextColor(index, OVERDUE_RED if late else bar.palette().windowText().color())

    # -- open install work orders, above the tabs ---------------------------------------------
    def _build_work_orders(self) -> None:
        """A banner (red when one is past its promised date) and the list of the open work
        orders with their windows; hidden while the customer has none."""
        self.shown_work_orders: list[WorkOrderView] = []
        self.work_order_banner = QLabel("")
        self.work_order_banner.setObjectName("workOrderBanner")
        self.work_order_banner.setWordWrap(True)
        self.work_orders = RowsModel(
            ["装机工单号", "类型", "状态", "预约时段", "承诺日期", "装机地址"]
        )
        self.work_order_table = make_table(
            self.work_orders,
            (
                "GD20261124000123",
                "新装",
                "装机失败",
                "11-26（周四）上午 09:00–12:00",
                "11-27* 已超期",
            ),
        )
        self.work_order_table.setObjectName("workOrders")
        # 预约时段 and 装机地址 share what the record's half of the screen leaves
        self.work_order_table.setColumnWidth(5, 280)
        fit_columns(self.work_order_table, {3: 150, 5: 120})
        self._fit_work_order_rows(1)
        self.work_order_table.activated.connect(self._work_order_index)
        self.work_order_panel = QWidget()
        self.work_order_panel.setObjectName("workOrderPanel")
        panel = QVBoxLayout(self.work_order_panel)
        panel.setContentsMargins(0, 0, 0, 0)
        panel.addWidget(self.work_order_banner)
        panel.addWidget(self.work_order_table)
        self.work_order_panel.setVisible(False)

    def show_work_orders(self, views: list[WorkOrderView]) -> None:
        """The customer's open work orders (scheduled, dispatched, or failed and waiting to be
        rescheduled), earliest window first."""
        shown = [v for v in views if v.is_open]
        self.shown_work_orders = shown
        self.work_orders.set_rows(
            [
                (
                    v.work_order_no,
                    v.kind.label,
                    v.status_label,
                    appointment(v),
                    promised_text(v),
                    v.address,
                )
                for v in shown
            ],
            shown,
        )
        self._fit_work_order_rows(len(shown))
        if not shown:
            self.work_order_panel.setVisible(False)
            self.work_order_banner.clear()
            set_role(self.work_order_banner, None)
            return
        late = [v for v in shown if v.overdue]
        text = f"在途装机工单 {len(shown)} 张"
        if late:
            text += f"，其中 {len(late)} 张已超过承诺装机日期：" + "、".join(
                v.work_order_no for v in late
            )
        provisional = any(v.promised_provisional for v in shown)
        text += "（* 暂按周一至周五计算）" if provisional else ""
        self.work_order_banner.setText(f"{text}。回车或 Ctrl+G 处理")
        set_role(self.work_order_banner, "error" if late else "warn")
        self.work_order_panel.setVisible(True)

    def _fit_work_order_rows(self, count: int) -> None:
        """The list as tall as its rows, up to ``WORK_ORDER_ROWS``: the tabs below get the rest."""
        table = self.work_order_table
        rows = min(max(count, 1), WORK_ORDER_ROWS) * table.verticalHeader().defaultSectionSize()
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + 4)

    def selected_work_order(self) -> WorkOrderView | None:
        """The open work order selected in the list, else the first one."""
        selection = self.work_order_table.selectionModel()
        rows = selection.selectedRows() if selection else []
        if rows:
            return self.shown_work_orders[rows[0].row()]
        return self.shown_work_orders[0] if self.shown_work_orders else None

    def _work_order_index(self, index: QModelIndex) -> None:
        view = self.work_orders.payload(index.row())
        if view is not None:
            self.work_order_activated.emit(view)


def promised_text(v: WorkOrderView) -> str:
    """The promised date, short, flagged when it has passed: ``11-27* 已超期``."""
    mark = "*" if v.promised_provisional else ""
    return f"{v.promised_date:%m-%d}{mark}" + (" 已超期" if v.overdue else "")
