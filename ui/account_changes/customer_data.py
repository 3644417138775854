"""资料变更 (menu of the customer page): a new contact or second number, a new address, or the
renewed ID card read on the reader (F9: same name and number, its validity kept with the
order). Fields left empty stay as registered."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from hall_app.devices.id_reader import IdCardData
from hall_app.services.account_changes import ADDRESS_MAX, CustomerDataChange
from ui.account.actions import AccountContext
from ui.account_changes.frame import ChangeCalls, ChangeDialog, ChangeDraft, RequestPage
from ui.keys import shortcut
from ui.wizard.base import WizardEnv


class DataPage(RequestPage):
    title = "变更内容"

    def __init__(self, env: WizardEnv, calls: ChangeCalls) -> None:
        super().__init__(env, calls)
        self.phone = QLineEdit()
        self.phone.setObjectName("dataContactPhone")
        self.phone.setPlaceholderText("新的联系电话（任一运营商的手机号码），不变则留空")
        self.alt = QLineEdit()
        self.alt.setObjectName("dataAltPhone")
        self.alt.setPlaceholderText("新的备用电话，不变则留空")
        self.address = QLineEdit()
        self.address.setObjectName("dataAddress")
        self.address.setMaxLength(ADDRESS_MAX)
        self.address.setPlaceholderText("新的地址，不变则留空（读取换领的身份证时默认用证件地址）")
        self.read_button = QPushButton("读身份证 (F9)")
        self.read_button.setObjectName("dataReadCard")
        self.read_button.clicked.connect(self.read_card)
        self.read_button.setEnabled(env.app.id_reader is not None)
        shortcut(self, "F9", self.read_card)
        self.card_label = QLabel("换领身份证后登记新的有效期：请将证件放在读卡器上，按 F9")
        self.card_label.setObjectName("dataCard")
        self.card_label.setWordWrap(True)
        for field in (self.phone, self.alt, self.address):
            field.textChanged.connect(self.complete_changed)
        form = QFormLayout()
        form.addRow("联系电话：", self.phone)
        form.addRow("备用电话：", self.alt)
        form.addRow("地址：", self.address)
        form.addRow(self.read_button, self.card_label)
        note = QLabel("姓名或证件号码变更须重新办理实名登记，不能在此修改。")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def enter(self) -> None:
        self.phone.setFocus()

    def request(self) -> CustomerDataChange | None:
        phone, alt, address = (f.text().strip() for f in (self.phone, self.alt, self.address))
        if not (phone or alt or address or self.card):
            return None
        d = self.env.draft
        return CustomerDataChange(
            d.customer_id,
            contact_phone=phone or None,
            alt_phone=alt or None,
            address=address or None,
            id_card=self.card,
            ticket_id=d.ticket_id,
        )

    def missing(self) -> str:
        return "请填写要变更的资料，或读取换领的身份证（F9）"

    def read_card(self) -> None:
        if self.read_button.isEnabled():
            super().read_card()

    def card_text(self, card: IdCardData) -> str:
        ends = "长期" if card.valid_to is None else f"{card.valid_to:%Y-%m-%d}"
        return f"{super().card_text(card)}　有效期 {card.valid_from:%Y-%m-%d} 至 {ends}"


def open_customer_data(ctx: AccountContext) -> ChangeDialog:
    service, actor = ctx.app.account_changes, ctx.actor
    calls = ChangeCalls(
        quote=lambda req: service.quote_customer_data(actor, req),
        run=lambda req: service.change_customer_data(actor, req),
    )
    draft = ChangeDraft(customer_id=ctx.customer_id, ticket_id=ctx.ticket_id)
    title = f"资料变更 — {ctx.customer_name}" if ctx.customer_name else "资料变更"
    return ChangeDialog(
        ctx.app,
        ctx.actor,
        ctx.ops,
        draft,
        lambda env: DataPage(env, calls),
        calls,
        title,
        ctx.parent,
    )
