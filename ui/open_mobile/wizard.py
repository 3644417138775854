"""The 开户 wizard: eligibility → number → plan → SIM → customer confirmation → payment → done.

Keyboard: 下一步 Ctrl+Enter, 上一步 Alt+←, 取消 Esc. Abandoning the wizard gives the reserved
number back at once (an abandoned reservation would also expire by itself)."""

from __future__ import annotations

import logging
import uuid

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from ui import messages
from ui.keys import shortcut
from ui.open_mobile.base import OrderDraft, WizardEnv, WizardPage, error_label
from ui.open_mobile.page_confirm import ConfirmPage
from ui.open_mobile.page_done import DonePage
from ui.open_mobile.page_eligibility import EligibilityPage
from ui.open_mobile.page_number import NumberPage
from ui.open_mobile.page_payment import PaymentPage
from ui.open_mobile.page_plan import PlanPage
from ui.open_mobile.page_sim import SimPage
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.style import set_state

log = logging.getLogger("hall.ui.open_mobile")


class OpenMobileWizard(QDialog):
    completed = Signal(object)  # OpenedNumber

    def __init__(
        self,
        app: HallApp,
        actor: Actor,
        ops: Operations,
        customer_id: uuid.UUID,
        ticket_id: uuid.UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("openMobileWizard")
        self.setWindowTitle("新开移动号码（开户）")
        self.env = WizardEnv(app, actor, ops, OrderDraft(customer_id, ticket_id))
        self.eligibility = EligibilityPage(self.env)
        self.number = NumberPage(self.env)
        self.plan = PlanPage(self.env)
        self.sim = SimPage(self.env)
        self.confirm = ConfirmPage(self.env)
        self.payment = PaymentPage(self.env, lambda: self.go_to(self.number))
        self.payment.on_enter_pressed = self.next
        self.done_page = DonePage(self.env)
        self.pages: list[WizardPage] = [
            self.eligibility,
            self.number,
            self.plan,
            self.sim,
            self.confirm,
            self.payment,
            self.done_page,
        ]
        self.stack = QStackedWidget()
        self.steps = QHBoxLayout()
        self.step_labels: list[QLabel] = []
        for i, page in enumerate(self.pages, start=1):
            self.stack.addWidget(page)
            page.complete_changed.connect(self._update_buttons)
            label = QLabel(f"{i}. {page.title}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.step_labels.append(label)
            self.steps.addWidget(label)

        self.cancel_button = QPushButton("取消 (Esc)")
        self.cancel_button.setObjectName("wizardCancel")
        self.cancel_button.clicked.connect(self.reject)
        self.back_button = QPushButton("上一步 (Alt+←)")
        self.back_button.setObjectName("wizardBack")
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("下一步 (Ctrl+Enter)")
        self.next_button.setObjectName("wizardNext")
        self.next_button.clicked.connect(self.next)
        self.next_hint = error_label("wizardNextHint")  # why 下一步 is greyed out
        self.next_hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_hint, 3)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(self.steps)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut(self, key, self.next)
        shortcut(self, "Alt+Left", self.back)
        # Enter belongs to the focused field (scanner input, search, authorize), never to a
        # dialog default button.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self._moving = False
        self.go_to(self.eligibility)
        fit_to_screen(self, QSize(1100, 720), share=(0.7, 0.85))

    @property
    def draft(self) -> OrderDraft:
        return self.env.draft

    @property
    def current(self) -> WizardPage:
        page = self.stack.currentWidget()
        assert isinstance(page, WizardPage)
        return page

    def go_to(self, page: WizardPage) -> None:
        self._moving = False
        self.stack.setCurrentWidget(page)
        index = self.pages.index(page)
        for i, label in enumerate(self.step_labels):
            set_state(label, "step", "current" if i == index else "done" if i < index else "todo")
        page.enter()
        self._update_buttons()

    def _update_buttons(self) -> None:
        page = self.current
        finished = page is self.done_page
        self.back_button.setEnabled(self.pages.index(page) > 0 and not finished)
        self.cancel_button.setVisible(not finished)
        self.next_button.setEnabled(page.is_complete() and not self._moving)
        self.next_hint.setText("" if page.is_complete() or self._moving else page.missing())
        if page is self.payment:
            self.next_button.setText("收款并办结 (Ctrl+Enter)")
        elif finished:
            self.next_button.setText("完成 (Ctrl+Enter)")
        else:
            self.next_button.setText("下一步 (Ctrl+Enter)")

    def next(self) -> None:
        page = self.current
        if self._moving or not page.is_complete():
            return
        if page is self.done_page:
            self.accept()
            return
        self._moving = True
        self._update_buttons()
        following = self.pages[self.pages.index(page) + 1]

        def proceed() -> None:
            if self.current is page:
                self.go_to(following)
                if following is self.done_page and self.draft.opened is not None:
                    self.completed.emit(self.draft.opened)

        try:
            page.leave(proceed)
        except BaseException:
            self._moving = False
            self._update_buttons()
            raise
        # A page whose work failed stays; let the clerk try again.
        if self.current is page and self._moving:
            self.env.ops.busy_changed.connect(self._unlock_after_work)

    def _unlock_after_work(self, busy: int) -> None:
        if busy:
            return
        self.env.ops.busy_changed.disconnect(self._unlock_after_work)
        if self._moving:
            self._moving = False
            self._update_buttons()

    def back(self) -> None:
        index = self.pages.index(self.current)
        if index == 0 or self.current is self.done_page or self._moving:
            return
        self.go_to(self.pages[index - 1])

    # -- abandoning ------------------------------------------------------------------------------
    def reject(self) -> None:
        if self._moving:  # the order may be committing: it must finish on screen
            messages.warning(self, "正在办理，请稍候完成后再关闭")
            return
        if self.draft.opened is None and self.draft.reservation is not None:
            number = self.draft.reservation.number.number
            if not messages.confirm_default_no(
                self, f"放弃本次开户？已预占的号码 {number} 将立即释放。"
            ):
                return
        self._release()
        super().reject()

    def _release(self) -> None:
        self.confirm.close_customer_view()
        r = self.draft.reservation
        if r is None or self.draft.opened is not None:
            return
        self.draft.reservation = None
        numbers, actor, number = self.env.app.numbers, self.env.actor, r.number.number
        self.env.ops.mutate(
            lambda: numbers.release_number(actor, number),
            lambda _r: log.info("wizard abandoned; reserved number released"),
            # the number is not logged: it may be a customer's from now on; a typed refusal
            # (e.g. offline) leaves it to lapse by itself
            lambda exc: log.warning("could not release a reserved number: %s", exc.message),
            changes=Changes.STOCK,
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._moving:
            messages.warning(self, "正在办理，请稍候完成后再关闭")
            event.ignore()
            return
        self._release()
        super().closeEvent(event)
