"""The services behind the 开户 wizard's pages: the catalog, the quote and its terms, the
eligibility page, and the card limit holding when two counters race for the same person."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Counter, Customer, Subscription
from hall_app.demo.builder import DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import PaymentMethod, SubscriptionKind
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.masking import mask_phone
from hall_app.domain.money import split_tax
from hall_app.domain.payments import PaymentInput
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.catalog import allowance_text
from hall_app.services.numbers import NumberFilter
from tests.conftest import DEMO_TODAY, FakeClock
from tests.integration.test_open_mobile import _customer_without_mobile, _request, _sim


def test_plans_come_cheapest_first_with_their_promotions(hall: HallApp, clerk: Actor) -> None:
    plans = hall.catalog.list_plans(clerk)
    fees = [p.monthly_fen for p in plans]
    assert fees == sorted(fees) and len(plans) == 10
    by_code = {p.code: p for p in plans}
    assert [x.code for x in by_code["5G129"].promotions] == ["NEW5G"]
    assert by_code["5G099"].promotions == ()
    assert by_code["5G099"].data_mb == 80 * 1024 and by_code["5G099"].lock_in_months == 12
    addons = hall.catalog.list_addons(clerk)
    assert {a.code for a in addons} >= {"VAS_RING", "VAS_CID"}
    assert allowance_text(80 * 1024, "MB") == "80 GB"
    assert allowance_text(None, "分钟") == "—" and allowance_text(-1, "分钟") == "不限"


def test_the_quote_is_what_the_order_charges(hall: HallApp, clerk: Actor) -> None:
    req = _request(hall, clerk, pretty=True)
    quote = hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes)
    assert quote.lines[0].description.endswith("预存话费") and not quote.lines[0].invoiceable
    assert quote.min_monthly_fen > 0 and quote.lock_in_months >= 12
    assert "最低月消费" in quote.terms and f"在网期限 {quote.lock_in_months} 个月" in quote.terms
    assert mask_phone(req.number) in quote.terms and req.number not in quote.terms
    assert "反电信网络诈骗法" in quote.terms
    # VAT is split per charged product on what is charged: the plan net of its NEW5G discount
    assert [line.amount_fen for line in quote.lines if line.invoiceable] == [12_900, -6_450, 500]
    expected_tax = (
        split_tax(12_900 - 6_450, Decimal("0.09")).tax_fen + split_tax(500, Decimal("0.06")).tax_fen
    )
    assert quote.tax_fen == expected_tax > 0
    done = hall.orders.open_mobile_number(
        clerk,
        replace(
            req,
            payments=(PaymentInput(PaymentMethod.CASH, quote.total_fen),),
            terms_text=quote.terms,
        ),
    )
    assert done.total_fen == quote.total_fen
    assert done.invoice_tax_fen == quote.tax_fen
    assert done.invoice_total_fen == quote.invoice_amount_fen + quote.tax_fen


def test_quote_refuses_an_unknown_plan(hall: HallApp, clerk: Actor) -> None:
    number = hall.numbers.find_numbers(clerk, NumberFilter())[0].number
    with pytest.raises(ValidationError) as err:
        hall.orders.quote(clerk, number, "NOPE")
    assert err.value.field == "套餐"


def test_eligibility_page_shows_the_customer_masked(hall: HallApp, clerk: Actor) -> None:
    customer_id = _customer_without_mobile(hall)
    ctx = hall.orders.prepare_open(clerk, customer_id)
    with hall.db.read() as s:
        full = s.get_one(Customer, customer_id).id_number
    assert full is not None and ctx.id_masked != full and "*" in ctx.id_masked
    assert ctx.id_masked[:4] == full[:4] and ctx.age >= 16
    assert ctx.eligibility.allowed and not ctx.eligibility.needs_supervisor


def test_a_minor_needs_their_registered_guardian(hall: HallApp, clerk: Actor) -> None:
    with hall.db.read() as s:
        minor = s.scalars(select(Customer).where(Customer.guardian_id.is_not(None))).first()
        assert minor is not None
        minor_id, guardian_id = minor.id, minor.guardian_id
    ctx = hall.orders.prepare_open(clerk, minor_id)
    assert ctx.eligibility.needs_guardian and ctx.guardian_id == guardian_id
    assert ctx.guardian_name
    stranger = _customer_without_mobile(hall, skip=3)
    req = replace(_request(hall, clerk), customer_id=minor_id, guardian_id=stranger)
    with pytest.raises(ValidationError) as err:
        hall.orders.open_mobile_number(clerk, req)
    assert err.value.field == "监护人" and "实名登记的监护人" in err.value.text


# -- the card limit under a race ---------------------------------------------------------------
def _two_counters(hall: HallApp) -> list[Actor]:
    clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    actors = []
    with hall.db.read() as s:
        for code in ("01", "02"):
            counter = s.scalars(select(Counter).where(Counter.code == code)).one()
            actors.append(replace(clerk, counter_id=counter.id, counter_name=counter.name))
    return actors


def _race_for_the_last_card(hall: HallApp) -> list[object]:
    """Two counters open a number for the same person at the same instant, when the person
    may hold only one more. Returns what each counter got."""
    a, b = _two_counters(hall)
    customer_id = _customer_without_mobile(hall)
    requests = [
        replace(_request(hall, a, skip=0), customer_id=customer_id),
        replace(_request(hall, b, skip=1), customer_id=customer_id, iccid=_sim(hall, 1)),
    ]
    barrier = threading.Barrier(2)

    def open_one(actor: Actor, i: int) -> object:
        barrier.wait()
        try:
            return hall.orders.open_mobile_number(actor, requests[i])
        except HallError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(open_one, (a, b), (0, 1)))
    with hall.db.read() as s:
        held = s.scalar(
            select(func.count()).where(
                Subscription.customer_id == customer_id,
                Subscription.kind == SubscriptionKind.MOBILE,
            )
        )
    assert held == 1, results
    return results


def _one_card_left(url: str, clock: FakeClock) -> HallApp:
    settings = Settings.load(env={}, db_url=url)
    return build_app(
        replace(settings, rules=replace(settings.rules, max_numbers_per_id=1)), clock=clock
    )


def test_card_limit_holds_when_two_counters_race_sqlite(demo_url: str, clock: FakeClock) -> None:
    hall = _one_card_left(demo_url, clock)
    try:
        results = _race_for_the_last_card(hall)
        refused = [r for r in results if isinstance(r, HallError)]
        assert len(refused) == 1
        assert refused[0].field == "办理资格" and "上限" in refused[0].text
    finally:
        hall.close()


@pytest.mark.postgres
def test_card_limit_holds_when_two_counters_race_postgres(pg_url: str, clock: FakeClock) -> None:
    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=5, today=DEMO_TODAY, chunk=50, workers=1).build(60, 0)
    engine.dispose()
    hall = _one_card_left(pg_url, clock)
    try:
        for _ in range(3):  # a few rounds, each with a fresh customer
            results = _race_for_the_last_card(hall)
            refused = [r for r in results if isinstance(r, HallError)]
            assert len(refused) == 1 and refused[0].field == "办理资格"
            assert "上限" in refused[0].text
    finally:
        hall.close()


def test_the_signed_terms_must_match_what_is_sold(hall: HallApp, clerk: Actor) -> None:
    req = _request(hall, clerk)
    quote = hall.orders.quote(clerk, req.number, "5G099", req.addon_codes)  # shown for 5G099
    with pytest.raises(ValidationError) as err:  # …but the order says 5G129
        hall.orders.open_mobile_number(clerk, replace(req, terms_text=quote.terms))
    assert err.value.field == "客户确认"
    right = hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes)
    done = hall.orders.open_mobile_number(clerk, replace(req, terms_text=right.terms))
    with hall.db.read() as s:
        from hall_app.db.models import Order

        stored = s.get_one(Order, done.order_id).terms_text
    assert stored == right.terms and req.number not in stored  # the number is masked


def test_a_supervisor_cannot_approve_their_own_order(hall: HallApp, clerk: Actor) -> None:
    boss = hall.auth.log_in("super1", "hall1234")
    boss_at_counter = replace(boss, counter_id=clerk.counter_id, counter_name=clerk.counter_name)
    first = _request(hall, boss_at_counter)
    hall.orders.open_mobile_number(boss_at_counter, first)
    again = replace(_request(hall, boss_at_counter, skip=1), customer_id=first.customer_id)
    with pytest.raises(ValidationError) as err:
        hall.orders.open_mobile_number(boss_at_counter, replace(again, supervisor=boss))
    assert err.value.field == "主管授权" and "自己" in err.value.text
    other = hall.auth.authorize("super2", "hall1234", Permission.APPROVE)
    assert hall.orders.open_mobile_number(boss_at_counter, replace(again, supervisor=other))
