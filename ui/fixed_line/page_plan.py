"""Step 2: the plan. Broadband plans the address supports, compared side by side (speed,
monthly fee, contract, installation fee, promotion); a fusion bundle (融合套餐) with one of
the customer's active mobile plans where one matches; and, optionally, a landline with its
plan and a number reserved from the pool (choosing another gives the first back)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from hall_app.domain.enums import SubscriptionKind
from hall_app.domain.errors import HallError
from hall_app.services.fixed_line import BundleView, FixedPlanView, LandlineView
from ui import format as fmt
from ui.fixed_line.draft import FixedPage
from ui.keys import shortcut
from ui.ops import Changes
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.wizard.base import WizardEnv, error_label

ROWS = ("速率", "月费", "合约期", "安装调测费", "优惠活动")
NO_BROADBAND = "__none__"
log = logging.getLogger("hall.ui.fixed_line")


def _cells(p: FixedPlanView) -> tuple[str, ...]:
    promo = (
        f"{p.promotion}\n优惠后 {fmt.money(p.promotion_monthly_fen)}/月"
        if p.promotion and p.promotion_monthly_fen is not None
        else "—"
    )
    return (
        f"{p.speed_mbps}M" if p.speed_mbps else "—",
        f"{fmt.money(p.monthly_fen)}/月",
        f"{p.contract_months} 个月" if p.contract_months else "无合约",
        fmt.money(p.install_fee_fen),
        promo,
    )


def bundle_choice(b: BundleView) -> str:
    """Short, for the chooser: the bundle, the mobile number, the broadband's bundle price."""
    return f"{b.name}（{b.mobile_number_masked}）{fmt.money(b.monthly_fen)}/月"


def bundle_text(b: BundleView) -> str:
    return (
        f"{b.name}：绑定 {b.mobile_number_masked}（{b.mobile_plan_name}），"
        f"宽带融合价 {fmt.money(b.monthly_fen)}/月（原 {fmt.money(b.regular_monthly_fen)}/月）"
    )


class PlanPage(FixedPage):
    title = "选择套餐"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.plans: list[FixedPlanView] = []
        self.compare = QTableWidget(len(ROWS), 0)
        self.compare.setObjectName("broadbandCompare")
        self.compare.setVerticalHeaderLabels(list(ROWS))
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.compare.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.compare.cellClicked.connect(lambda _r, col: self._choose_column(col))
        self.speed_note = QLabel("")
        self.speed_note.setObjectName("speedNote")
        self.plan_combo = QComboBox()
        self.plan_combo.setObjectName("broadbandChoice")
        self.plan_combo.currentIndexChanged.connect(self._plan_chosen)
        self.bundle_combo = QComboBox()
        self.bundle_combo.setObjectName("bundleChoice")
        self.bundle_combo.currentIndexChanged.connect(self._bundle_chosen)
        self.bundle_note = QLabel("")
        self.bundle_note.setObjectName("bundleNote")
        self.bundle_note.setWordWrap(True)

        self.landline_box = QCheckBox("同时安装固话 (Ctrl+L)")
        self.landline_box.setObjectName("withLandline")
        self.landline_box.toggled.connect(self._landline_toggled)
        shortcut(self, "Ctrl+L", self._toggle_landline)
        self.landline_combo = QComboBox()
        self.landline_combo.setObjectName("landlinePlanChoice")
        self.landline_combo.currentIndexChanged.connect(self._landline_plan_chosen)
        self.number_filter = QLineEdit()
        self.number_filter.setObjectName("landlineFilter")
        self.number_filter.setPlaceholderText("号码包含（数字，可空），回车查询")
        self.number_filter.setMaxLength(8)
        self.number_filter.returnPressed.connect(self.search_numbers)
        self.number_search = QPushButton("查询号码")
        self.number_search.setObjectName("landlineSearch")
        self.number_search.clicked.connect(self.search_numbers)
        self.numbers = RowsModel(["固话号码", "等级", "预存话费"])
        self.number_table = make_table(self.numbers, ("0591-87654321", "一级靓号", "¥5,000.00"))
        self.number_table.setObjectName("landlineNumbers")
        self.number_table.activated.connect(self._choose_number)
        self.number_table.setMaximumHeight(150)
        self.number_chosen = error_label("landlineChosen")
        set_role(self.number_chosen, "muted")
        self.number_chosen.setText("尚未选号")

        choose = QHBoxLayout()
        choose.addWidget(QLabel("办理宽带："))
        choose.addWidget(self.plan_combo, 2)
        choose.addWidget(QLabel("融合套餐："))
        choose.addWidget(self.bundle_combo, 3)
        landline = QGroupBox("固话（可选）")
        ll = QVBoxLayout(landline)
        top = QHBoxLayout()
        top.addWidget(self.landline_box)
        top.addWidget(QLabel("固话套餐："))
        top.addWidget(self.landline_combo, 1)
        ll.addLayout(top)
        search = QHBoxLayout()
        search.addWidget(QLabel("选择号码："))
        search.addWidget(self.number_filter, 1)
        search.addWidget(self.number_search)
        ll.addLayout(search)
        ll.addWidget(self.number_table)
        ll.addWidget(self.number_chosen)
        self.landline_group = landline
        layout = QVBoxLayout(self)
        layout.addWidget(self.speed_note)
        layout.addWidget(self.compare, 1)
        layout.addLayout(choose)
        layout.addWidget(self.bundle_note)
        layout.addWidget(landline)
        self._loaded_for: object = None
        self._bundle_seq = 0
        self._reserving = False
        self._set_landline_enabled(False)

    # -- loading ---------------------------------------------------------------------------
    def enter(self) -> None:
        c = self.draft.coverage
        assert c is not None
        key = (c.community, c.max_down_mbps, c.landline)
        if self._loaded_for == key:
            self.plan_combo.setFocus()
            return
        self._loaded_for = key
        service, actor = self.env.app.fixed_line, self.env.actor
        speed = c.max_down_mbps
        self.speed_note.setText(
            f"{c.community} 最高支持 {speed}M，只列出可办理的速率；"
            "在“办理宽带”中用 ↑↓ 选择（或点选对比表的一列），Ctrl+L 同时安装固话"
        )
        self.landline_box.setEnabled(c.landline)
        self.landline_box.setText("同时安装固话 (Ctrl+L)" if c.landline else "该地址不能安装固话")
        if not c.landline:
            self.landline_box.setChecked(False)
        self.query(
            lambda: (
                service.plans(actor, SubscriptionKind.BROADBAND, speed),
                service.plans(actor, SubscriptionKind.LANDLINE),
            ),
            self._fill,
        )

    def _fill(self, loaded: tuple[list[FixedPlanView], list[FixedPlanView]]) -> None:
        self.plans, landline = loaded
        self.plan_combo.blockSignals(True)
        self.plan_combo.clear()
        self.plan_combo.addItem("请选择宽带套餐", "")
        for p in self.plans:
            self.plan_combo.addItem(f"{p.name}（{fmt.money(p.monthly_fen)}/月）", p.code)
        self.plan_combo.addItem("不办理宽带（只装固话）", NO_BROADBAND)
        self.plan_combo.blockSignals(False)
        self.landline_combo.blockSignals(True)
        self.landline_combo.clear()
        for p in landline:
            self.landline_combo.addItem(f"{p.name}（{fmt.money(p.monthly_fen)}/月）", p.code)
        self.landline_combo.blockSignals(False)
        self._landline_plans = {p.code: p for p in landline}
        self.compare.setColumnCount(len(self.plans))
        self.compare.setHorizontalHeaderLabels([p.name for p in self.plans])
        self._plan_chosen(0)  # another address: no plan or bundle chosen yet
        self.plan_combo.setFocus()

    def _render(self) -> None:
        chosen = self.draft.broadband.code if self.draft.broadband else None
        for col, p in enumerate(self.plans):
            for row, text in enumerate(_cells(p)):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if p.code == chosen:
                    cell.setBackground(QBrush(QColor("#dcebff")))
                self.compare.setItem(row, col, cell)

    # -- broadband and bundle ----------------------------------------------------------------
    def _choose_column(self, col: int) -> None:
        self.plan_combo.setCurrentIndex(self.plan_combo.findData(self.plans[col].code))

    def _plan_chosen(self, _index: int) -> None:
        code = self.plan_combo.currentData()
        self.draft.broadband = next((p for p in self.plans if p.code == code), None)
        self.draft.bundle = None
        self.draft.quote = None
        self._render()
        self.bundle_combo.blockSignals(True)
        self.bundle_combo.clear()
        self.bundle_combo.addItem("不办理融合套餐", None)
        self.bundle_combo.blockSignals(False)
        self.bundle_note.clear()
        self._bundle_seq += 1
        seq = self._bundle_seq
        if self.draft.broadband is None:
            self.bundle_combo.setEnabled(False)
        else:
            service, actor, customer = (
                self.env.app.fixed_line,
                self.env.actor,
                self.draft.customer_id,
            )
            plan = self.draft.broadband.code
            self.query(
                lambda: service.bundles(actor, customer, plan),
                lambda found: self._bundles(found) if seq == self._bundle_seq else None,
            )
        self.complete_changed.emit()

    def _bundles(self, found: list[BundleView]) -> None:
        self.bundle_combo.setEnabled(bool(found))
        for b in found:
            self.bundle_combo.addItem(bundle_choice(b), b)
        if found:
            set_role(self.bundle_note, "ok")
            self.bundle_note.setText(
                f"客户有 {len(found)} 个可融合的移动套餐：可在“融合套餐”中选择，宽带按融合价计费"
            )
        else:
            set_role(self.bundle_note, "muted")
            self.bundle_note.setText("客户没有可与该宽带融合的移动套餐")

    def _bundle_chosen(self, _index: int) -> None:
        b = self.bundle_combo.currentData()
        self.draft.bundle = b if isinstance(b, BundleView) else None
        self.draft.quote = None
        if self.draft.bundle is not None:
            set_role(self.bundle_note, "ok")
            self.bundle_note.setText(f"已选融合套餐：{bundle_text(self.draft.bundle)}")
        self.complete_changed.emit()

    # -- landline --------------------------------------------------------------------------
    def _toggle_landline(self) -> None:
        if self.landline_box.isEnabled():  # not where the address can have no landline
            self.landline_box.toggle()

    def _set_landline_enabled(self, on: bool) -> None:
        for w in (self.landline_combo, self.number_filter, self.number_search, self.number_table):
            w.setEnabled(on)

    def _landline_toggled(self, on: bool) -> None:
        self._set_landline_enabled(on)
        self.draft.quote = None
        if on:
            self._landline_plan_chosen(self.landline_combo.currentIndex())
            self.search_numbers()
            self.number_filter.setFocus()
        else:
            self.draft.landline_plan = None
            self.release_number()
        self.complete_changed.emit()

    def _landline_plan_chosen(self, _index: int) -> None:
        if self.landline_box.isChecked():
            self.draft.landline_plan = self._landline_plans.get(self.landline_combo.currentData())
            self.draft.quote = None
            self.complete_changed.emit()

    def search_numbers(self) -> None:
        text = self.number_filter.text().strip()
        if text and not text.isdigit():
            set_role(self.number_chosen, "error")
            self.number_chosen.setText("固话号码只能输入数字")
            return
        service, actor = self.env.app.fixed_line, self.env.actor
        self.query(lambda: service.landline_numbers(actor, text), self._show_numbers)

    def _show_numbers(self, rows: list[LandlineView]) -> None:
        self.numbers.set_rows(
            [
                (
                    n.display,
                    n.tier_name or "普通号码",
                    fmt.money(n.prepayment_fen) if n.prepayment_fen else "—",
                )
                for n in rows
            ],
            rows,
        )
        if rows:
            self.number_table.selectRow(0)
            self.number_table.setFocus()
        elif self.draft.landline is None:
            set_role(self.number_chosen, "muted")
            self.number_chosen.setText("没有符合条件的号码")

    def _choose_number(self, index: QModelIndex) -> None:
        view = self.numbers.payload(index.row())
        if isinstance(view, LandlineView):
            self.reserve(view.number)

    def reserve(self, number: str) -> None:
        previous = self.draft.landline
        if self._reserving or (previous is not None and previous.number == number):
            return
        self._reserving = True
        self.complete_changed.emit()
        service, actor = self.env.app.fixed_line, self.env.actor
        replacing = previous.number if previous else None

        def reserved(view: LandlineView) -> None:
            self._reserving = False
            self.draft.landline = view
            self.draft.quote = None
            set_role(self.number_chosen, "ok")
            self.number_chosen.setText(f"已预占固话号码 {view.display}")
            self.complete_changed.emit()

        def refused(exc: HallError) -> bool:
            self._reserving = False
            set_role(self.number_chosen, "error")
            self.number_chosen.setText(exc.text)
            self.complete_changed.emit()
            return True

        self.mutate(
            lambda: service.reserve_landline(actor, number, replacing=replacing),
            reserved,
            refused,
            changes=Changes.STOCK,
        )

    def number_lost(self, message: str) -> None:
        """The order found the reservation lapsed or taken: choose again."""
        self.draft.landline = None
        set_role(self.number_chosen, "error")
        self.number_chosen.setText(message)
        self.search_numbers()
        self.complete_changed.emit()

    def release_number(self) -> None:
        """Give the reserved landline number back (unticked, or the wizard abandoned)."""
        view = self.draft.landline
        if view is None or self.draft.installed is not None:
            return
        self.draft.landline = None
        set_role(self.number_chosen, "muted")
        self.number_chosen.setText("尚未选号")
        service, actor = self.env.app.fixed_line, self.env.actor
        self.env.ops.mutate(
            lambda: service.release_landline(actor, view.number),
            # a typed refusal (offline) leaves it to lapse by itself
            on_error=lambda exc: log.warning("landline number not released: %s", exc.text),
            changes=Changes.STOCK,
        )

    # ---------------------------------------------------------------------------------------
    def is_complete(self) -> bool:
        d = self.draft
        if self._reserving:
            return False
        if self.landline_box.isChecked() and (d.landline_plan is None or d.landline is None):
            return False
        return d.broadband is not None or (
            self.plan_combo.currentData() == NO_BROADBAND and d.landline_plan is not None
        )

    def missing(self) -> str:
        if self._reserving:
            return "正在预占固话号码…"
        if self.landline_box.isChecked() and self.draft.landline is None:
            return "请在号码列表中选择固话号码并回车预占"
        if self.plan_combo.currentData() == NO_BROADBAND:
            return "只装固话：请勾选“同时安装固话”并选号"
        return "请在“办理宽带”中选择一个宽带套餐"
