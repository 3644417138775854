"""One install work order (装机工单), opened from the customer record: what it is, and the
steps a clerk reports for the installers: 派单, 装机完成, 装机失败 (with the reason) and 改约
(a new slot from the free ones of the community), and printing the 装机工单.

A supervisor (APPROVE) also has 取消工单 (Ctrl+5, with the reason).

Keyboard: Ctrl+1 派单, Ctrl+2 装机完成, Ctrl+3 装机失败, Ctrl+4 改约, Ctrl+P 打印工单,
Enter in the reason confirms, Esc closes. In 改约, ↑↓ choose a slot, Enter (or Tab) takes it
and goes to 改约原因 (Alt+R), whose Enter confirms."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QSize
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.errors import HallError
from hall_app.domain.permissions import Permission
from hall_app.domain.workorders import ALLOWED
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind, DocumentService, PrintedDocument
from hall_app.services.installs import SlotService, SlotView
from hall_app.services.workorders import InstallReport, WorkOrderService, WorkOrderView
from ui import format as fmt
from ui import messages
from ui.documents.preview import DocumentPreview
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.widgets.fields import error_label
from ui.workorders.format import PROVISIONAL_NOTE, appointment

WRITES = Changes.ORDERS | Changes.CUSTOMER
IDLE, FAIL, RESCHEDULE, CANCEL = 0, 1, 2, 3
WEEKDAYS = "一二三四五六日"


class WorkOrderDialog(QDialog):
    def __init__(
        self,
        view: WorkOrderView,
        service: WorkOrderService,
        actor: Actor,
        ops: Operations,
        *,
        slots: SlotService | None = None,
        documents: DocumentService | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workOrderDialog")
        self.view = view
        self._service, self._actor, self._ops = service, actor, ops
        self._slots, self._documents = slots, documents
        self.preview: DocumentPreview | None = None
        self.free_slots: list[SlotView] = []
        self.picked: SlotView | None = None  # the new slot taken with Enter in the list
        self._busy = False

        self.title = QLabel("")
        self.title.setObjectName("workOrderTitle")
        self.state = QLabel("")
        self.state.setObjectName("workOrderState")
        self.state.setWordWrap(True)
        self.facts = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for label in (
            "受理单号",
            "业务号码",
            "装机地址",
            "所属小区",
            "接入方式",
            "联系人",
            "预约时段",
            "承诺装机日期",
            "装维班组",
            "终端设备",
            "安装费",
            "说明",
        ):
            field = QLabel("")
            field.setObjectName(f"wo_{label}")
            field.setWordWrap(True)
            self.fields[label] = field
            self.facts.addRow(f"{label}：", field)

        # The step being reported: nothing, 装机失败 (reason) or 改约 (slot and reason).
        self.fail_reason = QLineEdit()
        self.fail_reason.setObjectName("failReason")
        self.fail_reason.setMaxLength(200)
        self.fail_reason.setPlaceholderText("例如：客户不在家，电话无人接听")
        self.fail_reason.returnPressed.connect(self.confirm_failed)
        self.fail_confirm = QPushButton("确认装机失败 (Enter)")
        self.fail_confirm.setObjectName("confirmFailed")
        self.fail_confirm.clicked.connect(self.confirm_failed)
        fail_page = QWidget()
        fail_form = QFormLayout(fail_page)
        fail_form.addRow("失败原因：", self.fail_reason)
        fail_form.addRow("", self.fail_confirm)

        self.cancel_reason = QLineEdit()
        self.cancel_reason.setObjectName("cancelReason")
        self.cancel_reason.setMaxLength(200)
        self.cancel_reason.setPlaceholderText("例如：客户撤销装机申请")
        self.cancel_reason.returnPressed.connect(self.confirm_cancel)
        self.cancel_confirm = QPushButton("确认取消工单 (Enter)")
        self.cancel_confirm.setObjectName("confirmCancel")
        self.cancel_confirm.clicked.connect(self.confirm_cancel)
        cancel_page = QWidget()
        cancel_form = QFormLayout(cancel_page)
        cancel_form.addRow("取消原因：", self.cancel_reason)
        cancel_form.addRow("", self.cancel_confirm)

        self.slot_rows = RowsModel(["日期", "时段", "时间", "装维班组", "余量"])
        self.slot_table: QTableView = make_table(
            self.slot_rows, ("2026-12-03（周四）", "下午", "14:00–18:00", "鼓楼装维一班", "2/3")
        )
        self.slot_table.setObjectName("freeSlots")
        # Tab leaves the list (to 改约原因) instead of walking its cells; Enter takes the row
        self.slot_table.setTabKeyNavigation(False)
        self.slot_table.activated.connect(self._slot_picked)
        self.picked_label = error_label("pickedSlot")
        self.reschedule_reason = QLineEdit()
        self.reschedule_reason.setObjectName("rescheduleReason")
        self.reschedule_reason.setMaxLength(200)
        self.reschedule_reason.setPlaceholderText("例如：客户要求改到周末前的下午")
        self.reschedule_reason.returnPressed.connect(self.confirm_reschedule)
        self.reschedule_confirm = QPushButton("确认改约 (Enter)")
        self.reschedule_confirm.setObjectName("confirmReschedule")
        self.reschedule_confirm.clicked.connect(self.confirm_reschedule)
        reschedule_page = QWidget()
        reschedule_layout = QVBoxLayout(reschedule_page)
        reschedule_layout.setContentsMargins(0, 0, 0, 0)
        reschedule_layout.addWidget(QLabel("选择新的预约时段（↑↓ 选择，回车选定）："))
        reschedule_layout.addWidget(self.slot_table, 1)
        reschedule_layout.addWidget(self.picked_label)
        reason_row = QHBoxLayout()
        reason_label = QLabel("改约原因(&R)：")
        reason_label.setBuddy(self.reschedule_reason)
        reason_row.addWidget(reason_label)
        reason_row.addWidget(self.reschedule_reason, 1)
        self.customer_asked = QCheckBox("客户要求改期(&K)")
        self.customer_asked.setObjectName("customerAsked")
        self.customer_asked.setToolTip(
            "勾选：客户自己要求改到更晚的日期，新日期即为承诺装机日期（不计逾期补偿）；"
            "不勾选：因装维原因改约，承诺日期不变，逾期照常补偿"
        )
        reason_row.addWidget(self.customer_asked)
        reason_row.addWidget(self.reschedule_confirm)
        reschedule_layout.addLayout(reason_row)
        self.step = QStackedWidget()
        idle = QLabel(
            "派单后由装维班组按预约时段上门；装机完成即开通业务并开始计费，超过承诺装机日期的"
            "按安装费的 1%/天 自动补偿至账户余额；装机失败须填写原因，之后可改约重新预约。"
        )
        idle.setObjectName("workOrderHint")
        idle.setWordWrap(True)
        set_role(idle, "muted")
        idle_page = QWidget()
        idle_layout = QVBoxLayout(idle_page)
        idle_layout.setContentsMargins(0, 8, 0, 0)
        idle_layout.addWidget(idle)
        idle_layout.addStretch(1)
        self.step.addWidget(idle_page)
        self.step.addWidget(fail_page)
        self.step.addWidget(reschedule_page)
        self.step.addWidget(cancel_page)
        self.error = error_label("workOrderError")

        self.dispatch_button = QPushButton("派单 (Ctrl+1)")
        self.dispatch_button.setObjectName("dispatchWorkOrder")
        self.dispatch_button.clicked.connect(self.dispatch)
        self.installed_button = QPushButton("装机完成 (Ctrl+2)")
        self.installed_button.setObjectName("reportInstalled")
        self.installed_button.clicked.connect(self.report_installed)
        self.failed_button = QPushButton("装机失败 (Ctrl+3)")
        self.failed_button.setObjectName("reportFailed")
        self.failed_button.clicked.connect(self.start_failed)
        self.reschedule_button = QPushButton("改约 (Ctrl+4)")
        self.reschedule_button.setObjectName("rescheduleWorkOrder")
        self.reschedule_button.clicked.connect(self.start_reschedule)
        self.reschedule_button.setVisible(slots is not None)
        self.cancel_button = QPushButton("取消工单 (Ctrl+5)")
        self.cancel_button.setObjectName("cancelWorkOrder")
        self.cancel_button.clicked.connect(self.start_cancel)
        self.cancel_button.setVisible(actor.can(Permission.APPROVE))
        self.print_button = QPushButton("打印装机工单 (Ctrl+P)")
        self.print_button.setObjectName("printWorkOrder")
        self.print_button.clicked.connect(self.print_work_order)
        self.print_button.setVisible(documents is not None)
        close = QPushButton("关闭 (Esc)")
        close.clicked.connect(self.reject)
        self._steps = (
            self.dispatch_button,
            self.installed_button,
            self.failed_button,
            self.reschedule_button,
            self.cancel_button,
        )
        buttons = QHBoxLayout()
        for button in (*self._steps, self.print_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        # No default button: Enter belongs to the focused list or reason field (an Enter in
        # the slot list used to click 确认改约, the first auto-default button).
        for button in (
            close,
            *self._steps,
            self.print_button,
            self.fail_confirm,
            self.reschedule_confirm,
            self.cancel_confirm,
        ):
            button.setAutoDefault(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.state)
        layout.addLayout(self.facts)
        layout.addWidget(self.step, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        for key, slot in (
            ("Ctrl+1", self.dispatch),
            ("Ctrl+2", self.report_installed),
            ("Ctrl+3", self.start_failed),
            ("Ctrl+4", self.start_reschedule),
            ("Ctrl+5", self.start_cancel),
            ("Ctrl+P", self.print_work_order),
        ):
            shortcut(self, key, slot)
        self.show_view(view)
        fit_to_screen(self, QSize(860, 640))

    # -- what is shown ---------------------------------------------------------------------
    def show_view(self, v: WorkOrderView) -> None:
        self.view = v
        self.setWindowTitle(f"装机工单 {v.work_order_no}")
        self.title.setText(f"装机工单 {v.work_order_no}（{v.kind.label}）")
        numbers = [n for n in (v.broadband_account, v.landline_number) if n]
        promised = fmt.day(v.promised_date) + (PROVISIONAL_NOTE if v.promised_provisional else "")
        values = {
            "受理单号": v.order_no,
            "业务号码": "、".join(numbers) or "—",
            "装机地址": v.address,
            "所属小区": v.community,
            "接入方式": v.technology,
            "联系人": f"{v.contact_name}  {v.contact_phone_masked}",
            "预约时段": appointment(v)
            + (f"（已改约 {v.reschedules} 次）" if v.reschedules else ""),
            "承诺装机日期": promised,
            "装维班组": v.team_name or "待分配",
            "终端设备": "、".join(v.equipment_serials) or "无",
            "安装费": fmt.money(v.installation_fee_fen),
            "说明": v.status_reason or "—",
        }
        for label, value in values.items():
            self.fields[label].setText(value)
        role: str | None
        if v.overdue:
            state = f"{v.status_label}：已超过承诺装机日期 {fmt.day(v.promised_date)}"
            role = "error"
        elif v.credit_fen:
            state = f"{v.status_label}：晚装 {v.late_days} 天，已补偿 {fmt.money(v.credit_fen)}"
            role = "warn"
        else:
            state = v.status_label
            role = {"failed": "warn", "cancelled": "muted"}.get(v.status.value, "ok")
        self.state.setText(f"状态：{state}")
        set_role(self.state, role)
        self._enable()
        self.step.setCurrentIndex(IDLE)

    # -- the steps -------------------------------------------------------------------------
    def dispatch(self) -> None:
        if self.dispatch_button.isEnabled():
            service, actor, wo = self._service, self._actor, self.view.id
            self._write(lambda: service.dispatch(actor, wo), "正在派单…", self._updated)

    def report_installed(self) -> None:
        if not self.installed_button.isEnabled():
            return
        v = self.view
        if not messages.confirm(
            self,
            f"确认工单 {v.work_order_no} 已装机完成？"
            + ("业务将开通并开始计费。" if v.kind.value == "install" else "业务地址将改为新地址。"),
        ):
            return
        service, actor = self._service, self._actor

        def work() -> tuple[InstallReport, WorkOrderView]:
            report = service.report_installed(actor, v.id)
            return report, service.get(actor, v.id)

        self._write(work, "正在报竣工…", self._installed)

    def start_failed(self) -> None:
        if self.failed_button.isEnabled():
            self.error.clear()
            self.step.setCurrentIndex(FAIL)
            self.fail_reason.setFocus()

    def confirm_failed(self) -> None:
        if self.step.currentIndex() != FAIL or self._busy:
            return
        service, actor, wo = self._service, self._actor, self.view.id
        reason = self.fail_reason.text()
        self._write(lambda: service.report_failed(actor, wo, reason), "正在登记…", self._updated)

    def start_cancel(self) -> None:
        if self.cancel_button.isVisible() and self.cancel_button.isEnabled():
            self.error.clear()
            self.step.setCurrentIndex(CANCEL)
            self.cancel_reason.setFocus()

    def confirm_cancel(self) -> None:
        if self.step.currentIndex() != CANCEL or self._busy:
            return
        v = self.view
        if not messages.confirm(self, f"确认取消工单 {v.work_order_no}？预约的时段将释放。"):
            return
        service, actor, reason = self._service, self._actor, self.cancel_reason.text()
        self._write(lambda: service.cancel(actor, v.id, reason), "正在取消工单…", self._updated)

    def start_reschedule(self) -> None:
        slots = self._slots
        if slots is None or not self.reschedule_button.isEnabled():
            return
        self.error.clear()
        if self.step.currentIndex() == RESCHEDULE and self.free_slots:
            self.slot_table.setFocus()  # already open: the list and the slot taken stay
            return
        self.picked = None
        self.customer_asked.setChecked(False)
        self._show_picked()
        self.step.setCurrentIndex(RESCHEDULE)
        actor, community = self._actor, self.view.community
        self._ops.query(
            lambda: slots.free_slots(actor, community),
            self._show_slots,
            self._failed,
            parent=self,
            label="正在查询可预约时段…",
        )

    def _show_slots(self, found: list[SlotView]) -> None:
        current = self.view.slot_id
        self.free_slots = [s for s in found if s.slot_id != current]
        self.slot_rows.set_rows(
            [_slot_cells(s) for s in self.free_slots],
            [s.slot_id for s in self.free_slots],
        )
        if not self.free_slots:
            self.picked = None
            self._show_picked()
            self.error.setText("预约时段：该小区近期没有可预约的时段，请联系装维班组")
            return
        ids = [s.slot_id for s in self.free_slots]
        if self.picked is not None and self.picked.slot_id in ids:  # the slot taken stays
            self.slot_table.selectRow(ids.index(self.picked.slot_id))
            return
        self.picked = None
        self._show_picked()
        self.slot_table.selectRow(0)
        self.slot_table.setFocus()

    def _slot_picked(self, index: QModelIndex) -> None:
        """Enter (or a double click) on a free slot takes it; the reason is next."""
        row = index.row()
        if 0 <= row < len(self.free_slots):
            self.picked = self.free_slots[row]
            self.slot_table.selectRow(row)
            self._show_picked()
            self.reschedule_reason.setFocus()

    def _show_picked(self) -> None:
        s = self.picked
        if s is None:
            set_role(self.picked_label, "muted")
            self.picked_label.setText("尚未选定新时段：↑↓ 选择后回车")
            return
        set_role(self.picked_label, "ok")
        self.picked_label.setText("新时段：" + "　".join(_slot_cells(s)[:4]))

    def confirm_reschedule(self) -> None:
        if self.step.currentIndex() != RESCHEDULE or self._busy:
            return
        slot_id: uuid.UUID
        if self.picked is not None:
            slot_id = self.picked.slot_id
        else:
            rows = self.slot_table.selectionModel().selectedRows()
            if not rows:
                self.error.setText("预约时段：请先选择新的预约时段")
                return
            slot_id = self.slot_rows.payload(rows[0].row())
        service, actor, wo = self._service, self._actor, self.view.id
        reason = self.reschedule_reason.text()
        asked = self.customer_asked.isChecked()
        self._write(
            lambda: service.reschedule(actor, wo, slot_id, reason, customer_asked=asked),
            "正在改约…",
            self._updated,
        )

    def print_work_order(self) -> None:
        documents = self._documents
        if documents is None:
            return
        actor, order_id, no = self._actor, self.view.order_id, self.view.work_order_no
        kind = DocumentKind.WORK_ORDER

        def show(shown: PrintedDocument) -> None:
            if self.preview is not None:
                self.preview.deleteLater()
            self.preview = DocumentPreview(
                shown,
                f"装机工单 {no}",
                self._ops,
                lambda reason: documents.print_document(actor, order_id, kind, reason),
                self,
            )
            self.preview.show()

        self._ops.query(
            lambda: documents.preview_document(actor, order_id, kind),
            show,
            self._failed,
            parent=self,
            label="正在生成装机工单…",
        )

    # -- helpers ---------------------------------------------------------------------------
    def _write(self, fn: Callable[[], Any], label: str, done: Callable[[Any], None]) -> None:
        if self._busy:
            return
        self._busy = True
        self.error.clear()
        customer_id = self.view.customer_id
        for button in self._steps:
            button.setEnabled(False)

        def again() -> None:  # done or refused: the steps the status allows come back
            self._busy = False
            self._enable()

        self._ops.mutate(
            fn,
            done,
            self._failed,
            changes=WRITES,
            parent=self,
            label=label,
            always=again,
            customer=lambda _result: customer_id,
        )

    def _enable(self) -> None:
        allowed = [
            self.view.status in ALLOWED[s]
            for s in ("dispatch", "install", "fail", "reschedule", "cancel")
        ]
        for button, ok in zip(self._steps, allowed, strict=True):
            button.setEnabled(ok and not self._busy)

    def _updated(self, view: WorkOrderView) -> None:
        self._busy = False
        self.fail_reason.clear()
        self.reschedule_reason.clear()
        self.cancel_reason.clear()
        self.picked = None
        self.free_slots = []
        self.show_view(view)

    def _installed(self, result: tuple[InstallReport, WorkOrderView]) -> None:
        report, view = result
        self._updated(view)
        started = "、".join(report.activated or report.relocated)
        text = f"装机完成：{started} " + ("已开通计费" if report.activated else "已移至新地址")
        if report.credit_fen:
            text += (
                f"；超期 {report.late_days} 天，已补偿 {fmt.money(report.credit_fen)} 至账户余额"
            )
        self.state.setText(text)
        set_role(self.state, "ok")

    def _failed(self, exc: HallError) -> None:
        self.error.setText(exc.text)
        if exc.field == "原因":
            reasons = {
                FAIL: self.fail_reason,
                RESCHEDULE: self.reschedule_reason,
                CANCEL: self.cancel_reason,
            }
            field = reasons.get(self.step.currentIndex())
            if field is not None:
                field.setFocus()


def _slot_cells(s: SlotView) -> tuple[str, ...]:
    return (
        f"{fmt.day(s.day)}（周{WEEKDAYS[s.day.weekday()]}）" + ("*" if s.provisional else ""),
        s.window_label,
        f"{fmt.when(s.starts_at)[11:]}–{fmt.when(s.ends_at)[11:]}",
        s.team_name,
        f"{s.free}/{s.capacity}",
    )
