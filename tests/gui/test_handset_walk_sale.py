"""Defects a tester found driving the 购机 wizard at 1366×768: 取消 (Esc) after a unit was
scanned asks before throwing the sale away (defaulting to 否); a refused scan names the IMEI
once and says nothing contradictory under it; Home/End in the model table; installments
default to the longest term; the credit reasons wrap instead of ending in "…"; a refusal for
the monthly amount alone advises a longer term, not a sale outright; the outright terms name
the 7-day return."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.domain.enums import CreditOutcome, SaleMode
from hall_app.domain.handsets import RuleOutcome, RuleResult
from hall_app.services.actor import Actor
from hall_app.services.handsets import CreditView
from tests.gui.conftest import ShownMessages
from tests.gui.fixed_helpers import next_page
from tests.gui.handset_helpers import adult_customer, stocked_model, unit_of_another_model
from tests.gui.test_handset_screens import pick, scan, start
from tests.gui.test_open_mobile_wizard import WAIT
from ui import messages
from ui.handsets.page_imei import NOT_TAKEN
from ui.handsets.page_terms import refusal_advice, refusal_text
from ui.ops import Operations


def test_esc_after_a_scan_asks_before_abandoning_and_defaults_to_no(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    shown: ShownMessages,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stock = stocked_model(hall)
    customer_id, _, name = adult_customer(hall)
    wizard = start(qtbot, hall, clerk, ops, customer_id, name)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)  # nothing done yet: closes without asking
    assert not wizard.isVisible() and shown.items == []

    wizard = start(qtbot, hall, clerk, ops, customer_id, name)
    pick(qtbot, wizard, stock.product_id, SaleMode.OUTRIGHT)
    next_page(qtbot, wizard)
    scan(qtbot, wizard, stock.imeis[0])
    qtbot.waitUntil(lambda: wizard.draft.device is not None, timeout=WAIT)
    next_page(qtbot, wizard)  # outright: priced, on to the customer's confirmation
    quote = wizard.draft.quote
    assert quote is not None and "7 天内" in quote.terms  # the return period is in the terms

    asked: list[tuple[str, str]] = []

    def answer_no(kind: messages.Kind, parent: object, title: str, text: str) -> bool:
        asked.append((str(kind), text))
        return False

    monkeypatch.setattr(messages, "_show", answer_no)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert wizard.isVisible()  # 否: the sale stays as it was
    [(kind, text)] = asked
    assert kind == str(messages.Kind.QUESTION_DEFAULT_NO)
    assert text.startswith("放弃本次购机？") and stock.imeis[0] in text
    assert wizard.draft.device is not None
    wizard.cancel_button.click()  # 取消 asks the same
    assert len(asked) == 2 and wizard.isVisible()

    def answer_yes(kind: messages.Kind, parent: object, title: str, text: str) -> bool:
        asked.append((str(kind), text))
        return True

    monkeypatch.setattr(messages, "_show", answer_yes)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert not wizard.isVisible()  # 是: abandoned
    assert len(asked) == 3 and asked[-1][1].startswith("放弃本次购机？")
    ops.wait_idle()


def test_a_refused_scan_names_the_imei_once_and_home_end_in_the_models(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    stock = stocked_model(hall)
    other_imei, _ = unit_of_another_model(hall, stock.product_id)
    customer_id, _, name = adult_customer(hall)
    wizard = start(qtbot, hall, clerk, ops, customer_id, name)
    models = wizard.model
    assert models.rows.rowCount() > 1
    models.table.setFocus()
    models.table.selectRow(0)
    qtbot.keyClick(models.table, Qt.Key.Key_End)
    assert models.table.currentIndex().row() == models.rows.rowCount() - 1
    assert wizard.draft.model is models._shown[-1]
    qtbot.keyClick(models.table, Qt.Key.Key_Home)
    assert models.table.currentIndex().row() == 0 and wizard.draft.model is models._shown[0]

    pick(qtbot, wizard, stock.product_id, SaleMode.OUTRIGHT)
    next_page(qtbot, wizard)
    page = wizard.imei
    scan(qtbot, wizard, other_imei)
    qtbot.waitUntil(lambda: page.result.text() == NOT_TAKEN, timeout=WAIT)
    error = page.error.text()
    assert error.startswith(f"IMEI {other_imei}") and "IMEI：IMEI" not in error
    assert page.result.text() == NOT_TAKEN and "未登记" not in page.result.text()
    ops.wait_idle()


def test_installments_default_to_the_longest_term_and_the_reasons_wrap(
    qtbot: QtBot, hall: HallApp, clerk: Actor, ops: Operations, shown: ShownMessages
) -> None:
    stock = stocked_model(hall)
    customer_id, _, name = adult_customer(hall)
    wizard = start(qtbot, hall, clerk, ops, customer_id, name)
    pick(qtbot, wizard, stock.product_id, SaleMode.INSTALLMENT)
    model = wizard.draft.model
    assert model is not None and wizard.draft.offer is not None
    longest = max(o.months for o in model.offers if o.kind.value == "installment")
    assert wizard.draft.offer.months == longest
    next_page(qtbot, wizard)
    scan(qtbot, wizard, stock.imeis[0])
    qtbot.waitUntil(lambda: wizard.draft.device is not None, timeout=WAIT)
    next_page(qtbot, wizard)
    terms = wizard.terms.installment
    assert terms.months.currentText().startswith(f"{longest} 期")
    terms.assess()
    qtbot.waitUntil(lambda: wizard.draft.credit_current is not None, timeout=WAIT)
    qtbot.wait(60)
    table = terms.rule_table
    assert table.wordWrap()
    for row in range(terms.rules.rowCount()):  # each reason whole in its (taller) row
        assert table.rowHeight(row) >= table.sizeHintForRow(row), row
    ops.wait_idle()


def _rule(code: str, outcome: RuleOutcome, reason: str) -> RuleResult:
    return RuleResult(code, code, outcome, reason)


def _credit(*rules: RuleResult) -> CreditView:
    reasons = "；".join(r.reason for r in rules if r.outcome is not RuleOutcome.PASS)
    return CreditView(uuid.uuid4(), CreditOutcome.REFUSED, rules, reasons, 239_968, None)


def test_a_refusal_names_only_what_refuses_and_advises_what_would_pass() -> None:
    tenure = _rule("tenure", RuleOutcome.REFER, "实名在网 37 天，不足 90 天")
    monthly = _rule("monthly", RuleOutcome.FAIL, "每月分期合计 ¥2,399.68，超过上限 ¥1,500.00")
    age = _rule("age", RuleOutcome.FAIL, "客户 16 周岁，未满 18 周岁不能办理分期购机")
    text = refusal_text(_credit(_rule("arrears", RuleOutcome.PASS, "无欠费"), tenure, monthly))
    head, _, rest = text.partition("（另：")
    assert head == "评估未通过：每月分期合计 ¥2,399.68，超过上限 ¥1,500.00"
    assert rest.startswith("实名在网 37 天，不足 90 天，须主管审批）")
    assert "更长的期数" in text and "提高首付" in text
    assert "更长的期数" in refusal_advice(_credit(tenure, monthly))
    refused = refusal_advice(_credit(age, monthly))  # the age refuses whatever the term
    assert "更长的期数" not in refused and "裸机购买" in refused
