"""The frame every counter wizard shares: the steps, the stacked pages and 取消 / 上一步 /
下一步, with the same keys everywhere: 下一步 Ctrl+Enter, 上一步 Alt+←, 取消 Esc.

A wizard names its pages, its payment page (whose 下一步 reads 收款并办结) and its done page;
``outcome()`` is what ``completed`` carries once the done page is reached, ``abandon_question``
what to ask before giving up, and ``release`` gives back what the order held."""

from __future__ import annotations

from collections.abc import Sequence

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

from ui import messages
from ui.keys import shortcut
from ui.screen import fit_to_screen
from ui.style import set_state
from ui.wizard.base import WizardEnv, WizardPage, error_label

BUSY = "正在办理，请稍候完成后再关闭"


class WizardDialog(QDialog):
    completed = Signal(object)  # the wizard's result (``outcome()``)

    def __init__(self, env: WizardEnv, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.env = env
        self.pages: list[WizardPage] = []
        self.payment_page: WizardPage | None = None
        self.done_page: WizardPage | None = None
        self.stack = QStackedWidget()
        self.steps = QHBoxLayout()
        self.step_labels: list[QLabel] = []
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
        self._moving = False

    def set_pages(self, pages: Sequence[WizardPage], payment: WizardPage, done: WizardPage) -> None:
        """Install the pages (in order) and show the first."""
        self.pages = list(pages)
        self.payment_page, self.done_page = payment, done
        for i, page in enumerate(self.pages, start=1):
            self.stack.addWidget(page)
            page.complete_changed.connect(self._update_buttons)
            label = QLabel(f"{i}. {page.title}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.step_labels.append(label)
            self.steps.addWidget(label)
        # Enter belongs to the focused field (scanner input, search, authorize), never to a
        # dialog default button.
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.go_to(self.pages[0])
        fit_to_screen(self, QSize(1100, 720), share=(0.7, 0.85))

    # -- what each wizard says ---------------------------------------------------------------
    def outcome(self) -> object | None:
        """What the order produced (None until it is done)."""
        return None

    def abandon_question(self) -> str | None:
        """The question to ask before abandoning (None: abandon without asking)."""
        return None

    def release(self) -> None:
        """Give back what the unfinished order holds (reservations), take screens down."""

    # -- moving ----------------------------------------------------------------------------
    @property
    def current(self) -> WizardPage:
        page = self.stack.currentWidget()
        assert isinstance(page, WizardPage)
        return page

    @property
    def moving(self) -> bool:
        return self._moving

    def go_to(self, page: WizardPage) -> None:
        self._moving = False
        self.stack.setCurrentWidget(page)
        index = self.pages.index(page)
        for i, label in enumerate(self.step_labels):
            set_state(label, "step", "current" if i == index else "done" if i < index else "todo")
        page.enter()
        self._buttons_last_in_tab_order()
        self._update_buttons()

    def _buttons_last_in_tab_order(self) -> None:
        """Tab from a page's last field goes to 下一步, then 上一步, and only then to 取消:
        the buttons were laid out before the pages, so they led the focus chain and Tab from
        the last field wrapped to 取消 (Esc)."""
        last = self.previousInFocusChain()
        buttons = (self.next_button, self.back_button, self.cancel_button)
        if last is None or last in buttons:
            return
        QWidget.setTabOrder(last, self.next_button)
        QWidget.setTabOrder(self.next_button, self.back_button)
        QWidget.setTabOrder(self.back_button, self.cancel_button)

    def _update_buttons(self) -> None:
        page = self.current
        finished = page is self.done_page
        self.back_button.setEnabled(self.pages.index(page) > 0 and not finished)
        self.cancel_button.setVisible(not finished)
        self.next_button.setEnabled(page.is_complete() and not self._moving)
        self.next_hint.setText("" if page.is_complete() or self._moving else page.missing())
        if page is self.payment_page:
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
                if following is self.done_page and self.outcome() is not None:
                    self.completed.emit(self.outcome())

        try:
            page.leave(proceed)
        except BaseException:
            self._moving = False
            self._update_buttons()
            raise
        # A page whose work failed stays; let the clerk try again. A page that refused at
        # once (a field it checks itself) started no work: unlocked now.
        if self.current is page and self._moving:
            if self.env.ops.busy:
                self.env.ops.busy_changed.connect(self._unlock_after_work)
            else:
                self._moving = False
                self._update_buttons()

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

    # -- abandoning --------------------------------------------------------------------------
    def reject(self) -> None:
        if self._moving:  # the order may be committing: it must finish on screen
            messages.warning(self, BUSY)
            return
        question = self.abandon_question() if self.outcome() is None else None
        if question is not None and not messages.confirm_default_no(self, question):
            return
        self.release()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._moving:
            messages.warning(self, BUSY)
            event.ignore()
            return
        self.release()
        super().closeEvent(event)
