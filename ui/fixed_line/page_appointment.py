"""Step 4: the install appointment. The free slots of the address's community over the next
working days (day, weekday, window and its times, team, free places; a day counted Monday to
Friday because the holiday calendar lacks its year is marked), ↑↓ and Enter to book one; who
the installer calls. Leaving prices the order (the quote the customer signs)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from hall_app.clock import local
from hall_app.domain.errors import HallError
from hall_app.services.fixed_line import (
    CONTACT_FIELD,
    PHONE_FIELD,
    PHONE_RE,
    FixedQuote,
    clean_contact,
)
from hall_app.services.installs import SlotView
from ui.fixed_line.draft import PROVISIONAL, WEEKDAYS, FixedPage
from ui.keys import shortcut
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.wizard.base import WizardEnv, error_label


def slot_row(s: SlotView) -> tuple[str, ...]:
    return (
        s.day.isoformat(),
        f"周{WEEKDAYS[s.day.weekday()]}",
        s.window_label,
        f"{local(s.starts_at):%H:%M}–{local(s.ends_at):%H:%M}",
        s.team_name,
        f"{s.free}/{s.capacity}",
        PROVISIONAL if s.provisional else "",
    )


def phone_problem(text: str) -> str | None:
    """What is wrong with a contact phone as typed (None: it is a number the order takes).
    The rule is the service's (``PHONE_RE``); this says which part is off."""
    digits = "".join(text.split()).replace("-", "")
    if not digits:
        return "请询问客户的联系电话（客户资料中的号码已脱敏，不能代填）"
    if PHONE_RE.fullmatch(digits):
        return None
    if not digits.isdigit():
        return "联系电话只能是数字（固话可写成 0591-87654321）"
    if digits.startswith("1"):
        return f"联系电话：手机号应为 11 位，已输入 {len(digits)} 位"
    if digits.startswith("0"):
        return (
            f"联系电话：固话应为区号加号码（10–12 位，如 0591-87654321），已输入 {len(digits)} 位"
        )
    return "联系电话：11 位手机号（1 开头）或带区号的固话（0 开头，如 0591-87654321）"


def slot_text(s: SlotView) -> str:
    day, weekday, label, times, team, _free, note = slot_row(s)
    return f"{day}（{weekday}）{label} {times}　{team}{note}"


class AppointmentPage(FixedPage):
    title = "预约上门"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.contact = QLineEdit()
        self.contact.setObjectName("contactName")
        self.contact.setPlaceholderText("上门时联系谁")
        self.contact.textEdited.connect(lambda _t: self._contact_edited())
        self.phone = QLineEdit()
        self.phone.setObjectName("contactPhone")
        self.phone.setPlaceholderText("请询问客户：11 位手机号或带区号的固话（如 0591-87654321）")
        self.phone.setMaxLength(20)
        self.phone.textEdited.connect(lambda _t: self._phone_edited())
        self.phone.returnPressed.connect(self._phone_entered)
        self.contact_error = error_label("contactError")
        self.slots = RowsModel(["日期", "星期", "时段", "时间", "装维班组", "余量", "备注"])
        self.table = make_table(
            self.slots,
            ("2026-12-01", "周二", "下午", "14:00–18:00", "鼓楼装维一班", "3/4", PROVISIONAL),
        )
        self.table.setObjectName("slotTable")
        self.table.activated.connect(self._choose_index)
        self.refresh_button = QPushButton("刷新时段 (F5)")
        self.refresh_button.setObjectName("refreshSlots")
        self.refresh_button.clicked.connect(self.refresh)
        shortcut(self, "F5", self.refresh)
        self.hint = QLabel("")
        self.hint.setObjectName("slotHint")
        self.hint.setWordWrap(True)
        self.chosen = error_label("slotChosen")
        form = QFormLayout()
        form.addRow("上门联系人：", self.contact)
        form.addRow("联系电话：", self.phone)
        form.addRow("", self.contact_error)
        top = QHBoxLayout()
        top.addWidget(self.hint, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chosen)
        self._loaded_for: str | None = None
        self._seq = 0
        self._notice = ""
        self._lost = ""  # why the booked slot was dropped (it filled meanwhile)

    def _phone_entered(self) -> None:
        self.table.setFocus()

    def enter(self) -> None:
        d = self.draft
        if not self.contact.text() and (d.contact_name or d.customer_name):
            self.contact.setText(d.contact_name or d.customer_name)
        c = d.coverage
        assert c is not None
        if self._loaded_for != c.community:
            d.slot = None
            self.refresh()
        self._show_chosen()
        (self.phone if not self.phone.text() else self.table).setFocus()

    def refresh(self, notice: str = "") -> None:
        c = self.draft.coverage
        if c is None or c.community is None:
            return
        community = c.community
        self._loaded_for = community
        self._notice = notice
        slots, actor = self.env.app.slots, self.env.actor
        self._seq += 1
        seq = self._seq
        self.hint.setText("正在查询可预约时段…")
        self.query(
            lambda: slots.free_slots(actor, community),
            lambda rows: self._show(rows) if seq == self._seq else None,
        )

    def offer_again(self, message: str) -> None:
        """The booked slot filled meanwhile: the list again, the next free ones first."""
        self.draft.slot = None
        self.draft.quote = None
        self._lost = message
        self.refresh(notice=f"{message}；以下为最新的可预约时段，请重新选择")
        self.complete_changed.emit()

    def _show(self, rows: list[SlotView]) -> None:
        self.slots.set_rows([slot_row(s) for s in rows], rows)
        c = self.draft.coverage
        where = c.community if c else ""
        if rows:
            text = f"{where}：{len(rows)} 个可预约时段；↑↓ 选择，回车预约"
        else:
            text = f"{where}近期没有可预约的时段，请联系装维调度"
        if any(s.provisional for s in rows):
            text += f"。标注“{PROVISIONAL}”的日期：节假日安排尚未公布，暂按周一至周五计算"
        self.hint.setText(f"{self._notice}。{text}" if self._notice else text)
        set_role(self.hint, "error" if self._notice else None)
        if rows:
            self.table.selectRow(0)

    def _choose_index(self, index: QModelIndex) -> None:
        view = self.slots.payload(index.row())
        if isinstance(view, SlotView):
            self.draft.slot = view
            self.draft.quote = None
            self._lost = ""
            self._show_chosen()
            self.complete_changed.emit()

    def _show_chosen(self) -> None:
        s = self.draft.slot
        if s is None:  # never the slot of an address since changed
            set_role(self.chosen, "error" if self._lost else "muted")
            self.chosen.setText(self._lost or "尚未预约时段")
            return
        set_role(self.chosen, "ok")
        self.chosen.setText(f"已选：{slot_text(s)}")

    def _contact_edited(self) -> None:
        self.contact_error.clear()
        self.draft.quote = None
        self.complete_changed.emit()

    def _phone_edited(self) -> None:
        """Checked as typed: what is wrong is said at the field, not on Ctrl+Enter."""
        self.draft.quote = None
        text = self.phone.text()
        problem = phone_problem(text) if text.strip() else None
        self.contact_error.setText(problem or "")
        set_role(self.phone, "error" if problem else None)
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        return (
            self.draft.slot is not None
            and bool(self.contact.text().strip())
            and phone_problem(self.phone.text()) is None
        )

    def missing(self) -> str:
        if not self.contact.text().strip():
            return "请填写上门联系人"
        problem = phone_problem(self.phone.text())
        if problem is not None:
            return problem
        return "请在时段列表中选择一个时段并回车"

    def leave(self, proceed: Callable[[], None]) -> None:
        d = self.draft
        try:
            d.contact_name, d.contact_phone = clean_contact(self.contact.text(), self.phone.text())
        except HallError as exc:
            self.contact_error.setText(exc.text)
            (self.phone if exc.field == PHONE_FIELD else self.contact).setFocus()
            return
        app, actor = self.env.app, self.env.actor

        def priced(quote: FixedQuote) -> None:
            d.quote = quote
            proceed()

        def refused(exc: HallError) -> bool:
            if exc.field in (CONTACT_FIELD, PHONE_FIELD):
                self.contact_error.setText(exc.text)
                return True
            if exc.field == "预约时段":
                self.offer_again(exc.message)
                return True
            return False

        self.query(lambda: d.price(app, actor), priced, refused, label="正在计算费用…")
