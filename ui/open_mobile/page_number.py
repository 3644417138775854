"""Step 2: choose a number from the pool (prefix, contains, ends with, pretty tier, no 4) and
reserve it for this counter. Choosing another number gives the first one back."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from hall_app.domain.errors import HallError
from hall_app.services.numbers import NumberFilter, NumberView, Reservation, TierView
from ui import format as fmt
from ui.open_mobile.base import WizardEnv, WizardPage, error_label
from ui.ops import Changes
from ui.style import set_role
from ui.table import RowsModel, make_table

DIGIT_FIELDS = (("prefix", "号段", 11), ("contains", "包含", 8), ("ends", "尾号", 8))


class NumberPage(WizardPage):
    title = "选择号码"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        grid = QGridLayout()
        self.fields: dict[str, QLineEdit] = {}
        self.field_errors: dict[str, QLabel] = {}
        for col, (key, label, max_len) in enumerate(DIGIT_FIELDS):
            edit = QLineEdit()
            edit.setObjectName(f"number_{key}")
            edit.setPlaceholderText(f"{label}（数字）")
            edit.setMaxLength(max_len)
            edit.returnPressed.connect(self.search)
            edit.textEdited.connect(lambda text, k=key, n=label: self._check_digits(k, n, text))
            self.fields[key] = edit
            self.field_errors[key] = error_label(f"number_{key}_error")
            grid.addWidget(QLabel(f"{label}："), 0, col * 2)
            grid.addWidget(edit, 0, col * 2 + 1)
            grid.addWidget(self.field_errors[key], 1, col * 2 + 1)
        self.tier = QComboBox()
        self.tier.setObjectName("number_tier")
        self.tier.addItem("全部号码", None)
        self.tier.addItem("普通号码", "")
        self.no_four = QCheckBox("不含 4")
        self.no_four.setObjectName("number_no_four")
        self.search_button = QPushButton("查询 (Enter)")
        self.search_button.setObjectName("numberSearch")
        self.search_button.clicked.connect(self.search)
        grid.addWidget(QLabel("靓号等级："), 2, 0)
        grid.addWidget(self.tier, 2, 1)
        grid.addWidget(self.no_four, 2, 3)
        grid.addWidget(self.search_button, 2, 5)

        self.results = RowsModel(["号码", "等级", "预存话费", "最低月消费", "在网期限"])
        self.table = make_table(self.results, ("18912345678", "一级靓号", "¥5,000.00", "¥299.00"))
        self.table.setObjectName("numberResults")
        self.table.activated.connect(self._choose_index)
        self.hint = QLabel("设置条件后按回车查询；↑↓ 选择号码，回车预占")
        self.hint.setObjectName("numberHint")
        self.chosen = QLabel("尚未选号")
        self.chosen.setObjectName("numberChosen")
        self.terms = QLabel("")
        self.terms.setObjectName("numberTerms")
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chosen)
        layout.addWidget(self.terms)
        self._tiers_loaded = False
        self._search_seq = 0
        self._reserving = False  # one reservation at a time: the release follows the reply
        self.expired = False
        self._countdown = QTimer(self)
        self._countdown.timeout.connect(self._tick)
        self._countdown.start(15_000)

    def _enter(self) -> None:
        if not self._tiers_loaded:
            numbers, actor = self.env.app.numbers, self.env.actor
            self.query(lambda: numbers.list_tiers(actor), self._add_tiers)
        self.fields["prefix"].setFocus()

    def _add_tiers(self, tiers: list[TierView]) -> None:
        self._tiers_loaded = True
        for t in tiers:
            self.tier.addItem(f"{t.name}（预存 {fmt.money(t.prepayment_fen)}）", t.code)
        self.search()

    def _check_digits(self, key: str, label: str, text: str) -> bool:
        bad = bool(text) and not text.isdigit()
        self.field_errors[key].setText(f"{label}只能输入数字" if bad else "")
        return not bad

    def search(self) -> None:
        if not all(self._check_digits(k, n, self.fields[k].text()) for k, n, _ in DIGIT_FIELDS):
            return
        f = NumberFilter(
            prefix=self.fields["prefix"].text(),
            contains=self.fields["contains"].text(),
            ends_with=self.fields["ends"].text(),
            tier_code=self.tier.currentData(),
            no_four=self.no_four.isChecked(),
        )
        numbers, actor = self.env.app.numbers, self.env.actor
        self.hint.setText("正在查询…")
        self._search_seq += 1
        seq = self._search_seq  # only the newest search's answer is shown
        self.query(
            lambda: numbers.find_numbers(actor, f),
            lambda rows: self._show(rows) if seq == self._search_seq else None,
            self._field_error,
        )

    def _field_error(self, exc: HallError) -> bool:
        for key, label, _ in DIGIT_FIELDS:
            if exc.field == label:
                self.field_errors[key].setText(exc.text)
                return True
        return False

    def _show(self, rows: list[NumberView]) -> None:
        self.results.set_rows(
            [
                (
                    n.number,
                    n.tier_name,
                    fmt.money(n.prepayment_fen) if n.prepayment_fen else "—",
                    fmt.money(n.min_monthly_fen) if n.min_monthly_fen else "—",
                    f"{n.lock_in_months} 个月" if n.lock_in_months else "—",
                )
                for n in rows
            ],
            rows,
        )
        self.hint.setText(
            f"找到 {len(rows)} 个可选号码；↑↓ 选择，回车预占" if rows else "没有符合条件的号码"
        )
        if rows:
            self.table.selectRow(0)
            self.table.setFocus()

    def _choose_index(self, index: QModelIndex) -> None:
        view = self.results.payload(index.row())
        if view is not None:
            self.choose(view.number)

    def choose(self, number: str) -> None:
        numbers, actor = self.env.app.numbers, self.env.actor
        previous = self.draft.reservation
        if self._reserving or (
            previous is not None and previous.number.number == number and not self.expired
        ):
            return
        self._reserving = True
        self.complete_changed.emit()

        replacing = previous.number.number if previous is not None else None

        def work() -> Reservation:  # one transaction: the old number goes back only if
            return numbers.reserve_number(actor, number, replacing=replacing)  # the new is held

        def refused(exc: HallError) -> bool:
            self._reserving = False
            set_role(self.chosen, "error")
            self.chosen.setText(exc.text)
            self.complete_changed.emit()
            return True

        self.mutate(work, self._reserved, refused, changes=Changes.STOCK)

    def _reserved(self, r: Reservation) -> None:
        self._reserving = False
        self.expired = False
        self.draft.reservation = r
        self.draft.quote = None  # the price depends on the number
        set_role(self.chosen, "ok")
        self._tick()
        n = r.number
        if n.tier_code:
            self.terms.setText(
                f"{n.tier_name}：预存话费 {fmt.money(n.prepayment_fen)}，"
                f"最低月消费 {fmt.money(n.min_monthly_fen)}，在网 {n.lock_in_months} 个月"
            )
        else:
            self.terms.setText("普通号码：无预存、无最低消费")
        self.complete_changed.emit()

    def _tick(self) -> None:
        """The time left. An expired reservation stays in the draft (the order would be
        refused and the clerk sent back here); this page just asks for a new choice."""
        r = self.draft.reservation
        if r is None:
            return
        left = r.reserved_until - self.env.app.clock()
        minutes = int(left.total_seconds() // 60)
        if left.total_seconds() < 0:
            set_role(self.chosen, "error")
            self.chosen.setText(f"{r.number.number} 的预占已过期，请重新选号")
            if not self.expired:
                self.expired = True
                self.complete_changed.emit()
            return
        until = fmt.when(r.reserved_until)[-5:]
        self.chosen.setText(f"已预占 {r.number.number}，保留至 {until}（约 {minutes} 分钟）")

    def enter(self) -> None:
        self._tick()
        self._enter()

    def is_complete(self) -> bool:
        return self.draft.reservation is not None and not self.expired and not self._reserving

    def missing(self) -> str:
        if self._reserving:
            return "正在预占号码…"
        if self.expired:
            return "号码预占已过期：请重新选择号码并回车预占"
        return "请在列表中选择号码并按回车预占"
