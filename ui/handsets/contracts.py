"""The customer record's 分期/合约 page: each installment contract with its instalments (paid,
due, overdue in red, upcoming) and each contract phone with its months left and today's
违约金 (the unearned subsidy). 还款 (Ctrl+K) and 提前结清 (Ctrl+Shift+K) ask for the
selected contract's payment (``repay_requested`` / ``payoff_requested``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.enums import ContractStatus
from hall_app.services.instalments import CommitmentView, ContractView
from ui import format as fmt
from ui.keys import shortcut
from ui.style import set_role
from ui.table import Index, RowsModel, fit_columns, make_table

OVERDUE_RED = QColor("#c0392b")  # the style sheet's error colour (hall.qss, role "error")


IMEI_COLUMN = 2  # in both tables


class MiddleElided(QStyledItemDelegate):
    """Draws its column's text elided in the middle ("8671890…77123"), not at its end."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class FlaggedRows(RowsModel):
    """Rows of which some are drawn red (an overdue instalment); the text says it too."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(headers, parent)
        self.flagged: set[int] = set()

    def set_flagged(self, rows: set[int]) -> None:
        self.flagged = rows

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.row() in self.flagged:
            return QBrush(OVERDUE_RED)
        return super().data(index, role)


class HandsetContractsPanel(QWidget):
    repay_requested = Signal(object)  # ContractView: 还款
    payoff_requested = Signal(object)  # ContractView: 提前结清

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handsetContracts")
        self.shown_contracts: list[ContractView] = []
        self.banner = QLabel("")
        self.banner.setObjectName("instalmentBanner")
        self.banner.setWordWrap(True)
        self.contracts = FlaggedRows(["受理单号", "机型", "IMEI", "已还", "待还", "逾期", "状态"])
        self.contract_table = make_table(
            self.contracts,
            (
                "SL20261124010001",
                "华为 Mate 70 12+256GB",
                "356789012345678",
                "12/12",
                "¥4,999.00",
                "2 期",
                "提前结清",
            ),
        )
        self.contract_table.setObjectName("contractTable")
        fit_columns(self.contract_table, {1: 90, 2: 110})
        self.contract_table.selectionModel().currentRowChanged.connect(self._contract_row)
        self.instalments = FlaggedRows(
            ["期次", "到期日", "本金", "手续费", "应还", "状态", "还款时间"]
        )
        self.instalment_table = make_table(
            self.instalments,
            ("24/24", "2026-12-15", "¥1,234.56", "¥12.34", "¥1,246.90", "未到期", "2026-11-24"),
        )
        self.instalment_table.setObjectName("instalmentTable")
        self.repay_button = QPushButton("还款 (Ctrl+K)")
        self.repay_button.setObjectName("repayButton")
        self.repay_button.clicked.connect(self.request_repay)
        self.payoff_button = QPushButton("提前结清 (Ctrl+Shift+K)")
        self.payoff_button.setObjectName("payoffButton")
        self.payoff_button.clicked.connect(self.request_payoff)
        shortcut(self, "Ctrl+K", self.request_repay)
        shortcut(self, "Ctrl+Shift+K", self.request_payoff)
        self.summary = QLabel("")
        self.summary.setObjectName("contractSummary")
        self.summary.setWordWrap(True)
        self.commitments = RowsModel(
            ["号码", "机型", "IMEI", "剩余/合约", "到期日", "违约金", "状态"]
        )
        self.commitment_table = make_table(
            self.commitments,
            (
                "138****0000",
                "Apple iPhone 16 128GB",
                "356789012345678",
                "14/24 个月",
                "2028-01-23",
                "¥1,700.00",
                "履约中",
            ),
        )
        self.commitment_table.setObjectName("commitmentTable")
        fit_columns(self.commitment_table, {1: 90, 2: 110})
        for short in (self.contract_table, self.commitment_table):  # the columns fit instead
            short.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            # an IMEI too wide for its column keeps its first and last digits (the ones a
            # clerk compares with the box), the whole one in the tooltip
            short.setItemDelegateForColumn(IMEI_COLUMN, MiddleElided(short))

        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.repay_button)
        buttons.addWidget(self.payoff_button)
        contracts = QGroupBox("分期合同")
        box = QVBoxLayout(contracts)
        box.addWidget(self.contract_table)
        box.addWidget(self.instalment_table, 1)
        box.addLayout(buttons)
        commitments = QGroupBox("合约机（违约金按今日计算：未履约月份的补贴）")
        QVBoxLayout(commitments).addWidget(self.commitment_table)
        self.commitment_box = commitments
        boxes = QWidget()
        inner = QVBoxLayout(boxes)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(contracts, 1)
        inner.addWidget(commitments)
        # Three contracts and two contract phones are taller than the record's tab has on a
        # 1366×728 screen below the open work orders: the boxes scroll there, the banner
        # (the overdue ones) stays in view.
        self.box_scroll = QScrollArea()
        self.box_scroll.setObjectName("handsetScroll")
        self.box_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.box_scroll.setWidgetResizable(True)
        self.box_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.box_scroll.setWidget(boxes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.box_scroll, 1)
        self.show_handsets([], [])

    @staticmethod
    def _rows_height(table: Any, rows: int) -> int:
        row = table.verticalHeader().defaultSectionSize()
        return int(table.horizontalHeader().sizeHint().height() + rows * row + 4)

    # -- showing --------------------------------------------------------------------------------
    def show_handsets(
        self, contracts: Sequence[ContractView], commitments: Sequence[CommitmentView]
    ) -> None:
        previous = self.selected_contract()
        self.shown_contracts = list(contracts)
        self.contracts.set_flagged({i for i, c in enumerate(contracts) if c.overdue_count})
        self.contracts.set_rows(
            [
                (
                    c.order_no,
                    c.handset_name,
                    c.imei,
                    f"{c.months - len(c.unpaid)}/{c.months}",
                    fmt.money(c.outstanding_fen),
                    f"{c.overdue_count} 期" if c.overdue_count else "",
                    c.status.label,
                )
                for c in contracts
            ],
            list(contracts),
        )
        self.commitments.set_rows(
            [
                (
                    v.number_masked,
                    v.handset_name,
                    v.imei,
                    f"{v.months_left}/{v.months} 个月",
                    fmt.day(v.ends_on),
                    fmt.money(v.clawback_fen),
                    v.status.label,
                )
                for v in commitments
            ]
        )
        # as many rows as there are (contracts up to 3, phones up to 2): the instalments get
        # the rest of the record's half of a 1366×768 screen
        self.contract_table.setFixedHeight(
            self._rows_height(self.contract_table, min(max(len(contracts), 1), 3))
        )
        self.commitment_table.setFixedHeight(
            self._rows_height(self.commitment_table, min(max(len(commitments), 1), 2))
        )
        self.commitment_box.setVisible(bool(commitments))
        overdue = sum(c.overdue_count for c in contracts)
        running = [c for c in contracts if c.status is ContractStatus.ACTIVE]
        if overdue:
            late = "、".join(c.order_no for c in contracts if c.overdue_count)
            self.banner.setText(f"有 {overdue} 期分期逾期未还（{late}），请提醒客户还款")
            set_role(self.banner, "error")
        elif contracts or commitments:
            self.banner.setText(
                f"在途分期合同 {len(running)} 份，合约机 "
                f"{sum(1 for v in commitments if v.status is ContractStatus.ACTIVE)} 部"
            )
            set_role(self.banner, None)
        else:
            self.banner.setText("该客户没有分期合同或合约机")
            set_role(self.banner, "muted")
        again = next(
            (
                i
                for i, c in enumerate(contracts)
                if previous and c.contract_id == previous.contract_id
            ),
            0,
        )
        if contracts:
            self.contract_table.selectRow(again)
        self._show_contract(contracts[again] if contracts else None)

    def _contract_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if 0 <= current.row() < len(self.shown_contracts):
            self._show_contract(self.shown_contracts[current.row()])

    def _show_contract(self, c: ContractView | None) -> None:
        rows = c.instalments if c else ()
        self.instalments.set_flagged({i for i, v in enumerate(rows) if v.overdue})
        self.instalments.set_rows(
            [
                (
                    f"{v.seq}/{c.months if c else 0}",
                    fmt.day(v.due_date),
                    fmt.money(v.principal_fen),
                    fmt.money(v.fee_fen),
                    fmt.money(v.amount_fen),
                    v.state,
                    fmt.local_day(v.paid_at),
                )
                for v in rows
            ]
        )
        active = c is not None and c.next_due is not None
        self.repay_button.setEnabled(active)
        self.payoff_button.setEnabled(active)
        if c is None:
            self.summary.setText("")
        elif c.next_due is None:
            self.summary.setText(f"{c.order_no}：{c.status.label}")
        else:
            self.summary.setText(
                f"下一期：第 {c.next_due.seq} 期 {fmt.day(c.next_due.due_date)} "
                f"{fmt.money(c.next_due.amount_fen)}；待还合计 {fmt.money(c.outstanding_fen)}；"
                f"今日结清 {fmt.money(c.payoff_fen)}"
            )

    def selected_contract(self) -> ContractView | None:
        selection = self.contract_table.selectionModel()
        rows = selection.selectedRows() if selection else []
        if rows and rows[0].row() < len(self.shown_contracts):
            return self.shown_contracts[rows[0].row()]
        return None

    # -- actions --------------------------------------------------------------------------------
    def request_repay(self) -> None:
        c = self.selected_contract()
        if c is not None and c.next_due is not None and self.isVisible():
            self.repay_requested.emit(c)

    def request_payoff(self) -> None:
        c = self.selected_contract()
        if c is not None and c.next_due is not None and self.isVisible():
            self.payoff_requested.emit(c)
