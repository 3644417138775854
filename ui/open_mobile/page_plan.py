"""Step 3: compare up to three plans side by side, choose one, and add value-added services.
Leaving the page prices the order (the quote the customer will confirm)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from hall_app.services.catalog import AddonView, PlanView, allowance_text
from hall_app.services.orders import Quote
from ui import format as fmt
from ui.open_mobile.base import WizardEnv, WizardPage, error_label

MAX_COMPARED = 3
ROWS = ("月费", "流量", "语音", "短信", "在网期限", "优惠活动")


def _cells(p: PlanView) -> tuple[str, ...]:
    return (
        fmt.money(p.monthly_fen),
        allowance_text(p.data_mb, "MB"),
        allowance_text(p.voice_minutes, "分钟"),
        allowance_text(p.sms_count, "条"),
        f"{p.lock_in_months} 个月" if p.lock_in_months else "无",
        "\n".join(
            f"{x.name}\n前 {x.months} 个月 {fmt.money(x.monthly_fen)}/月" for x in p.promotions
        )
        or "—",
    )


class PlanPage(WizardPage):
    title = "选择套餐"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.plans: list[PlanView] = []
        self.plan_list = QListWidget()
        self.plan_list.setObjectName("planList")
        self.plan_list.itemChanged.connect(self._compare_changed)
        self.compare_note = error_label("compareNote")
        self.compare = QTableWidget(len(ROWS), 0)
        self.compare.setObjectName("planCompare")
        self.compare.setVerticalHeaderLabels(list(ROWS))
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.compare.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.plan_combo = QComboBox()
        self.plan_combo.setObjectName("planChoice")
        self.plan_combo.currentIndexChanged.connect(self._plan_chosen)
        self.addon_list = QListWidget()
        self.addon_list.setObjectName("addonList")
        self.addon_list.itemChanged.connect(lambda _item: self._invalidate())
        self.addon_list.setMaximumHeight(150)

        left = QVBoxLayout()
        left.addWidget(QLabel("勾选最多 3 个套餐对比（空格勾选）："))
        left.addWidget(self.plan_list, 1)
        right = QVBoxLayout()
        right.addWidget(self.compare, 1)
        right.addWidget(self.compare_note)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("办理套餐："))
        choose.addWidget(self.plan_combo, 1)
        right.addLayout(choose)
        addons = QGroupBox("增值业务（可选，空格勾选）")
        QVBoxLayout(addons).addWidget(self.addon_list)
        right.addWidget(addons)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 5)
        self._loaded = False

    def enter(self) -> None:
        if self._loaded:
            return
        catalog, actor = self.env.app.catalog, self.env.actor
        self.query(lambda: (catalog.list_plans(actor), catalog.list_addons(actor)), self._fill)

    def _fill(self, loaded: tuple[list[PlanView], list[AddonView]]) -> None:
        self._loaded = True
        self.plans, addons = loaded
        self.plan_list.blockSignals(True)
        self.plan_combo.blockSignals(True)
        self.plan_combo.addItem("请选择套餐", "")
        for p in self.plans:
            item = QListWidgetItem(f"{p.name}  {fmt.money(p.monthly_fen)}/月")
            item.setData(Qt.ItemDataRole.UserRole, p.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.plan_list.addItem(item)
            self.plan_combo.addItem(f"{p.name}（{fmt.money(p.monthly_fen)}/月）", p.code)
        self.plan_list.blockSignals(False)
        self.plan_combo.blockSignals(False)
        for a in addons:
            item = QListWidgetItem(f"{a.name}  {fmt.money(a.monthly_fen)}/月")
            item.setData(Qt.ItemDataRole.UserRole, a.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.addon_list.addItem(item)
        self.plan_list.setCurrentRow(0)
        self.plan_list.setFocus()

    def compared_codes(self) -> list[str]:
        return [
            self.plan_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.plan_list.count())
            if self.plan_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _compare_changed(self, item: QListWidgetItem) -> None:
        codes = self.compared_codes()
        if len(codes) > MAX_COMPARED:
            self.plan_list.blockSignals(True)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.plan_list.blockSignals(False)
            self.compare_note.setText(f"最多同时对比 {MAX_COMPARED} 个套餐，请先取消一个")
            return
        self.compare_note.clear()
        self._render_compare()

    def _render_compare(self) -> None:
        by_code = {p.code: p for p in self.plans}
        compared = [by_code[c] for c in self.compared_codes()]
        chosen = self.plan_combo.currentData()
        self.compare.setColumnCount(len(compared))
        self.compare.setHorizontalHeaderLabels([p.name for p in compared])
        for col, p in enumerate(compared):
            for row, text in enumerate(_cells(p)):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if p.code == chosen:
                    cell.setBackground(QBrush(QColor("#dcebff")))
                self.compare.setItem(row, col, cell)
        if compared and not chosen:
            self.plan_combo.setCurrentIndex(self.plan_combo.findData(compared[0].code))

    def _plan_chosen(self, _index: int) -> None:
        self._invalidate()
        self._render_compare()
        self.complete_changed.emit()

    def _invalidate(self) -> None:
        self.draft.quote = None

    def addon_codes(self) -> tuple[str, ...]:
        return tuple(
            self.addon_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.addon_list.count())
            if self.addon_list.item(i).checkState() == Qt.CheckState.Checked
        )

    def is_complete(self) -> bool:
        return bool(self.plan_combo.currentData())

    def missing(self) -> str:
        return "请在“办理套餐”中选择一个套餐"

    def leave(self, proceed: Callable[[], None]) -> None:
        reservation = self.draft.reservation
        assert reservation is not None
        orders, actor = self.env.app.orders, self.env.actor
        # What the customer will see is captured now, with the codes the quote is for.
        number, plan, addons = (
            reservation.number.number,
            self.plan_combo.currentData(),
            self.addon_codes(),
        )
        plan_name = next(p.name for p in self.plans if p.code == plan)

        def priced(quote: Quote) -> None:
            self.draft.plan_code = plan
            self.draft.plan_name = plan_name
            self.draft.addon_codes = addons
            self.draft.quote = quote
            proceed()

        self.query(lambda: orders.quote(actor, number, plan, addons), priced)
