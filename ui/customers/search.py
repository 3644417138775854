"""Customer search: type or scan, Enter, pick a result, Enter again to open the record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hall_app.devices.id_reader import IdCardData, IdCardReader
from hall_app.domain.enums import (
    CustomerKind,
    InvoiceKind,
    InvoiceStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import HallError
from hall_app.domain.masking import mask_id_number
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalService
from hall_app.services.auth import AuthService
from hall_app.services.bills import BillService, BillView
from hall_app.services.customers import (
    CustomerRecord,
    CustomerService,
    QueryKind,
    SearchResult,
    SubscriptionView,
)
from hall_app.services.documents import DocumentKind, DocumentService, PrintedDocument
from hall_app.services.handset_returns import HandsetReturnService, ReturnDone
from hall_app.services.installs import SlotService
from hall_app.services.instalments import CommitmentView, ContractView, InstallmentService
from hall_app.services.invoicing import InvoiceService, RedLetterResult
from hall_app.services.workorders import WorkOrderService, WorkOrderView
from ui import format as fmt
from ui import messages
from ui.account.bar import AccountBar
from ui.customers.record import CustomerRecordView
from ui.customers.red_letter import RedLetterDialog
from ui.customers.register import RegisterDialog
from ui.documents.preview import DocumentPreview
from ui.handsets.returns import HandsetReturnDialog
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes, Operations
from ui.table import RowsModel, make_table
from ui.workorders.dialog import WorkOrderDialog

NEUTRAL_HINT = "输入后按回车；扫码枪扫描证件也可以"  # no visit under way

Handsets = tuple[list[ContractView], list[CommitmentView]]  # the record's 分期/合约 tab


class CustomerSearchPage(QWidget):
    record_opened = Signal(object)  # CustomerRecord
    open_mobile_requested = Signal(object)  # the customer's id
    fixed_line_requested = Signal(object)  # the customer's id: 宽带/固话新装
    relocation_requested = Signal(object)  # the customer's id: 移机
    handset_requested = Signal(object)  # the customer's id: 购机
    # 还款 / 提前结清 of a contract on the 分期/合约 tab: (ContractView, payoff, customer's id)
    repayment_requested = Signal(object, bool, object)
    # 缴费, 充值 and the 号码业务 menu (ui.account.actions): (the action's key, customer's id)
    account_action_requested = Signal(str, object)

    def __init__(
        self,
        service: CustomerService,
        actor: Actor,
        ops: Operations,
        reader: IdCardReader | None = None,
        invoices: InvoiceService | None = None,
        documents: DocumentService | None = None,
        parent: QWidget | None = None,
        *,
        work_orders: WorkOrderService | None = None,
        slots: SlotService | None = None,
        instalments: InstallmentService | None = None,
        returns: HandsetReturnService | None = None,
        auth: AuthService | None = None,
        approvals: ApprovalService | None = None,
        bills: BillService | None = None,
    ) -> None:
        super().__init__(parent)
        self._bills = bills
        self._approvals = approvals
        self._instalments = instalments
        self._service = service
        self._returns = returns
        self._auth = auth
        self.return_dialog: HandsetReturnDialog | None = None
        self.return_preview: DocumentPreview | None = None
        self._work_orders = work_orders
        self._slots = slots
        self.work_order_dialog: WorkOrderDialog | None = None
        self._reader = reader
        self._invoices = invoices
        self._documents = documents
        self.red_letter_dialog: RedLetterDialog | None = None
        self.red_preview: DocumentPreview | None = None
        self.current: CustomerRecord | None = None
        self.register_dialog: RegisterDialog | None = None
        self._actor = actor
        self._ops = ops
        self._search_seq = 0  # only the newest search's answer is shown
        self._open_seq = 0  # only the newest record opened is shown
        self._searched = SearchResult(QueryKind.NAME, (), False, 0)  # the list shown
        self._awaiting_registration: str | None = None  # the ID number being registered
        ops.changed.connect(self._on_changed)

        self.query = QLineEdit()
        self.query.setObjectName("customerQuery")
        self.query.setPlaceholderText(
            "手机号 / 证件号码 / 姓名 / 拼音首字母 / 统一社会信用代码，回车查询"
        )
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.search)
        self.search_button = QPushButton("查询")
        self.search_button.setObjectName("searchButton")
        self.search_button.clicked.connect(self.search)
        self.read_button = QPushButton("读身份证 (F9)")
        self.read_button.setObjectName("readIdCard")
        self.read_button.clicked.connect(self.read_card)
        self.read_button.setEnabled(reader is not None)
        shortcut(self, "F9", self.read_card)
        self.open_mobile_button = QPushButton("新开移动号码 (Ctrl+N)")
        self.open_mobile_button.setObjectName("openMobile")
        self.open_mobile_button.setEnabled(False)
        self.open_mobile_button.clicked.connect(self._request_open_mobile)
        shortcut(self, "Ctrl+N", self._request_open_mobile)
        self.fixed_line_button = QPushButton("宽带/固话新装 (Ctrl+B)")
        self.fixed_line_button.setObjectName("fixedLine")
        self.fixed_line_button.setEnabled(False)
        self.fixed_line_button.clicked.connect(self._request_fixed_line)
        shortcut(self, "Ctrl+B", self._request_fixed_line)
        self.relocation_button = QPushButton("移机 (Ctrl+M)")
        self.relocation_button.setObjectName("relocation")
        self.relocation_button.setEnabled(False)
        self.relocation_button.clicked.connect(self._request_relocation)
        shortcut(self, "Ctrl+M", self._request_relocation)
        self.handset_button = QPushButton("购机 (Ctrl+H)")
        self.handset_button.setObjectName("handsetSale")
        self.handset_button.setEnabled(False)
        self.handset_button.clicked.connect(self._request_handset)
        shortcut(self, "Ctrl+H", self._request_handset)
        self.fixed_visit = False  # the ticket being served is a C ticket (宽带/固话)
        self.hint = QLabel(NEUTRAL_HINT)
        self.hint.setObjectName("searchHint")
        self.field_error = QLabel("")
        self.field_error.setObjectName("queryError")
        self.field_error.setProperty("role", "error")
        for label in (self.hint, self.field_error):
            label.setWordWrap(True)  # a long line wraps; it never squeezes the record tabs

        self.results = RowsModel(["姓名/名称", "证件类型", "证件号码", "联系电话", "地址"])
        self.table = make_table(
            self.results, ("欧阳娜娜", "居民身份证", "3501**********2223", "133****5807")
        )
        self.table.setObjectName("searchResults")
        self.table.activated.connect(self._open_index)
        self.record = CustomerRecordView()
        self.record.work_order_activated.connect(self.open_work_order)
        self.record.handsets.repay_requested.connect(lambda c: self._request_repayment(c, False))
        self.record.handsets.payoff_requested.connect(lambda c: self._request_repayment(c, True))

        bar = QHBoxLayout()
        bar.addWidget(self.query, 1)
        bar.addWidget(self.search_button)
        bar.addWidget(self.read_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.field_error)
        left_layout.addWidget(self.hint)
        left_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.red_letter_button = QPushButton("红冲所选发票")
        self.red_letter_button.setObjectName("redLetter")
        # A clerk asks a supervisor remotely (审批); a supervisor red-letters directly.
        self.red_letter_button.setVisible(actor.can(Permission.APPROVE) or approvals is not None)
        self.red_letter_button.setEnabled(False)
        self.red_letter_button.clicked.connect(self.red_letter_selected)
        self.work_order_button = QPushButton("装机工单 (Ctrl+G)")
        self.work_order_button.setObjectName("openWorkOrder")
        self.work_order_button.setVisible(work_orders is not None)
        self.work_order_button.setEnabled(False)
        self.work_order_button.clicked.connect(self.open_selected_work_order)
        shortcut(self, "Ctrl+G", self.open_selected_work_order)
        self.return_button = QPushButton("手机退货 (Ctrl+T)")
        self.return_button.setObjectName("handsetReturn")
        self.return_button.setVisible(returns is not None and auth is not None)
        self.return_button.setEnabled(False)
        self.return_button.clicked.connect(self.open_handset_return)
        shortcut(self, "Ctrl+T", self.open_handset_return)
        # Enter on a focused action button opens it, as Space does (a C ticket focuses
        # 宽带/固话新装): outside a dialog a push button only clicks on Enter when autoDefault.
        for button in (
            self.search_button,
            self.read_button,
            self.work_order_button,
            self.red_letter_button,
            self.open_mobile_button,
            self.fixed_line_button,
            self.relocation_button,
            self.handset_button,
            self.return_button,
        ):
            button.setAutoDefault(True)
        # Two rows, so the row does not squeeze the search results at 1366 px as the
        # services grow: the new business first, then what acts on the record shown.
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.open_mobile_button)
        actions.addWidget(self.fixed_line_button)
        actions.addWidget(self.relocation_button)
        actions.addWidget(self.handset_button)
        record_actions = QHBoxLayout()
        record_actions.addStretch(1)
        record_actions.addWidget(self.work_order_button)
        record_actions.addWidget(self.red_letter_button)
        record_actions.addWidget(self.return_button)
        self.account_bar = AccountBar()
        self.account_bar.requested.connect(self._request_account_action)
        right_layout.addLayout(actions)
        right_layout.addLayout(record_actions)
        right_layout.addWidget(self.account_bar)
        right_layout.addWidget(self.record, 1)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([520, 800])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def start_visit(self, ticket_no: str, fixed_line: bool = False) -> None:
        """A new customer was called: nothing of the previous one stays on screen. A C
        ticket (宽带/固话) leads to the broadband/landline wizards once the customer is open."""
        self.fixed_visit = fixed_line
        self._search_seq += 1  # answers still on their way belong to the previous visit
        self._open_seq += 1
        self._awaiting_registration = None
        self.query.clear()
        self.field_error.clear()
        self.results.set_rows([], [])
        self.record.clear()
        self.current = None
        self.open_mobile_button.setEnabled(False)
        self.red_letter_button.setEnabled(False)
        self.work_order_button.setEnabled(False)
        self.return_button.setEnabled(False)
        self.account_bar.set_open(False)
        self._enable_fixed(None)
        then = "，然后按 Ctrl+B 宽带/固话新装或 Ctrl+M 移机" if fixed_line else ""
        self.hint.setText(f"{ticket_no}：请查询客户或读身份证 (F9){then}")

    def end_visit(self, ticket_no: str) -> None:
        """The visit of ``ticket_no`` is over (finished, no-show): its instructions go, the
        neutral hint comes back (a hint about something else, e.g. a search, stays)."""
        if self.hint.text().startswith(f"{ticket_no}："):
            self.hint.setText(NEUTRAL_HINT)

    # -- search -----------------------------------------------------------------------------
    def search(self) -> None:
        text = self.query.text()
        self.field_error.clear()
        self._close_record()
        self.hint.setText("正在查询…")
        self._search_for(text)

    def _close_record(self) -> None:
        """Nobody open: a new search or card is about someone else (Ctrl+N, 红冲 need one)."""
        self._open_seq += 1  # a record still loading belongs to the previous customer
        self.record.clear()
        self.current = None
        self.open_mobile_button.setEnabled(False)
        self.red_letter_button.setEnabled(False)
        self.work_order_button.setEnabled(False)
        self.return_button.setEnabled(False)
        self._enable_fixed(None)

    def _enable_fixed(self, record: CustomerRecord | None) -> None:
        self.fixed_line_button.setEnabled(record is not None)
        self.handset_button.setEnabled(record is not None)  # 购机: any customer on record
        self.relocation_button.setEnabled(
            record is not None
            and any(
                s.kind in (SubscriptionKind.BROADBAND, SubscriptionKind.LANDLINE)
                and s.status is SubscriptionStatus.ACTIVE
                for s in record.subscriptions
            )
        )

    def _show_results(self, result: SearchResult) -> None:
        self._searched = result  # a number searched: that number selected when opened
        self.results.set_rows(
            [
                (
                    r.name + ("（VIP）" if r.is_vip else ""),
                    r.id_label,
                    r.id_display,
                    r.phone_display,
                    r.address,
                )
                for r in result.rows
            ],
            [r.id for r in result.rows],
        )
        n = len(result.rows)
        if n == 0:
            self.hint.setText(f"按{result.kind_label}未找到客户")
            return
        if result.truncated:
            total = f"{result.total:,} 位{'以上' if result.total_capped else ''}"
            found = f"找到 {total}客户，显示前 {n} 位，请输入更完整的条件"
        else:
            found = f"找到 {n} 位客户"
        self.hint.setText(f"按{result.kind_label}{found}；↑↓ 选择，回车打开")
        self.table.selectRow(0)
        self.table.setFocus()
        if n == 1:
            self._open_found(result.rows[0].id)

    def _search_failed(self, exc: HallError) -> None:
        self.hint.setText("")
        self._searched = SearchResult(QueryKind.NAME, (), False, 0)
        self.results.set_rows([], [])  # the last search's rows would open someone not asked for
        if exc.field == "查询条件":
            self.field_error.setText(exc.text)
            self.query.setFocus()
            return
        messages.failure(self, exc)

    # -- record -----------------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        customer_id = self.results.payload(index.row())
        if customer_id is not None:
            self._open_found(customer_id)

    def _open_found(self, customer_id: uuid.UUID) -> None:
        """Open a customer of the list: found by one of their numbers, that one selected."""
        self.open_customer(customer_id, select=self._searched.number_of(customer_id))

    def open_customer(self, customer_id: uuid.UUID, *, select: uuid.UUID | None = None) -> None:
        """Show the customer's record; ``select``: the subscription selected on its 号码 tab."""
        service, actor, work_orders = self._service, self._actor, self._work_orders
        instalments, bills = self._instalments, self._bills
        self._open_seq += 1
        seq = self._open_seq

        def load() -> tuple[CustomerRecord, list[WorkOrderView], Handsets, tuple[BillView, ...]]:
            record = service.get_customer_record(actor, customer_id)
            found = work_orders.for_customer(actor, customer_id) if work_orders else []
            handsets: Handsets = (
                (
                    instalments.contracts(actor, customer_id),
                    instalments.commitments(actor, customer_id),
                )
                if instalments
                else ([], [])
            )
            history = bills.bill_history(actor, customer_id) if bills else ()
            return record, found, handsets, history

        self._ops.mutate(  # an unmasked view writes an audit entry: a write, changing nothing
            load,
            lambda got: self._show_record(*got, select=select) if seq == self._open_seq else None,
            changes=Changes.NONE,
            parent=self,
            label="正在打开客户资料…",
        )

    def _on_changed(self, event: ChangeEvent) -> None:
        """Refresh from what other screens changed: a customer just registered from the card
        on the reader is looked up as if the card were read again (list, highlight and hint
        all about them); the open record is reloaded when its orders, payments or details
        changed. Payments are always announced with their customer: a cash change naming
        none (a till opened or closed) leaves the record alone, since each reload of an
        unmasked record is audited again."""
        if event.touches(Changes.CUSTOMER) and self._awaiting_registration is not None:
            id_number, self._awaiting_registration = self._awaiting_registration, None
            self._search_for(id_number)
            return
        current = self.current
        if current is None:
            return
        if event.customer_id == current.id:
            concerns = Changes.CUSTOMER | Changes.ORDERS | Changes.CASH | Changes.BILLS
        elif event.customer_id is None:  # which customer is not known: perhaps this one
            concerns = Changes.CUSTOMER | Changes.ORDERS
        else:
            return
        if event.touches(concerns):  # the number the clerk is acting on stays selected
            chosen = self.record.selected_subscription()
            self.open_customer(current.id, select=chosen.id if chosen else None)

    def _show_record(
        self,
        record: CustomerRecord,
        work_orders: list[WorkOrderView] | None = None,
        handsets: Handsets = ([], []),
        bills: Sequence[BillView] = (),
        *,
        select: uuid.UUID | None = None,
    ) -> None:
        self.current = record
        self.record.show_record(record)
        if select is not None:
            self.record.select_subscription(select)
        self.record.show_work_orders(work_orders or [])
        self.record.show_handsets(*handsets)
        self.record.show_bills(bills)
        self.work_order_button.setEnabled(bool(work_orders))
        self.open_mobile_button.setEnabled(record.kind is CustomerKind.INDIVIDUAL)
        self.red_letter_button.setEnabled(bool(record.invoices))
        self.return_button.setEnabled(True)
        self.account_bar.set_open(True)
        self._enable_fixed(record)
        if self.fixed_visit:  # a C ticket: the broadband/landline install is what comes next
            self.fixed_line_button.setFocus()
        self.record_opened.emit(record)

    def _request_account_action(self, key: str) -> None:
        if self.current is not None:
            self.account_action_requested.emit(key, self.current.id)

    def selected_subscription(self) -> SubscriptionView | None:
        """The number selected on the open record's 号码 tab (the account businesses' own)."""
        return self.record.selected_subscription()

    def _request_repayment(self, contract: ContractView, payoff: bool) -> None:
        if self.current is not None:
            self.repayment_requested.emit(contract, payoff, self.current.id)

    def _request_open_mobile(self) -> None:
        if self.current is None:  # said on the page's message line, not in a pop-up
            self.field_error.setText("请先打开客户资料再开户 (F3 查询)")
            self.focus_query()
            return
        if not self.open_mobile_button.isEnabled():
            self.field_error.setText("新开移动号码只能为个人客户办理")
            return
        self.field_error.clear()
        self.open_mobile_requested.emit(self.current.id)

    def _request_fixed_line(self) -> None:
        if self.current is None:
            self.field_error.setText("请先打开客户资料再办理宽带/固话新装 (F3 查询)")
            self.focus_query()
            return
        self.field_error.clear()
        self.fixed_line_requested.emit(self.current.id)

    def _request_handset(self) -> None:
        if self.current is None:
            self.field_error.setText("请先打开客户资料再办理购机 (F3 查询)")
            self.focus_query()
            return
        self.field_error.clear()
        self.handset_requested.emit(self.current.id)

    def _request_relocation(self) -> None:
        if self.current is None:
            self.field_error.setText("请先打开客户资料再办理移机 (F3 查询)")
            self.focus_query()
            return
        if not self.relocation_button.isEnabled():
            self.field_error.setText("该客户没有正常使用中的宽带或固话，不能移机")
            return
        self.field_error.clear()
        self.relocation_requested.emit(self.current.id)

    # -- install work orders ------------------------------------------------------------------
    def open_selected_work_order(self) -> None:
        view = self.record.selected_work_order() if self.current is not None else None
        if view is None:
            if self.current is not None and self.work_order_button.isVisible():
                self.field_error.setText("该客户没有装机工单")
            return
        self.open_work_order(view)

    def open_work_order(self, view: WorkOrderView) -> None:
        """The work-order dialog: 派单, 装机完成, 装机失败, 改约 and printing the 装机工单. The
        record refreshes from each write's announcement (ORDERS and CUSTOMER, this customer)."""
        if self._work_orders is None:
            return
        if self.work_order_dialog is not None:
            self.work_order_dialog.deleteLater()
        self.work_order_dialog = WorkOrderDialog(
            view,
            self._work_orders,
            self._actor,
            self._ops,
            slots=self._slots,
            documents=self._documents,
            parent=self,
        )
        self.work_order_dialog.open()

    # -- red-letter invoices (supervisors) ---------------------------------------------------
    def open_handset_return(self) -> None:
        """手机退货 for the open customer: their recent handset sales, one to return."""
        record = self.current
        if self._returns is None or self._auth is None:
            return
        if record is None:
            self.field_error.setText("请先打开客户资料再办理手机退货 (F3 查询)")
            self.focus_query()
            return
        if self.return_dialog is not None:
            self.return_dialog.deleteLater()
        dialog = HandsetReturnDialog(
            self._returns,
            self._auth,
            self._actor,
            self._ops,
            record.id,
            self,
            approvals=self._approvals,
        )
        dialog.returned.connect(self._handset_returned)
        self.return_dialog = dialog
        dialog.open()

    def _handset_returned(self, result: ReturnDone) -> None:
        """Said on the page, the record refreshed, and the refund's receipt shown to print
        (the red invoice is the return's too: 打印 from the record's 发票 tab)."""
        self.hint.setText(
            f"已退货：受理单 {result.order_no}，IMEI {result.imei}，"
            f"退款 {fmt.money(-result.total_fen)}"
            + (f"，红字发票 {result.red_invoice_no}" if result.red_invoice_no else "")
        )  # the record refreshes from the write's announcement (_on_changed)
        documents, actor, order_id = self._documents, self._actor, result.order_id
        if documents is None:
            return
        kind = DocumentKind.RECEIPT

        def show(shown: PrintedDocument) -> None:
            if self.return_preview is not None:
                self.return_preview.deleteLater()
            self.return_preview = DocumentPreview(
                shown,
                f"退货小票 {result.order_no}",
                self._ops,
                lambda reason: documents.print_document(actor, order_id, kind, reason),
                self,
            )
            self.return_preview.show()

        self._ops.query(
            lambda: documents.preview_document(actor, order_id, kind),
            show,
            parent=self,
            label="正在生成退货小票…",
        )

    def red_letter_selected(self) -> None:
        record = self.current
        table = self.record.tables["发票"]
        rows = table.selectionModel().selectedRows() if table.selectionModel() else []
        if record is None or not rows:
            messages.warning(self, "请先在“发票”页选中要红冲的发票")
            return
        invoice = record.invoices[rows[0].row()]
        if invoice.kind is not InvoiceKind.BLUE or invoice.status is not InvoiceStatus.ISSUED:
            messages.warning(self, f"发票 {invoice.invoice_no} {invoice.status.label}，不能红冲")
            return
        if self._invoices is None:
            return
        if self.red_letter_dialog is not None:
            self.red_letter_dialog.deleteLater()
        dialog = RedLetterDialog(
            invoice,
            self._invoices,
            self._actor,
            self._ops,
            self,
            customer_id=record.id,
            approvals=self._approvals,
        )
        dialog.issued.connect(lambda result: self._red_lettered(record.id, result))
        self.red_letter_dialog = dialog
        dialog.open()

    def _red_lettered(self, customer_id: uuid.UUID, result: RedLetterResult) -> None:
        """Said on the page, the record refreshed, and the red invoice shown to print."""
        self.hint.setText(
            f"已开具红字发票 {result.red_invoice_no}，"
            f"冲销发票 {result.original_invoice_no}（{fmt.money(result.total_fen)}）"
        )  # the record refreshes from the write's announcement (_on_changed)
        documents, actor, order_id = self._documents, self._actor, result.order_id
        if documents is None or order_id is None:  # an old invoice with no order behind it
            return
        kind = DocumentKind.RED_INVOICE

        def show(shown: PrintedDocument) -> None:
            if self.red_preview is not None:
                self.red_preview.deleteLater()
            self.red_preview = DocumentPreview(
                shown,
                f"红字发票 {result.red_invoice_no}",
                self._ops,
                lambda reason: documents.print_document(actor, order_id, kind, reason),
                self,
            )
            self.red_preview.show()

        self._ops.query(
            lambda: documents.preview_document(actor, order_id, kind),
            show,
            parent=self,
            label="正在生成红字发票…",
        )

    # -- ID-card reader ---------------------------------------------------------------------
    def read_card(self) -> None:
        """Read the card on the reader, then open that customer, or register them."""
        reader, service, actor = self._reader, self._service, self._actor
        if reader is None:
            return
        self.hint.setText("正在读取身份证…")
        self.read_button.setEnabled(False)

        def work() -> tuple[IdCardData, SearchResult]:
            card = reader.read()
            return card, service.search_customers(actor, card.id_number)

        def failed(exc: HallError) -> None:
            self.hint.setText("")
            self.field_error.setText(exc.text)

        self._ops.query(
            work,
            self._card_read,
            failed,
            parent=self,
            always=lambda: self.read_button.setEnabled(True),
        )

    def _registration_abandoned(self) -> None:
        self._awaiting_registration = None

    def _search_for(self, text: str) -> None:
        """Search as if the clerk had typed ``text`` (the field shows nothing: it may be an ID)."""
        service, actor = self._service, self._actor
        self._search_seq += 1
        seq = self._search_seq
        self._ops.query(
            lambda: service.search_customers(actor, text),
            lambda result: self._show_results(result) if seq == self._search_seq else None,
            lambda exc: self._search_failed(exc) if seq == self._search_seq else None,
            parent=self,
        )

    def _card_read(self, result: tuple[IdCardData, SearchResult]) -> None:
        card, found = result
        self.field_error.clear()
        self.query.clear()
        self._close_record()  # the card's holder, found or not, is who the clerk serves now
        if found.rows:
            self.hint.setText(f"已读取 {card.name} 的身份证")
            self._show_results(found)
            return
        self.hint.setText(
            f"{card.name}（{mask_id_number(card.id_number)}）尚未登记，请办理实名登记"
        )
        self.results.set_rows([], [])  # nobody in the list is this card's holder
        self._awaiting_registration = card.id_number  # looked up once registered (_on_changed)
        dialog = RegisterDialog(card, self._service, self._actor, self._ops, self)
        dialog.rejected.connect(self._registration_abandoned)
        self.register_dialog = dialog
        dialog.open()
