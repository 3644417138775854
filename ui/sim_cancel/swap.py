"""补换卡 on the shared wizard frame: the owner's ID and face check, the new card scanned (F9
demo scanner in demo mode) and checked against the stock as it arrives; the customer signs the
terms; the fee on the shared payment page; the done page with the receipt (F10), the
acceptance form (F11) and the fee's invoice (F12)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from hall_app.devices.id_reader import IdCardData
from hall_app.domain.enums import SuspendReason
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.payments import PaymentInput
from hall_app.domain.telecom import iccid_as_typed, parse_iccid
from hall_app.services.documents import DocumentKind
from hall_app.services.sim_stock import SimView
from hall_app.services.sim_swap import SimSwapDone, SimSwapQuote, SimSwapRequest
from ui.account.actions import AccountContext
from ui.demo import SIM_SCAN_HINT, add_sim_scan_shortcut
from ui.keys import shortcut
from ui.ops import Changes
from ui.sim_cancel.common import number_of
from ui.style import set_role
from ui.wizard import confirm, done, payment
from ui.wizard.base import DraftBase, WizardEnv, WizardPage, error_label
from ui.wizard.dialog import WizardDialog

LOST_TEXT = SuspendReason.LOST.label  # in the status text of a lost number
KEYS = {
    DocumentKind.RECEIPT: "F10",
    DocumentKind.ACCEPTANCE_FORM: "F11",
    DocumentKind.INVOICE: "F12",
}


@dataclass
class SwapDraft(DraftBase):
    subscription_id: uuid.UUID | None = None
    number: str = ""  # masked, as the record shows it
    status: str = ""
    id_verified: bool = False
    face_checked_by: str = ""
    sim: SimView | None = None
    id_card: IdCardData | None = None  # read on the reader (F8) and matched to the owner
    id_number: str = ""  # the owner's ID number typed (a lost number: the card or this)
    quote: SimSwapQuote | None = None
    done: SimSwapDone | None = None

    def request(self, payments: tuple[PaymentInput, ...]) -> SimSwapRequest:
        assert self.subscription_id is not None and self.sim is not None
        assert self.quote is not None
        return SimSwapRequest(
            subscription_id=self.subscription_id,
            iccid=self.sim.iccid,
            face_checked_by=self.face_checked_by,
            id_verified=self.id_verified,
            payments=payments,
            signature_png=self.signature_png,
            terms_text=self.quote.terms,
            ticket_id=self.ticket_id,
            id_card=self.id_card,
            id_number=self.id_number,
        )

    @property
    def lost(self) -> bool:
        """挂失停机: the swap lifts the loss report, which needs the owner's ID (read or typed)."""
        return LOST_TEXT in self.status


def _draft(env: WizardEnv) -> SwapDraft:
    d = env.draft
    assert isinstance(d, SwapDraft)
    return d


class CheckPage(WizardPage):
    """Who is asking (the owner, ID read and face checked) and which new card."""

    title = "核验与扫卡"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        d = _draft(env)
        heading = QLabel(f"号码 {d.number}　状态：{d.status}")
        heading.setObjectName("swapHeading")
        self.id_ok = QCheckBox("已核验机主本人有效身份证件（读卡或查验原件）")
        self.id_ok.setObjectName("swapIdVerified")
        self.id_ok.toggled.connect(self._changed)
        self.id_number = QLineEdit()
        self.id_number.setObjectName("swapIdNumber")
        self.id_number.setPlaceholderText("挂失中的号码：读身份证或输入机主证件号码")
        self.id_number.setMaxLength(18)
        self.id_number.textChanged.connect(self._changed)
        self.face = QLineEdit()
        self.face.setObjectName("swapFace")
        self.face.setPlaceholderText("人像比对设备编号或核验人，例如 HK-FR-200")
        self.face.setMaxLength(32)
        self.face.textChanged.connect(self._changed)
        self.iccid = QLineEdit()
        self.iccid.setObjectName("swapIccid")
        self.iccid.setPlaceholderText("扫描新卡的 ICCID 条码，或手工输入 20 位后回车")
        self.iccid.setMaxLength(24)
        self.iccid.textEdited.connect(self._typing)
        self.iccid.returnPressed.connect(self.scan)
        self.error = error_label("swapIccidError")
        self.result = QLabel("尚未扫描新卡")
        self.result.setObjectName("swapSimResult")
        form = QFormLayout()
        form.addRow("身份证件：", self.id_ok)
        if d.lost:  # lifting the loss report is a 解挂: the owner's ID number, checked
            form.addRow("证件号码：", self.id_number)
        form.addRow("人像比对：", self.face)
        form.addRow("新卡 ICCID：", self.iccid)
        form.addRow("", self.error)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.result)
        note = QLabel("原卡在办结时作废，不能再使用；挂失中的号码补卡后自动解除挂失。")
        note.setWordWrap(True)
        set_role(note, "muted")
        layout.addWidget(note)
        if env.app.id_reader is not None:  # F8 reads the owner's card and checks it is theirs
            self.read_button = QPushButton("读身份证 (F8)")
            self.read_button.setObjectName("swapReadCard")
            self.read_button.clicked.connect(self.read_card)
            shortcut(self, "F8", self.read_card)
            form.insertRow(0, "", self.read_button)
        if env.app.sim_scanner is not None:  # demo mode: F9 "scans" a free test card
            add_sim_scan_shortcut(
                self, self.iccid, env.app.sim_scanner, env.actor, self.query, self._refuse
            )
            layout.addWidget(QLabel(SIM_SCAN_HINT))
        layout.addStretch(1)
        self._seq = 0

    def read_card(self) -> None:
        reader, swaps, actor = self.env.app.id_reader, self.env.app.sim_swaps, self.env.actor
        d = _draft(self.env)
        assert reader is not None and d.subscription_id is not None
        sub, owner = d.subscription_id, d.customer_id

        def read() -> tuple[IdCardData, str]:
            card = reader.read(expect_customer_id=owner)  # the owner's card is asked for
            return card, swaps.verify_owner(actor, sub, card)

        def matched(got: tuple[IdCardData, str]) -> None:
            d.id_card = got[0]
            self.id_ok.setChecked(True)
            self.id_ok.setText(f"已读取机主 {got[1]} 的身份证并核对一致")
            self.face.setFocus()

        self.query(read, matched, label="正在读取身份证…")

    def enter(self) -> None:
        (self.id_ok if not self.id_ok.isChecked() else self.iccid).setFocus()

    def _changed(self) -> None:
        d = _draft(self.env)
        d.id_verified, d.face_checked_by = self.id_ok.isChecked(), self.face.text().strip()
        d.id_number = self.id_number.text().strip() if d.lost else ""
        self.complete_changed.emit()

    def _typing(self, text: str) -> None:
        verdict = iccid_as_typed(text)
        self.error.setText("格式正确，按回车核对库存" if verdict.complete else verdict.message)
        set_role(self.error, "error" if verdict.wrong else "muted")

    def scan(self) -> None:
        scanned = self.iccid.text().strip()
        self.iccid.selectAll()
        self._seq += 1
        seq = self._seq  # only the newest scan's answer counts
        try:
            parse_iccid(scanned)
        except ValidationError as exc:
            self._refuse(exc)
            return
        swaps, actor = self.env.app.sim_swaps, self.env.actor
        self.result.setText("正在核对库存…")
        self.query(
            lambda: swaps.check_new_sim(actor, scanned),
            lambda sim: self._accepted(sim) if seq == self._seq else None,
            lambda exc: self._refuse(exc) if seq == self._seq else True,
        )

    def _refuse(self, exc: HallError) -> bool:
        _draft(self.env).sim = None
        set_role(self.error, "error")
        self.error.setText(exc.text)
        set_role(self.result, "error")
        self.result.setText("不能使用：请换一张卡或重新扫描")
        self.complete_changed.emit()
        return True

    def _accepted(self, sim: SimView) -> None:
        _draft(self.env).sim = sim
        self.error.clear()
        set_role(self.result, "ok")
        self.result.setText(f"新卡可用：ICCID {sim.iccid}　IMSI {sim.imsi}")
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        d = _draft(self.env)
        owner = not d.lost or d.id_card is not None or bool(d.id_number)
        return d.id_verified and owner and bool(d.face_checked_by) and d.sim is not None

    def missing(self) -> str:
        d = _draft(self.env)
        if not d.id_verified:
            return "请核验机主本人身份证件并勾选（空格）"
        if d.lost and d.id_card is None and not d.id_number:
            return "挂失补卡须核验机主证件：请读取身份证（F8）或输入证件号码"
        if not d.face_checked_by:
            return "请登记人像比对的设备编号或核验人"
        return "请扫描新卡的 ICCID 并回车核对库存"

    def leave(self, proceed: Any) -> None:
        d = _draft(self.env)
        assert d.subscription_id is not None and d.sim is not None
        swaps, actor, sub, iccid = (
            self.env.app.sim_swaps,
            self.env.actor,
            d.subscription_id,
            d.sim.iccid,
        )

        def quoted(quote: SimSwapQuote) -> None:
            d.quote = quote
            proceed()

        self.query(lambda: swaps.quote_sim_swap(actor, sub, iccid), quoted)


class SwapConfirmPage(confirm.ConfirmPage):
    def summary_html(self) -> str:
        d = _draft(self.env)
        q = d.quote
        assert q is not None
        return (
            f"<h3>补换卡　号码 {q.number_masked}</h3>"
            f"<p>原卡 {q.old_iccid_masked or '（无）'} → 新卡 {q.new_iccid_masked}</p>"
            + confirm.fees_html(q.lines, q.total_fen, q.terms)
        )

    def signed_quote(self) -> object:
        return _draft(self.env).quote


class SwapPaymentPage(payment.PaymentPage):
    def total_fen(self) -> int:
        q = _draft(self.env).quote
        return q.total_fen if q else 0

    def finished(self) -> bool:
        return _draft(self.env).done is not None

    def complete(self, payments: tuple[PaymentInput, ...], done: Any, refused: Any) -> None:
        d = _draft(self.env)
        swaps, actor, req = self.env.app.sim_swaps, self.env.actor, d.request(payments)

        def swapped(result: SimSwapDone) -> None:
            d.done = result
            done()

        self.mutate(
            lambda: swaps.replace_sim(actor, req),
            swapped,
            refused,
            changes=Changes.ORDERS | Changes.CASH | Changes.QUEUE | Changes.CUSTOMER,
            label="正在办理补换卡…",
        )


class SwapDonePage(done.DonePage):
    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env, KEYS)

    def order_id(self) -> uuid.UUID | None:
        r = _draft(self.env).done
        return r.order_id if r else None

    def has_invoice(self) -> bool:
        r = _draft(self.env).done
        return r is not None and r.invoice_no is not None

    def result_html(self) -> str:
        d = _draft(self.env)
        r = d.done
        assert r is not None
        invoice = f"补换卡费电子发票 {r.invoice_no}" if r.invoice_no else "无需开票"
        return (
            f"<b>号码 {d.number} 已换新卡</b><br>受理单号 {r.order_no}　号码状态：{r.status_text}"
            f"<br>原卡 {r.old_iccid_masked or '（无）'} 已作废，"
            f"新卡 {r.new_iccid_masked} 已生效<br>"
            + done.paid_html(r.total_fen, r.payments, invoice, r.till_reopened)
        )


class SimSwapDialog(WizardDialog):
    def __init__(self, context: AccountContext) -> None:
        sub = number_of(context)
        draft = SwapDraft(customer_id=context.customer_id, ticket_id=context.ticket_id)
        draft.subscription_id, draft.number, draft.status = (
            sub.id,
            sub.number_display,
            sub.status_text,
        )
        super().__init__(WizardEnv(context.app, context.actor, context.ops, draft), context.parent)
        self.setObjectName("simSwapDialog")
        self.setWindowTitle(f"补换卡 — {context.customer_name}")
        self.check = CheckPage(self.env)
        self.confirm = SwapConfirmPage(self.env)
        self.payment = SwapPaymentPage(self.env)
        self.finish = SwapDonePage(self.env)
        self.set_pages(
            [self.check, self.confirm, self.payment, self.finish], self.payment, self.finish
        )
        self.payment.on_enter_pressed = self.next

    @property
    def draft(self) -> SwapDraft:
        return _draft(self.env)

    def outcome(self) -> object | None:
        return self.draft.done

    def abandon_question(self) -> str | None:
        return "补换卡尚未办结，确定放弃吗？" if self.draft.sim is not None else None

    def release(self) -> None:
        self.confirm.close_customer_view()


def open_sim_swap(context: AccountContext) -> SimSwapDialog:
    return SimSwapDialog(context)
