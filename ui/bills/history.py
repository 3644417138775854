"""The record's 账单 tab: the customer's bills, newest period first (unpaid ones with what is
left and today's late fee); its count is of the unpaid ones, red while one is overdue."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QVBoxLayout, QWidget

from hall_app.services.bills import BillView
from ui import format as fmt
from ui.table import RowsModel, make_table

BILLS_TAB = "账单"
HEADERS = ("账期", "号码", "账单金额", "已缴", "待缴", "到期日", "逾期", "违约金", "状态")


class BillHistoryPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("billHistory")
        self.rows = RowsModel(list(HEADERS))
        self.table = make_table(
            self.rows,
            (
                "2026-11",
                "KD0591261124010001",  # a broadband account, the longest number
                "¥1,234.56",
                "¥1,234.56",
                "¥1,234.56",
                "2026-12-15",
                "120 天",
                "¥123.45",
                "部分缴纳",
            ),
        )
        self.table.setObjectName("billHistoryTable")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        self.bills: tuple[BillView, ...] = ()

    def show_bills(self, bills: Sequence[BillView]) -> None:
        self.bills = tuple(bills)
        self.rows.set_rows(
            [
                (
                    b.period,
                    b.number,
                    fmt.money(b.amount_fen),
                    fmt.money(b.paid_fen),
                    fmt.money(b.outstanding_fen),
                    fmt.day(b.due_date),
                    f"{b.overdue_days} 天" if b.overdue else "",
                    fmt.money(b.late_fee_fen) if b.late_fee_fen else "",
                    b.status.label,
                )
                for b in bills
            ]
        )

    @property
    def unpaid(self) -> int:
        return sum(
            1 for b in self.bills if b.outstanding_fen > 0 and b.status.value != "written_off"
        )

    @property
    def overdue(self) -> int:
        return sum(1 for b in self.bills if b.outstanding_fen > 0 and b.overdue)
