"""Step 3: a contract phone's mobile number, or an installment's terms and credit check.

- 合约购机: the offer (months, subsidy, minimum plan), the clawback rule, and the customer's
  mobile numbers (``plan_choices``): only one whose plan meets the minimum and that carries no
  running commitment may be bound.
- 分期购机: the down payment (at least the offer's minimum), the months (the model's
  installment offers), the schedule live as they change (``domain.handsets.schedule``), then
  信用评估: each rule's outcome with its reason. "须主管审批" takes a supervisor's user and
  password; a refusal keeps 下一步 greyed out. Another down payment or term is another monthly
  amount: it needs its own assessment.

Skipped for a sale outright."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QItemSelection
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.clock import business_date
from hall_app.domain.approvals import INSTALLMENT_CREDIT
from hall_app.domain.enums import ApprovalState, CreditOutcome, SaleMode
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.handsets import (
    DOWN_PAYMENT_FIELD,
    RuleOutcome,
    check_down_payment,
    clawback,
    min_down_payment_fen,
)
from hall_app.domain.money import MAX_AMOUNT_CHARS, to_fen
from hall_app.domain.permissions import Permission
from hall_app.services.approvals import ApprovalRequest, ApprovalView
from hall_app.services.handsets import CreditView, PlanChoice
from ui import format as fmt
from ui.approvals.remote import REMOTE_BUTTON, RemoteApprovalDialog
from ui.handsets.draft import (
    HandsetPage,
    instalment_cost,
    offer_text,
    offers_of,
)
from ui.handsets.page_imei import price_then
from ui.keys import shortcut
from ui.ops import Changes
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.wizard.base import WizardEnv, error_label

_EPOCH = date(2000, 1, 1)  # any day: the monthly figure does not depend on it
RULE_OUTCOME = {
    RuleOutcome.PASS: "通过",
    RuleOutcome.REFER: "须主管审批",
    RuleOutcome.FAIL: "不通过",
}


def clawback_rule(subsidy_fen: int, months: int) -> str:
    """The early-termination rule in words, with its monthly figure."""
    per_month = clawback(subsidy_fen, months, _EPOCH, _EPOCH).monthly_fen
    return (
        f"提前解约规则：合约期内降档套餐、过户、携号转出或销号，须退还未履约月份的补贴，"
        f"即补贴 {fmt.money(subsidy_fen)} ÷ {months} 个月 × 剩余月数"
        f"（每月约 {fmt.money(per_month)}）。"
    )


class ContractPart(QWidget):
    def __init__(self, page: TermsPage) -> None:
        super().__init__()
        self.page = page
        self.offer = QLabel("")
        self.offer.setObjectName("contractOffer")
        self.offer.setWordWrap(True)
        self.rule = QLabel("")
        self.rule.setObjectName("clawbackRule")
        self.rule.setWordWrap(True)
        self.rows = RowsModel(["手机号码", "当前套餐", "月费", "可否绑定", "说明"])
        self.table = make_table(
            self.rows, ("139****0001", "5G 畅享 199 元套餐", "¥199.00", "不可绑定", "")
        )
        self.table.setObjectName("planChoices")
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        self.chosen = error_label("planChosen")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.offer)
        layout.addWidget(self.rule)
        layout.addWidget(QLabel("绑定客户名下的手机号码（↑↓ 选择）："))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chosen)
        self.choices: list[PlanChoice] = []
        self._loaded_for: object = None

    def enter(self) -> None:
        d = self.page.draft
        offer = d.offer
        assert offer is not None
        self.offer.setText(f"<b>{html.escape(offer.name)}</b><br>{offer_text(offer)}")
        self.rule.setText(clawback_rule(offer.subsidy_fen, offer.months))
        if self._loaded_for == offer.id:
            self.table.setFocus()
            return
        self._loaded_for = offer.id
        service, actor, customer_id = self.page.env.app.handsets, self.page.env.actor, d.customer_id
        self.page.query(
            lambda: service.plan_choices(actor, customer_id, offer.id),
            self._fill,
            label="正在读取客户的手机号码…",
        )

    def _fill(self, choices: list[PlanChoice]) -> None:
        self.choices = choices
        self.rows.set_rows(
            [
                (
                    c.number_masked,
                    c.plan_name,
                    fmt.money(c.plan_fen),
                    "可以绑定" if c.allowed else "不可绑定",
                    c.reason,
                )
                for c in choices
            ],
            choices,
        )
        if not choices:
            set_role(self.chosen, "error")
            self.chosen.setText("客户名下没有正常使用的手机号码：请先开户，或改为裸机/分期购机")
        first = next((i for i, c in enumerate(choices) if c.allowed), None)
        current = self.page.draft.plan
        index = next(
            (
                i
                for i, c in enumerate(choices)
                if current and c.subscription_id == current.subscription_id
            ),
            first,
        )
        if index is not None:
            self.table.selectRow(index)
        elif choices:
            set_role(self.chosen, "error")
            self.chosen.setText("客户名下没有可以绑定该合约的号码（原因见上表）")
        self.table.setFocus()
        self.page.complete_changed.emit()

    def _chosen(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = selected.indexes()
        d = self.page.draft
        choice = self.choices[rows[0].row()] if rows else None
        if choice is not None and not choice.allowed:
            d.plan = None
            set_role(self.chosen, "error")
            self.chosen.setText(f"{choice.number_masked} 不能绑定：{choice.reason}")
        elif choice is not None:
            d.plan = choice
            set_role(self.chosen, "ok")
            self.chosen.setText(f"合约绑定 {choice.number_masked}（{choice.plan_name}）")
        d.quote = None
        self.page.complete_changed.emit()


class InstallmentPart(QWidget):
    def __init__(self, page: TermsPage) -> None:
        super().__init__()
        self.page = page
        self.months = QComboBox()
        self.months.setObjectName("instalmentMonths")
        self.months.currentIndexChanged.connect(self._months_chosen)
        self.down = QLineEdit()
        self.down.setObjectName("downPayment")
        self.down.setMaxLength(MAX_AMOUNT_CHARS)
        self.down.setPlaceholderText("首付金额（元）")
        self.down.textEdited.connect(lambda _t: self._down_edited())
        self.down.returnPressed.connect(self.assess)
        self.down_note = QLabel("")
        self.down_note.setObjectName("downPaymentNote")
        self.down_error = error_label("downPaymentError")
        self.offer = QLabel("")
        self.offer.setObjectName("instalmentOffer")
        self.offer.setWordWrap(True)
        self.rows = RowsModel(["期数", "到期日", "本金", "手续费", "应还金额"])
        self.schedule = make_table(
            self.rows, ("第 24 期", "2028-12-31", "¥12,345.67", "¥123.45", "¥12,469.12")
        )
        self.schedule.setObjectName("scheduleTable")
        self.totals = QLabel("")
        self.totals.setObjectName("scheduleTotals")
        self.totals.setWordWrap(True)

        self.assess_button = QPushButton("信用评估 (Ctrl+R)")
        self.assess_button.setObjectName("assessCredit")
        self.assess_button.clicked.connect(self.assess)
        shortcut(page, "Ctrl+R", self.assess)
        self.verdict = error_label("creditVerdict")
        self.rules = RowsModel(["评估项目", "结果", "说明"])
        self.rule_table = make_table(self.rules, ("实名在网时长", "须主管审批", ""))
        self.rule_table.setObjectName("creditRules")
        # a reason is a sentence (the monthly sum against the limit, the age refused): it
        # wraps in its cell rather than end in "…"; six rows, measured once per assessment
        self.rule_table.setWordWrap(True)
        self.sup_box = QGroupBox("须主管审批：值班主管现场输入用户名和密码，或请求远程审批")
        self.sup_user = QLineEdit()
        self.sup_user.setObjectName("creditSupervisorUser")
        self.sup_user.setPlaceholderText("主管工号/用户名")
        self.sup_password = QLineEdit()
        self.sup_password.setObjectName("creditSupervisorPassword")
        self.sup_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sup_password.returnPressed.connect(self.approve)
        self.sup_button = QPushButton("主管审批通过")
        self.sup_button.setObjectName("creditApprove")
        self.sup_button.clicked.connect(self.approve)
        self.remote_button = QPushButton(f"{REMOTE_BUTTON}…")
        self.remote_button.setObjectName("creditRemote")
        self.remote_button.clicked.connect(self.ask_remote)
        self.remote_dialog: RemoteApprovalDialog | None = None
        self.sup_result = error_label("creditApproveResult")
        sup_form = QFormLayout()
        sup_form.addRow("主管用户名：", self.sup_user)
        pw = QHBoxLayout()
        pw.addWidget(self.sup_password, 1)
        pw.addWidget(self.sup_button)
        pw.addWidget(self.remote_button)
        sup_form.addRow("主管密码：", pw)
        sup = QVBoxLayout(self.sup_box)
        sup.addLayout(sup_form)
        sup.addWidget(self.sup_result)
        self.sup_box.hide()

        terms = QFormLayout()
        terms.addRow("分期期数：", self.months)
        down_row = QHBoxLayout()
        down_row.addWidget(self.down, 1)
        down_row.addWidget(self.down_note, 2)
        terms.addRow("首付金额：", down_row)
        left = QVBoxLayout()
        left.addWidget(self.offer)
        left.addLayout(terms)
        left.addWidget(self.down_error)
        left.addWidget(self.schedule, 1)
        left.addWidget(self.totals)
        credit = QGroupBox("信用评估")
        right = QVBoxLayout(credit)
        head = QHBoxLayout()
        head.addWidget(self.verdict, 1)
        head.addWidget(self.assess_button)
        right.addLayout(head)
        right.addWidget(self.rule_table, 1)
        right.addWidget(self.sup_box)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 1)
        layout.addWidget(credit, 1)
        self._assessing = 0

    # -- the terms -------------------------------------------------------------------------
    def enter(self) -> None:
        d = self.page.draft
        model = d.model
        assert model is not None and d.offer is not None
        self.months.blockSignals(True)
        self.months.clear()
        for o in offers_of(model, SaleMode.INSTALLMENT):
            self.months.addItem(f"{o.months} 期（{instalment_cost(o)}）", o.id)
        self.months.setCurrentIndex(max(self.months.findData(d.offer.id), 0))
        self.months.blockSignals(False)
        least = min_down_payment_fen(model.price_fen, d.offer.min_down_payment_pct)
        if d.down_payment_fen < least:
            d.down_payment_fen = least
        self.down.setText(f"{d.down_payment_fen / 100:.2f}")
        self._render()
        self._show_credit()
        self.down.setFocus()
        self.down.selectAll()

    def _months_chosen(self, index: int) -> None:
        d = self.page.draft
        wanted = self.months.itemData(index)
        offers = offers_of(d.model, SaleMode.INSTALLMENT) if d.model is not None else []
        offer = next((o for o in offers if o.id == wanted), None)
        d.offer = offer
        d.quote = None
        if offer is not None and d.model is not None:
            least = min_down_payment_fen(d.model.price_fen, offer.min_down_payment_pct)
            if d.down_payment_fen < least:
                d.down_payment_fen = least
                self.down.setText(f"{least / 100:.2f}")
        self._render()
        self._show_credit()

    def _down_edited(self) -> None:
        d = self.page.draft
        d.quote = None
        try:
            fen = to_fen(self.down.text().strip() or "0")
        except ValidationError as exc:
            d.down_payment_fen = -1
            self._fail(ValidationError(exc.message, DOWN_PAYMENT_FIELD).text)
            self._show_credit()
            return
        d.down_payment_fen = fen
        self._render()
        self._show_credit()

    def _fail(self, text: str) -> None:
        set_role(self.down_error, "error")
        self.down_error.setText(text)
        self.rows.set_rows([])
        self.totals.clear()

    def down_problem(self) -> str | None:
        d = self.page.draft
        assert d.model is not None and d.offer is not None
        if d.down_payment_fen < 0:
            return self.down_error.text() or "首付金额格式不正确"
        try:
            check_down_payment(
                d.model.price_fen,
                d.down_payment_fen,
                d.offer.min_down_payment_pct,
                months=d.offer.months,
            )
        except ValidationError as exc:
            return exc.text
        return None

    def _render(self) -> None:
        d = self.page.draft
        model, offer = d.model, d.offer
        if model is None or offer is None:
            return
        least = min_down_payment_fen(model.price_fen, offer.min_down_payment_pct)
        self.offer.setText(
            f"<b>{html.escape(model.name)}</b>　售价 {fmt.money(model.price_fen)}<br>"
            f"{offer_text(offer)}"
        )
        self.down_note.setText(
            f"最低 {fmt.money(least)}（售价的 {offer.min_down_payment_pct}%），今日收取"
        )
        problem = self.down_problem()
        if problem is not None:
            self._fail(problem)
            return
        self.down_error.clear()
        rows = d.preview_schedule(business_date(self.page.env.app.clock()))
        self.rows.set_rows(
            [
                (
                    f"第 {r.seq} 期",
                    r.due_date.isoformat(),
                    fmt.money(r.principal_fen),
                    fmt.money(r.fee_fen),
                    fmt.money(r.amount_fen),
                )
                for r in rows
            ],
            list(rows),
        )
        financed = sum(r.principal_fen for r in rows)
        fee = sum(r.fee_fen for r in rows)
        self.totals.setText(
            f"分期本金 {fmt.money(financed)}　手续费合计 {fmt.money(fee)}　"
            f"首付加分期合计 {fmt.money(d.down_payment_fen + financed + fee)}<br>"
            f"<b>每月应还 {fmt.money(rows[0].amount_fen)}</b>"
            f"（末期 {fmt.money(rows[-1].amount_fen)}，含尾差）"
        )

    # -- the credit check ------------------------------------------------------------------
    def assess(self) -> None:
        d = self.page.draft
        if d.model is None or d.offer is None or self.page.draft.mode is not SaleMode.INSTALLMENT:
            return
        problem = self.down_problem()
        if problem is not None:
            self._fail(problem)
            self.down.setFocus()
            return
        service, actor = self.page.env.app.handsets, self.page.env.actor
        customer_id, product_id, offer_id = d.customer_id, d.model.product_id, d.offer.id
        down, key = d.down_payment_fen, d.credit_key()
        self._assessing += 1
        seq = self._assessing
        set_role(self.verdict, "muted")
        self.verdict.setText("正在评估…")

        def done(view: CreditView) -> None:
            if seq != self._assessing:
                return
            d.credit, d.credit_for = view, key
            self._show_credit()
            if view.outcome is CreditOutcome.SUPERVISOR:
                self.sup_user.setFocus()

        def refused(exc: HallError) -> bool:
            if seq == self._assessing:
                d.credit = None
                set_role(self.verdict, "error")
                self.verdict.setText(exc.text)
                self.page.complete_changed.emit()
            return True

        self.page.mutate(  # the assessment is stored and audited
            lambda: service.assess_credit(actor, customer_id, product_id, offer_id, down),
            done,
            refused,
            changes=Changes.APPROVALS,  # an approval recorded or redeemed (审批 page)
            label="正在进行信用评估…",
        )

    def _show_credit(self) -> None:
        d = self.page.draft
        credit = d.credit_current
        if credit is None:
            self.rules.set_rows([])
            set_role(self.verdict, "muted")
            self.verdict.setText(
                "首付或期数已改，请重新评估"
                if d.credit is not None
                else "尚未评估：确定首付和期数后按 Ctrl+R"
            )
            self.sup_box.hide()
            self.page.complete_changed.emit()
            return
        self.rules.set_rows(
            [(r.label, RULE_OUTCOME[r.outcome], r.reason) for r in credit.rules], list(credit.rules)
        )
        self.rule_table.resizeRowsToContents()
        monthly = f"（月还款 {fmt.money(credit.monthly_fen)}）"
        if credit.outcome is CreditOutcome.APPROVED:
            set_role(self.verdict, "ok")
            self.verdict.setText(f"评估通过{monthly}")
        elif credit.outcome is CreditOutcome.REFUSED:
            set_role(self.verdict, "error")
            self.verdict.setText(refusal_text(credit))
        elif credit.approved_by:
            set_role(self.verdict, "ok")
            self.verdict.setText(f"须主管审批：已由 {credit.approved_by} 审批通过{monthly}")
        else:
            set_role(self.verdict, "warn")
            self.verdict.setText(f"须主管审批：{credit.reasons}")
        self.sup_box.setVisible(
            credit.outcome is CreditOutcome.SUPERVISOR and not credit.approved_by
        )
        self.page.complete_changed.emit()

    def approve(self) -> None:
        d = self.page.draft
        credit = d.credit_current
        if credit is None or credit.outcome is not CreditOutcome.SUPERVISOR:
            return
        auth, service, actor = (
            self.page.env.app.auth,
            self.page.env.app.handsets,
            self.page.env.actor,
        )
        user, password, assessment_id = (
            self.sup_user.text(),
            self.sup_password.text(),
            credit.assessment_id,
        )
        self.sup_password.clear()
        self._approve_with(
            lambda: service.approve_credit(
                actor, assessment_id, auth.authorize(user, password, Permission.APPROVE)
            )
        )

    def ask_remote(self) -> None:
        """The supervisor is elsewhere: the request goes to the inbox; once approved, the
        assessment is approved with it (redeemed) and the page goes on by itself."""
        d = self.page.draft
        credit = d.credit_current
        if credit is None or credit.outcome is not CreditOutcome.SUPERVISOR:
            return
        env = self.page.env
        ask = ApprovalRequest(
            kind=INSTALLMENT_CREDIT.code,
            subject_ref=str(credit.assessment_id),
            request_reason="",
            summary=f"分期月还款 {fmt.money(credit.monthly_fen)}：{credit.reasons}"[:200],
            customer_id=d.customer_id,
            amount_fen=credit.monthly_fen,
        )
        if self.remote_dialog is not None:
            self.remote_dialog.deleteLater()
        self.remote_dialog = RemoteApprovalDialog(env.app.approvals, env.actor, env.ops, ask, self)
        self.remote_dialog.decided.connect(self._remote_decided)
        self.remote_dialog.open()

    def _remote_decided(self, view: ApprovalView) -> None:
        if view.state is not ApprovalState.APPROVED:
            set_role(self.sup_result, "error")
            self.sup_result.setText(
                f"远程审批{view.state.label}" + (f"：{view.reason}" if view.reason else "")
            )
            return
        service, actor, approval_id = self.page.env.app.handsets, self.page.env.actor, view.id
        assessment_id = uuid.UUID(view.subject_ref)
        self._approve_with(
            lambda: service.approve_credit(actor, assessment_id, approval_id=approval_id)
        )

    def _approve_with(self, work: Callable[[], CreditView]) -> None:
        d = self.page.draft
        key = d.credit_for

        def ok(view: CreditView) -> None:
            if d.credit_for == key:
                d.credit = view
            set_role(self.sup_result, "ok")
            self.sup_result.setText(f"已由 {view.approved_by} 审批通过")
            self._show_credit()

        def refused(exc: HallError) -> bool:
            set_role(self.sup_result, "error")
            self.sup_result.setText(exc.text)
            return True

        self.page.mutate(  # the authorization and the approval are audited
            work,
            ok,
            refused,
            changes=Changes.NONE,  # stored and audited; no screen shows it
        )

    def is_complete(self) -> bool:
        credit = self.page.draft.credit_current
        if credit is None or self.down_problem() is not None:
            return False
        return credit.outcome is CreditOutcome.APPROVED or (
            credit.outcome is CreditOutcome.SUPERVISOR and bool(credit.approved_by)
        )

    def missing(self) -> str:
        d = self.page.draft
        problem = self.down_problem()
        if problem is not None:
            return problem
        credit = d.credit_current
        if credit is None:
            return "请先进行信用评估（Ctrl+R）"
        if credit.outcome is CreditOutcome.REFUSED:
            return f"信用评估未通过：{refusal_advice(credit)}"
        return "须值班主管输入用户名和密码审批，或请求远程审批"


def refusal_text(credit: CreditView) -> str:
    """The refused verdict: only the rules that refuse are its reasons (one a supervisor
    could approve is named apart), and what the clerk can still offer."""
    failed = [r.reason for r in credit.rules if r.outcome is RuleOutcome.FAIL] or [credit.reasons]
    referred = [r.reason for r in credit.rules if r.outcome is RuleOutcome.REFER]
    also = f"（另：{'；'.join(referred)}，须主管审批）" if referred else ""
    return f"评估未通过：{'；'.join(failed)}{also}。{refusal_advice(credit)}"


def refusal_advice(credit: CreditView) -> str:
    """Only the monthly amount over the limit: a longer term or a bigger down payment may
    pass; any other refusal: this customer cannot buy in installments now."""
    failed = {r.code for r in credit.rules if r.outcome is RuleOutcome.FAIL}
    if failed == {"monthly"}:
        return "可选更长的期数或提高首付后重新评估（Ctrl+R），或改为裸机购买"
    return "不能分期购机，可改为裸机购买"


class TermsPage(HandsetPage):
    title = "合约/分期"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.contract = ContractPart(self)
        self.installment = InstallmentPart(self)
        self.parts = QStackedWidget()
        self.parts.addWidget(self.contract)
        self.parts.addWidget(self.installment)
        layout = QVBoxLayout(self)
        layout.addWidget(self.parts)

    @property
    def part(self) -> ContractPart | InstallmentPart:
        return self.installment if self.draft.mode is SaleMode.INSTALLMENT else self.contract

    def skipped(self) -> bool:
        return self.draft.mode is SaleMode.OUTRIGHT

    def enter(self) -> None:
        part = self.part
        self.parts.setCurrentWidget(part)
        part.enter()

    def is_complete(self) -> bool:
        if self.draft.mode is SaleMode.CONTRACT:
            return self.draft.plan is not None
        return self.installment.is_complete()

    def missing(self) -> str:
        if self.draft.mode is SaleMode.CONTRACT:
            return "请选择一个可以绑定合约的手机号码"
        return self.installment.missing()

    def leave(self, proceed: Callable[[], None]) -> None:
        price_then(self, proceed)

    def credit_lost(self, message: str) -> None:
        """The sale refused the assessment (another day, another amount): assess again."""
        self.draft.credit = None
        self.installment._show_credit()
        set_role(self.installment.verdict, "error")
        self.installment.verdict.setText(message)
