"""Relocation, step 1: which of the customer's active broadband or landline subscriptions
moves, and the new address with its coverage (the address page's check)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from hall_app.services.fixed_line import CoverageAnswer, RelocatableView
from ui.fixed_line.page_address import AddressPage
from ui.style import set_role
from ui.wizard.base import WizardEnv


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
        row = QHBoxLayout()
        row.addWidget(QLabel("移机业务："))
        row.addWidget(self.subscription, 1)
        layout = self.layout()
        assert layout is not None
        layout.insertLayout(0, row)  # type: ignore[attr-defined]
        layout.insertWidget(1, self.current_address)  # type: ignore[attr-defined]
        self.address.setPlaceholderText("新装机地址（须含小区名称），回车查询覆盖")
        self._loaded = False

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
        self.address.setFocus()

    def _chosen(self, _index: int) -> None:
        r = self.subscription.currentData()
        self.draft.relocating = r if isinstance(r, RelocatableView) else None
        self.draft.quote = None
        if self.draft.relocating is not None:
            set_role(self.current_address, None)
            self.current_address.setText(f"现装机地址：{self.draft.relocating.address}")
        self.complete_changed.emit()

    def _show(self, c: CoverageAnswer) -> None:
        super()._show(c)
        r = self.draft.relocating
        if c.covered and r is not None and r.kind.value == "landline" and not c.landline:
            self.draft.coverage = None
            set_role(self.result, "error")
            self.result.setText(f"新地址“{c.community}”暂不能安装固话，不能移机")
            self.complete_changed.emit()

    def is_complete(self) -> bool:
        return self.draft.relocating is not None and self.draft.coverage is not None

    def missing(self) -> str:
        if self.draft.relocating is None:
            return "请选择要移机的宽带或固话"
        return "请输入新装机地址并回车查询覆盖（须为已覆盖的地址）"
