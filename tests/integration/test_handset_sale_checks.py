"""What the sale re-checks inside its own transaction (review of issue 12): the credit rules on
today's facts (sales made since the assessment count), the signature an image the contract
can print, the offer's data, and a down payment that leaves every instalment some principal.
Each refusal a Chinese message naming the field, nothing half-saved."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from hall_app.app import HallApp
from hall_app.db.models import (
    AuditEntry,
    CreditAssessment,
    Device,
    HandsetOffer,
    InstallmentContract,
    Instalment,
    Order,
    Payment,
)
from hall_app.domain.enums import ContractStatus, CreditOutcome, DeviceStatus, SaleMode
from hall_app.domain.errors import ValidationError
from hall_app.domain.handsets import CreditResult, RuleOutcome, RuleResult
from hall_app.services.actor import Actor
from hall_app.services.handsets import HandsetSaleRequest, _rules_json, referred_now
from tests.handset_fixtures import SIGNED, HandsetSetup, prepare_handsets, sale_request, signed


@pytest.fixture
def st(hall: HallApp) -> HandsetSetup:
    return prepare_handsets(hall)


def _counts(hall: HallApp) -> tuple[int, ...]:
    with hall.db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (Order, Payment, InstallmentContract, Instalment, AuditEntry)
        )


def _status(hall: HallApp, imei: str) -> DeviceStatus:
    with hall.db.read() as s:
        return s.scalars(select(Device.status).where(Device.imei == imei)).one()


def _assessed(
    hall: HallApp, clerk: Actor, req: HandsetSaleRequest
) -> tuple[HandsetSaleRequest, CreditOutcome]:
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, req.customer_id, req.product_id, req.offer_id, req.down_payment_fen
    )
    return replace(req, credit_assessment_id=credit.assessment_id), credit.outcome


def _running(hall: HallApp, st: HandsetSetup) -> int:
    with hall.db.read() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(InstallmentContract)
                .where(
                    InstallmentContract.customer_id == st.customer_id,
                    InstallmentContract.status == ContractStatus.ACTIVE.value,
                )
            )
            or 0
        )


# -- the credit rules on today's facts ---------------------------------------------------------


def test_a_third_contract_is_refused_at_the_sale_though_its_assessment_passed(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    # Three assessments made together: each sees no contract and passes. The first two sales
    # go through (2 × 386.6 a month, within 800.00); the third finds two running contracts.
    reqs = []
    for k in range(3):
        req, outcome = _assessed(
            hall, clerk, sale_request(st, SaleMode.INSTALLMENT, imei=st.imeis[k])
        )
        assert outcome is CreditOutcome.APPROVED
        reqs.append(req)
    for req in reqs[:2]:
        hall.handsets.sell(clerk, signed(hall, clerk, req))
    third = signed(hall, clerk, reqs[2])
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, third)
    assert err.value.field == "信用评估"
    assert "评估后有变化" in err.value.message and "已有 2 份在途分期合同" in err.value.message
    assert _counts(hall) == before
    assert _status(hall, st.imeis[2]) is DeviceStatus.IN_STOCK
    assert _running(hall, st) == 2
    with hall.db.read() as s:
        assert s.get_one(CreditAssessment, reqs[2].credit_assessment_id).order_id is None


def test_a_sale_since_the_assessment_makes_the_next_one_ask_a_supervisor(
    hall: HallApp, clerk: Actor, supervisor: Actor, st: HandsetSetup
) -> None:
    # The rate offer: 6 × ~660.77 a month. Alone within 800.00; two together (1,321.51) are
    # for a supervisor to decide — which the second assessment, made before the first sale,
    # never asked.
    def rate_sale(k: int) -> HandsetSaleRequest:
        return sale_request(
            st,
            SaleMode.INSTALLMENT,
            imei=st.imeis[k],
            offer_id=st.rate_offer_id,
            down_payment_fen=165_000,
        )

    first, outcome = _assessed(hall, clerk, rate_sale(0))
    assert outcome is CreditOutcome.APPROVED
    second, outcome = _assessed(hall, clerk, rate_sale(1))
    assert outcome is CreditOutcome.APPROVED
    hall.handsets.sell(clerk, signed(hall, clerk, first))
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, signed(hall, clerk, second))
    assert err.value.field == "信用评估"
    assert "须重新评估并经主管审批" in err.value.message
    assert "每月分期合计 ¥1,321.51" in err.value.message
    assert _counts(hall) == before
    assert _status(hall, st.imeis[1]) is DeviceStatus.IN_STOCK
    # Assessed again on today's facts, a supervisor approves: now it sells.
    again, outcome = _assessed(hall, clerk, rate_sale(1))
    assert outcome is CreditOutcome.SUPERVISOR
    assert again.credit_assessment_id is not None
    hall.handsets.approve_credit(clerk, again.credit_assessment_id, supervisor)
    sold = hall.handsets.sell(clerk, signed(hall, clerk, again))
    assert sold.contract_id is not None
    assert _running(hall, st) == 2


def test_a_supervisors_approval_covers_only_the_facts_approved() -> None:
    # What the supervisor saw: the tenure short and 1,100.00 a month together.
    tenure = RuleResult("tenure", "实名在网时长", RuleOutcome.REFER, "实名在网 10 天，不足 90 天")
    monthly = RuleResult("monthly", "月还款额", RuleOutcome.REFER, "每月分期合计 ¥1,100.00")
    approved = CreditAssessment(
        outcome=CreditOutcome.SUPERVISOR,
        rules_json=_rules_json([tenure, monthly]),
        approver_id=uuid.uuid4(),
    )
    same = CreditResult(CreditOutcome.SUPERVISOR, (tenure, monthly))
    assert referred_now(same, approved) == []
    more = RuleResult("monthly", "月还款额", RuleOutcome.REFER, "每月分期合计 ¥1,400.00")
    late = RuleResult("overdue", "还款记录", RuleOutcome.REFER, "曾有 1 期分期逾期后才还清")
    now = CreditResult(CreditOutcome.SUPERVISOR, (tenure, more, late))
    assert referred_now(now, approved) == [more, late]
    # Nobody approved it (an assessment that passed then): every referral now is new.
    passed = CreditAssessment(
        outcome=CreditOutcome.APPROVED, rules_json=_rules_json([]), approver_id=None
    )
    assert referred_now(same, passed) == [tenure, monthly]


# -- the signature -----------------------------------------------------------------------------


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 10), "white").save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    "signature",
    [b"\x89PNG signed on the customer screen", SIGNED[: len(SIGNED) // 2], _jpeg()],
    ids=["no-image", "truncated", "jpeg"],
)
def test_a_signature_that_is_no_png_image_is_refused(
    hall: HallApp, clerk: Actor, st: HandsetSetup, signature: bytes
) -> None:
    req, _ = _assessed(hall, clerk, sale_request(st, SaleMode.INSTALLMENT))
    req = replace(signed(hall, clerk, req), signature_png=signature)
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, req)
    assert err.value.field == "客户签名" and "重新签字" in err.value.message
    assert _counts(hall) == before
    assert _status(hall, st.imeis[0]) is DeviceStatus.IN_STOCK
    # An outright sale signed with such bytes alike; signed with the real PNG it sells.
    outright = signed(hall, clerk, sale_request(st, SaleMode.OUTRIGHT))
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, replace(outright, signature_png=signature))
    assert err.value.field == "客户签名"
    sold = hall.handsets.sell(clerk, outright)
    with hall.db.read() as s:
        assert s.get_one(Order, sold.order_id).signature_png == SIGNED


# -- the offer's data and the down payment -----------------------------------------------------


def test_bad_offer_data_refuses_the_sale_naming_the_offer(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    req, _ = _assessed(hall, clerk, sale_request(st, SaleMode.INSTALLMENT))
    req = signed(hall, clerk, req)
    with hall.db.unit_of_work() as s:  # the central catalog states a rate on the fee offer
        s.execute(
            update(HandsetOffer)
            .where(HandsetOffer.id == st.installment_offer_id)
            .values(monthly_rate=0.005)
        )
    before = _counts(hall)
    with pytest.raises(ValidationError) as err:
        hall.handsets.sell(clerk, req)
    assert err.value.field == "购机方案" and "手续费和月费率" in err.value.message
    assert _counts(hall) == before
    assert _status(hall, st.imeis[0]) is DeviceStatus.IN_STOCK
    with hall.db.unit_of_work() as s:  # a subsidy as large as the price
        s.execute(
            update(HandsetOffer)
            .where(HandsetOffer.id == st.contract_offer_id)
            .values(subsidy_fen=st.price_fen)
        )
    with pytest.raises(ValidationError) as err:
        hall.handsets.quote(clerk, sale_request(st, SaleMode.CONTRACT))
    assert err.value.field == "购机方案" and "补贴" in err.value.message


def test_a_down_payment_leaving_under_one_yuan_an_instalment_is_refused(
    hall: HallApp, clerk: Actor, st: HandsetSetup
) -> None:
    # 12 instalments need 12.00 financed: 5,487.00 down is the most on 5,499.00.
    most = st.price_fen - 1_200
    quote = hall.handsets.quote(
        clerk, sale_request(st, SaleMode.INSTALLMENT, down_payment_fen=most)
    )
    assert min(r.principal_fen for r in quote.schedule) == 100
    for down in (most + 100, st.price_fen - 5):
        req = sale_request(st, SaleMode.INSTALLMENT, down_payment_fen=down)
        with pytest.raises(ValidationError) as err:
            hall.handsets.quote(clerk, req)
        assert err.value.field == "首付金额" and "¥5,487.00" in err.value.message
        with pytest.raises(ValidationError) as err:
            hall.handsets.assess_credit(
                clerk, st.customer_id, st.product_id, st.installment_offer_id, down
            )
        assert err.value.field == "首付金额"
