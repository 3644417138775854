"""Relocation, step 1: which of the customer's active broadband or landline subscriptions
moves, and the new address with its coverage. Both are checked here, at their fields, with
the service's relocation rules: a subscription with an open work order is refused when it is
chosen, and an address that cannot take it (no landline there, a speed below the plan's)
when the address is checked, before 下一步 is offered."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from hall_app.domain.errors import HallError
from hall_app.services.fixed_line import CoverageAnswer, RelocatableView
from ui.fixed_line.page_address import AddressPage
from ui.style import set_role
from ui.wizard.base import WizardEnv

SUBSCRIPTION_FIELD = "移机业务"


class RelocationPage(AddressPage):
    title = "移机业务与新地址"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.take_button.hide()  # the customer's address is where the line is now
        self.subscription = QComboBox()
        self.subscription.setObjectName("relocateSubscription")
        self.subscription.currentIndexChanged.connect(self._chosen)
        self.current_address = QLabel("")
        self.current_address.setObjectName("relocateFrom")
        self.current_address.setWordWrap(True)
        label = QLabel("移机业务(&S)：")
        label.setBuddy(self.subscription)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.subscription, 1)
        layout = self.layout()
        assert layout is not None
        layout.insertLayout(0, row)  # type: ignore[attr-defined]
        layout.insertWidget(1, self.current_address)  # type: ignore[attr-defined]
        self.address.setPlaceholderText("新装机地址（须含小区名称），回车查询覆盖")
        self._loaded = False
        self._sub_seq = 0
        self._refusal = ""  # why the chosen subscription cannot be relocated

    def enter(self) -> None:
        if not self._loaded:
            service, actor, customer = (
                self.env.app.fixed_line,
                self.env.actor,
                self.draft.customer_id,
            )
            self.query(lambda: service.relocatable(actor, customer), self._fill)
        self.subscription.setFocus()

    def _fill(self, rows: list[RelocatableView]) -> None:
        self._loaded = True
        self.subscription.blockSignals(True)
        self.subscription.clear()
        for r in rows:
            self.subscription.addItem(f"{r.kind.label} {r.service_number}（{r.community}）", r)
        self.subscription.blockSignals(False)
        if not rows:
            set_role(self.current_address, "error")
            self.current_address.setText("该客户没有可移机的宽带或固话（须为正常使用中）")
            return
        self._chosen(0)

    def _chosen(self, _index: int) -> None:
        """A subscription was chosen: checked at once (an open work order refuses it here);
        an address already checked is checked again for it."""
        r = self.subscription.currentData()
        self.draft.relocating = None
        self.draft.quote = None
        self._refusal = ""
        self._invalidate()
        self.complete_changed.emit()
        if not isinstance(r, RelocatableView):
            return
        set_role(self.current_address, "muted")
        self.current_address.setText(f"现装机地址：{r.address}　正在检查能否移机…")
        service, actor = self.env.app.fixed_line, self.env.actor
        self._sub_seq += 1
        seq = self._sub_seq

        def ok(_none: object) -> None:
            if seq != self._sub_seq:
                return
            self.draft.relocating = r
            set_role(self.current_address, None)
            self.current_address.setText(f"现装机地址：{r.address}")
            self.complete_changed.emit()
            if self.address.text().strip():
                self.check()
            else:
                self.address.setFocus()

        def refused(exc: HallError) -> bool:
            if seq != self._sub_seq:
                return True
            if exc.field != SUBSCRIPTION_FIELD:
                return False
            self._refusal = exc.message
            set_role(self.current_address, "error")
            self.current_address.setText(f"{exc.text}（现装机地址：{r.address}）")
            self.subscription.setFocus()
            self.complete_changed.emit()
            return True

        self.query(lambda: service.check_relocatable(actor, r.subscription_id), ok, refused)

    def lookup(self, address: str) -> Callable[[], CoverageAnswer]:
        service, actor, r = self.env.app.fixed_line, self.env.actor, self.draft.relocating
        if r is None:
            return super().lookup(address)
        return lambda: service.check_relocation(actor, r.subscription_id, address)

    def check(self) -> None:
        if self.draft.relocating is None:  # refused or still being checked
            self.complete_changed.emit()
            return
        super().check()

    def _refused(self, exc: HallError) -> bool:
        if exc.field == SUBSCRIPTION_FIELD:  # it changed since it was chosen
            self.draft.relocating = None
            self._refusal = exc.message
            set_role(self.current_address, "error")
            self.current_address.setText(exc.text)
            self.result.setText("")
            self.subscription.setFocus()
            self.complete_changed.emit()
            return True
        return super()._refused(exc)

    def is_complete(self) -> bool:
        return self.draft.relocating is not None and self.draft.coverage is not None

    def missing(self) -> str:
        if self._refusal:
            return f"{self._refusal}；请选择其他业务"
        if self.draft.relocating is None:
            return "请选择要移机的宽带或固话"
        return "请输入新装机地址并回车查询覆盖（须为已覆盖且能承载该业务的地址）"
