"""Selling a handset in the service layer: outright, on contract and in installments (with
the credit assessment and a supervisor's approval), each one transaction on the order
pipeline, and the bad inputs: a Chinese message naming the field, nothing half-saved."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    AuditEntry,
    CreditAssessment,
    Device,
    HandsetCommitment,
    InstallmentContract,
    Instalment,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    Product,
    Subscription,
)
from hall_app.domain.enums import (
    ContractStatus,
    CreditOutcome,
    DeviceStatus,
    OrderType,
    SaleMode,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.handsets import RuleOutcome
from hall_app.services.actor import Actor
from hall_app.services.handsets import HandsetSaleRequest
from tests.conftest import FakeClock
from tests.handset_fixtures import (
    CONTRACT_SUBSIDY,
    INSTALMENT_FEE,
    PAYOFF_FEE,
    UNITS,
    HandsetSetup,
    prepare_handsets,
    sale_request,
    signed,
)

TODAY = date(2026, 11, 24)


@pytest.fixture
def st(hall: HallApp) -> HandsetSetup:
    return prepare_handsets(hall)


def _counts(hall: HallApp) -> tuple[int, ...]:
    with hall.db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (
                Order,
                Payment,
                Invoice,
                HandsetCommitment,
                InstallmentContract,
                Instalment,
                AuditEntry,
            )
        )


def _device(hall: HallApp, imei: str) -> Device:
    """The unit as stored now (a detached copy)."""
    with hall.db.read() as s:
        row = s.execute(select(Device.__table__).where(Device.imei == imei)).mappings().one()
        return Device(**dict(row))


def _approved(hall: HallApp, clerk: Actor, req: HandsetSaleRequest) -> HandsetSaleRequest:
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, req.customer_id, req.product_id, req.offer_id, req.down_payment_fen
    )
    assert credit.outcome is CreditOutcome.APPROVED, credit.reasons
    return replace(req, credit_assessment_id=credit.assessment_id)


# -- reads -----------------------------------------------------------------------------------


def test_models_list_stock_and_offers(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    models = {m.product_id: m for m in hall.handsets.models(clerk)}
    mate = models[st.product_id]
    assert mate.brand == "华为" and mate.price_fen == st.price_fen
    assert mate.in_stock == UNITS
    assert {o.id for o in mate.offers} == {
        st.contract_offer_id,
        st.installment_offer_id,
        st.rate_offer_id,
    }
    hall.handsets.sell(clerk, signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT)))
    after = {m.product_id: m for m in hall.handsets.models(clerk)}[st.product_id]
    assert after.in_stock == UNITS - 1
    assert (after.colour, after.storage, after.model) == ("雅川青", "12+256GB", "Mate 70")


def test_check_device_names_the_unit(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    view = hall.handsets.check_device(clerk, f" {st.imeis[0]} ", st.product_id)
    assert view.imei == st.imeis[0] and view.status is DeviceStatus.IN_STOCK
    assert view.name == st.product_name


def test_plan_choices_follow_the_minimum_plan(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    [choice] = [
        c
        for c in hall.handsets.plan_choices(clerk, st.customer_id, st.contract_offer_id)
        if c.subscription_id == st.subscription_id
    ]
    assert choice.allowed and "*" in choice.number_masked and choice.plan_fen == 12_900
    with hall.db.unit_of_work() as s:
        cheap = s.scalars(select(Product).where(Product.code == "5G059")).one()
        s.execute(
            update(Subscription)
            .where(Subscription.id == st.subscription_id)
            .values(product_id=cheap.id)
        )
    [choice] = [
        c
        for c in hall.handsets.plan_choices(clerk, st.customer_id, st.contract_offer_id)
        if c.subscription_id == st.subscription_id
    ]
    assert not choice.allowed and "低于合约要求的 ¥129.00" in choice.reason


# -- the three ways to sell -----------------------------------------------------------------


def test_outright_sale(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    req = signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT))
    sold = hall.handsets.sell(clerk, req)
    assert sold.total_fen == st.price_fen and sold.invoice_no
    assert sold.contract_id is None and sold.commitment_id is None
    unit = _device(hall, st.imeis[0])
    assert unit.status is DeviceStatus.SOLD and unit.order_id == sold.order_id
    assert unit.customer_id == st.customer_id and unit.warranty_from == TODAY
    assert unit.location == "客户" and unit.sold_at is not None
    with hall.db.read() as s:
        order = s.get_one(Order, sold.order_id)
        assert order.order_type is OrderType.HANDSET_SALE and order.terms_text == req.terms_text
        [line] = s.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
        assert st.imeis[0] in line.description and line.amount_fen == st.price_fen
        [inv] = s.scalars(
            select(InvoiceLine)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(Invoice.order_id == order.id)
        )
        assert "手机" in inv.item_name and float(inv.rate) == 0.13
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "order.handset_sale", AuditEntry.entity_id == str(order.id)
            )
        ).one()
        assert entry.after is not None and entry.after["imei"] == st.imeis[0]


def test_contract_sale_binds_the_number_and_quotes_the_clawback(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = signed(hall, clerk, sale_request(st, SaleMode.CONTRACT))
    assert "购机优惠 ¥1,200.00" in req.terms_text and "合约期 24 个月" in req.terms_text
    sold = hall.handsets.sell(clerk, req)
    assert sold.total_fen == st.price_fen - CONTRACT_SUBSIDY and sold.commitment_id
    with hall.db.read() as s:
        c = s.get_one(HandsetCommitment, sold.commitment_id)
        assert c.subscription_id == st.subscription_id and c.months == 24
        assert c.starts_on == TODAY and c.ends_on == date(2028, 11, 23)
        assert c.status is ContractStatus.ACTIVE and c.subsidy_fen == CONTRACT_SUBSIDY
        assert s.get_one(Order, sold.order_id).subscription_id == st.subscription_id
        lines = list(s.scalars(select(OrderLine).where(OrderLine.order_id == sold.order_id)))
        assert sorted(line.amount_fen for line in lines) == [-CONTRACT_SUBSIDY, st.price_fen]
    unit = _device(hall, st.imeis[0])
    assert unit.subscription_id == st.subscription_id
    # 1,200.00 over 24 months: ten months served, 14 left: 700.00.
    owed = hall.handsets.contract_clawback(clerk, st.subscription_id, date(2027, 9, 24))
    assert owed is not None
    assert (owed.months_left, owed.amount_fen, owed.imei) == (14, 70_000, st.imeis[0])
    assert owed.handset_name == st.product_name
    assert hall.handsets.contract_clawback(clerk, st.subscription_id, date(2028, 11, 24)) is None
    # A second contract phone on the same number is refused while this one runs.
    again = sale_request(st, SaleMode.CONTRACT, imei=st.imeis[1])
    with pytest.raises(ValidationError) as err:
        hall.handsets.quote(clerk, again)
    assert err.value.field == "合约号码" and "已有合约机在约" in str(err.value)


def test_installment_sale_writes_the_contract_and_its_schedule(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = _approved(hall, clerk, sale_request(st, SaleMode.INSTALLMENT))
    quote = hall.handsets.quote(clerk, req)
    financed = st.price_fen - 110_000
    assert quote.total_fen == 110_000 and quote.financed_fen == financed
    assert quote.fee_fen == INSTALMENT_FEE and len(quote.schedule) == 12
    assert quote.invoice_total_fen == st.price_fen  # the handset invoiced whole now
    for row in quote.schedule:
        assert f"第 {row.seq} 期 {row.due_date:%Y-%m-%d} 应还" in quote.terms
    assert "提前结清手续费 ¥50.00" in quote.terms
    sold = hall.handsets.sell(clerk, signed(hall, clerk, req))
    assert sold.total_fen == 110_000 and sold.contract_id is not None
    with hall.db.read() as s:
        contract = s.get_one(InstallmentContract, sold.contract_id)
        assert contract.status == ContractStatus.ACTIVE.value
        assert (contract.price_fen, contract.down_payment_fen, contract.financed_fen) == (
            st.price_fen,
            110_000,
            financed,
        )
        assert contract.fee_fen == INSTALMENT_FEE and contract.months == 12
        assert contract.payoff_fee_fen == PAYOFF_FEE and contract.signed_at is not None
        assert contract.credit_assessment_id == req.credit_assessment_id
        rows = list(
            s.scalars(
                select(Instalment)
                .where(Instalment.contract_id == contract.id)
                .order_by(Instalment.seq)
            )
        )
        assert [r.seq for r in rows] == list(range(1, 13))
        assert sum(r.amount_fen for r in rows) == financed + INSTALMENT_FEE
        assert sum(r.principal_fen for r in rows) == financed
        assert rows[0].due_date == date(2026, 12, 24) and rows[-1].due_date == date(2027, 11, 24)
        assert [(r.due_date, r.amount_fen) for r in rows] == [
            (q.due_date, q.amount_fen) for q in quote.schedule
        ]
        assessment = s.get_one(CreditAssessment, req.credit_assessment_id)
        assert assessment.order_id == sold.order_id
        lines = {
            line.amount_fen: line
            for line in s.scalars(select(OrderLine).where(OrderLine.order_id == sold.order_id))
        }
        assert not lines[-financed].invoiceable
    assert _device(hall, st.imeis[0]).status is DeviceStatus.SOLD


def test_a_rate_offer_charges_the_rate_on_the_financed_amount(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = sale_request(
        st, SaleMode.INSTALLMENT, offer_id=st.rate_offer_id, down_payment_fen=200_000
    )
    req = _approved(hall, clerk, req)
    quote = hall.handsets.quote(clerk, req)
    financed = st.price_fen - 200_000
    assert quote.fee_fen == round(financed * 0.005 * 6)
    assert "月费率 0.5%" in quote.terms and "不收提前结清手续费" in quote.terms
    sold = hall.handsets.sell(clerk, signed(hall, clerk, req))
    with hall.db.read() as s:
        contract = s.get_one(InstallmentContract, sold.contract_id)
        assert contract.monthly_rate is not None and float(contract.monthly_rate) == 0.005


def test_a_referred_assessment_needs_a_supervisor(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup, clock: FakeClock
) -> None:
    with hall.db.unit_of_work() as s:
        from hall_app.db.models import Customer

        s.get_one(Customer, st.customer_id).real_name_verified_at = clock() - timedelta(days=10)
    req = sale_request(st, SaleMode.INSTALLMENT)
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, st.customer_id, st.product_id, req.offer_id, req.down_payment_fen
    )
    assert credit.outcome is CreditOutcome.SUPERVISOR and not credit.cleared
    [tenure] = [r for r in credit.rules if r.code == "tenure"]
    assert tenure.outcome is RuleOutcome.REFER and "不足 90 天" in tenure.reason
    req = replace(req, credit_assessment_id=credit.assessment_id)
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, signed(hall, clerk, req))
    assert err.value.field == "信用评估" and "主管审批" in str(err.value)
    assert _counts(hall) == before
    assert _device(hall, st.imeis[0]).status is DeviceStatus.IN_STOCK
    with pytest.raises(ValidationError):
        hall.handsets.approve_credit(supervisor, credit.assessment_id, supervisor)
    view = hall.handsets.approve_credit(clerk, credit.assessment_id, supervisor)
    assert view.cleared and view.approved_by == supervisor.full_name
    with pytest.raises(ValidationError):
        hall.handsets.approve_credit(clerk, credit.assessment_id, supervisor)
    sold = hall.handsets.sell(clerk, signed(hall, clerk, req))
    assert sold.contract_id is not None
    with hall.db.read() as s:
        assert s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "credit.approve",
                AuditEntry.entity_id == str(credit.assessment_id),
            )
        ).one()


# -- bad input -------------------------------------------------------------------------------


def test_a_mistyped_imei_is_named(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    wrong = st.imeis[0][:-1] + str((int(st.imeis[0][-1]) + 1) % 10)
    for scanned in (wrong, st.imeis[0][:14], "86ABC"):
        with pytest.raises(ValidationError) as err:
            hall.handsets.check_device(clerk, scanned, st.product_id)
        assert err.value.field == "IMEI"
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, replace(sale_request(st, SaleMode.OUTRIGHT), imei=wrong))
    assert err.value.field == "IMEI" and "校验位" in str(err.value)
    assert _counts(hall) == before


def test_an_unknown_imei_is_refused(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    body = "35" + "0" * 12
    from hall_app.domain.telecom import luhn_check_digit

    with pytest.raises(ValidationError) as err:
        hall.handsets.check_device(clerk, body + luhn_check_digit(body), st.product_id)
    assert err.value.field == "IMEI" and "库存中没有" in str(err.value)


def test_another_models_imei_names_both_models(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    with pytest.raises(ValidationError) as err:
        hall.handsets.check_device(clerk, st.other_imei, st.product_id)
    assert err.value.field == "IMEI"
    assert st.other_name in str(err.value) and st.product_name in str(err.value)
    before = _counts(hall)
    with pytest.raises(ValidationError):
        hall.handsets.sell(clerk, replace(sale_request(st, SaleMode.OUTRIGHT), imei=st.other_imei))
    assert _counts(hall) == before
    assert _device(hall, st.other_imei).status is DeviceStatus.IN_STOCK


def test_a_unit_sold_is_not_sold_twice(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    req = signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT))
    hall.handsets.sell(clerk, req)
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.check_device(clerk, st.imeis[0], st.product_id)
    assert err.value.field == "IMEI" and "已售" in str(err.value)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, req)  # the same request again (a double scan, a resend)
    assert err.value.field == "IMEI"
    assert _counts(hall) == before


def test_a_faulty_unit_is_refused(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Device).where(Device.imei == st.imeis[1]).values(status=DeviceStatus.FAULTY)
        )
    with pytest.raises(ValidationError) as err:
        hall.handsets.check_device(clerk, st.imeis[1], st.product_id)
    assert "故障" in str(err.value)


def test_a_returned_unit_is_sold_again(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Device).where(Device.imei == st.imeis[1]).values(status=DeviceStatus.RETURNED)
        )
    req = signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT, imei=st.imeis[1]))
    hall.handsets.sell(clerk, req)
    assert _device(hall, st.imeis[1]).status is DeviceStatus.SOLD


def test_a_minor_gets_no_installments(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    req = sale_request(st, SaleMode.INSTALLMENT, customer_id=st.minor_id)
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, st.minor_id, st.product_id, req.offer_id, req.down_payment_fen
    )
    assert credit.outcome is CreditOutcome.REFUSED and "未满 18 周岁" in credit.reasons
    before = _counts(hall)
    req = replace(req, credit_assessment_id=credit.assessment_id)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, signed(hall, clerk, req))
    assert err.value.field == "客户年龄" and "18" in str(err.value)
    assert _counts(hall) == before
    assert _device(hall, st.imeis[0]).status is DeviceStatus.IN_STOCK


def test_refused_credit_blocks_the_sale(hall: HallApp, clerk: Actor, st: HandsetSetup) -> None:
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.id == st.subscription_id)
            .values(balance_fen=-3_250)
        )
    req = sale_request(st, SaleMode.INSTALLMENT)
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, st.customer_id, st.product_id, req.offer_id, req.down_payment_fen
    )
    assert credit.outcome is CreditOutcome.REFUSED
    assert "欠费 ¥32.50" in credit.reasons and "****" in credit.reasons
    with hall.db.read() as s:
        stored = s.get_one(CreditAssessment, credit.assessment_id)
        assert stored.outcome is CreditOutcome.REFUSED
        assert {r["code"] for r in json.loads(stored.rules_json)} >= {"age", "arrears"}
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(
            clerk, signed(hall, clerk, replace(req, credit_assessment_id=credit.assessment_id))
        )
    assert err.value.field == "信用评估" and "未通过" in str(err.value)
    assert _counts(hall) == before


def test_an_assessment_serves_one_sale_for_its_amount(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = _approved(hall, clerk, sale_request(st, SaleMode.INSTALLMENT))
    changed = replace(req, down_payment_fen=200_000)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, signed(hall, clerk, changed))
    assert err.value.field == "信用评估" and "重新评估" in str(err.value)
    hall.handsets.sell(clerk, signed(hall, clerk, req))
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, signed(hall, clerk, replace(req, imei=st.imeis[1])))
    assert "已用于另一笔订单" in str(err.value)
    assert _counts(hall) == before


def test_yesterdays_assessment_is_not_enough(
    hall: HallApp, clerk: Actor, st: HandsetSetup, clock: FakeClock
) -> None:
    req = _approved(hall, clerk, sale_request(st, SaleMode.INSTALLMENT))
    clock.now += timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, signed(hall, clerk, req))
    assert "不是今天" in str(err.value)


def test_an_installment_sale_needs_the_signed_schedule(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = signed(hall, clerk, _approved(hall, clerk, sale_request(st, SaleMode.INSTALLMENT)))
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, replace(req, signature_png=None))
    assert err.value.field == "客户确认"
    # The customer rejected the schedule at signing: nothing signed, nothing sold.
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, replace(req, terms_text="", signature_png=None))
    assert err.value.field == "客户确认"
    assert _counts(hall) == before


def test_terms_changed_after_signing_are_refused(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT))
    with hall.db.unit_of_work() as s:
        s.execute(
            update(Product).where(Product.id == st.product_id).values(price_fen=st.price_fen - 100)
        )
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, replace(req, payments=req.payments))
    assert err.value.field == "客户确认"
    assert _counts(hall) == before
    assert _device(hall, st.imeis[0]).status is DeviceStatus.IN_STOCK


def test_a_down_payment_below_the_minimum_is_named(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = sale_request(st, SaleMode.INSTALLMENT, down_payment_fen=50_000)
    assert req.offer_id is not None
    with pytest.raises(ValidationError) as err:
        hall.handsets.assess_credit(clerk, st.customer_id, st.product_id, req.offer_id, 50_000)
    assert err.value.field == "首付金额" and "¥1,100.00" in str(err.value)
    with pytest.raises(ValidationError) as err:
        hall.handsets.quote(clerk, req)
    assert err.value.field == "首付金额"


def test_an_offer_of_another_kind_or_model_is_refused(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    with pytest.raises(ValidationError) as err:
        hall.handsets.quote(
            clerk, sale_request(st, SaleMode.CONTRACT, offer_id=st.installment_offer_id)
        )
    assert err.value.field == "购机方案"
    with pytest.raises(ValidationError) as err:
        hall.handsets.quote(
            clerk, sale_request(st, SaleMode.OUTRIGHT, offer_id=st.contract_offer_id)
        )
    assert err.value.field == "购机方案"
    with pytest.raises(ValidationError) as err:
        hall.handsets.quote(clerk, sale_request(st, SaleMode.CONTRACT, subscription_id=None))
    assert err.value.field == "合约号码"


def test_payment_short_of_the_total_saves_nothing(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req = signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT))
    short = replace(req.payments[0], amount_fen=100, tendered_fen=100)
    before = _counts(hall)
    with pytest.raises(ValidationError):
        hall.handsets.sell(clerk, replace(req, payments=(short,)))
    assert _counts(hall) == before
    assert _device(hall, st.imeis[0]).status is DeviceStatus.IN_STOCK
