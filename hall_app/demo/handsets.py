"""Handsets in the demo: IMEI-tracked stock (a few units faulty, a few back from a return), and
the sales of the history, real ones: outright, contract phones (合约机, a commitment bound to
a mobile subscription) and installment purchases (分期购机: the credit assessment, the contract
and its schedule, the instalments paid by their repayment orders, some overdue, one paid off).

The history's own handset sales (queue tickets of its days) get their lines here; older sales
(the installment contracts with instalments due by now, the contract phones months into their
commitment, the returns) are written here too, through the history's order writer. Three
customers are set up for the README's first start (``Showcase``).

Deterministic: its own random stream (seeded by the build's seed) for its draws and ids. Every
amount comes from ``hall_app.domain.handsets`` (the sale's lines, the schedule, the clawback's
terms, the credit rules), as a counter would have computed it.
"""

from __future__ import annotations

import itertools
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Connection

from hall_app.clock import HALL_TZ
from hall_app.db.models import (
    CreditAssessment,
    Device,
    HandsetCommitment,
    HandsetOffer,
    InstallmentContract,
    Instalment,
)
from hall_app.demo.bulk import BulkWriter
from hall_app.demo.customers import Sample
from hall_app.demo.reference import HANDSET_MODELS, Reference
from hall_app.demo.year import works_on
from hall_app.domain.enums import (
    ContractStatus,
    CreditOutcome,
    DeviceStatus,
    OfferKind,
    OrderType,
    PaymentMethod,
    ProductKind,
    Role,
    SaleMode,
)
from hall_app.domain.handsets import (
    CreditFacts,
    CreditResult,
    CreditRules,
    ScheduledInstalment,
    assess_credit,
    commitment_end,
    min_down_payment_fen,
    payoff_fen,
    price_handset,
    schedule,
)
from hall_app.domain.pricing import Item, Line, Pricing, VatClass, add_months
from hall_app.domain.repayment import (
    FEE_VAT_CODE,
    PAYOFF_VAT_CODE,
    price_instalments,
    price_payoff,
)
from hall_app.domain.telecom import luhn_check_digit

STORE = "营业厅库房"
AT_CUSTOMER = "客户"
REPAIR = "返厂维修"
STOCK_PER_PRODUCT = 10  # units in stock of each model, storage and colour
FAULTY_EVERY = 23  # about one unit in this many came faulty (back to the maker)
# Older sales, a fixed number whatever the build's size: installment contracts from 1 to 14
# months ago, contract phones up to 14 months into their commitment, outright sales returned.
OLDER_INSTALLMENT = 48
OLDER_CONTRACT = 40
RETURNS = 3
DELINQUENT = 0.15  # older installment contracts that stopped paying (overdue instalments)
PAID_LATE = 0.05  # instalments paid, but after their due day
# The README names the first customers of a build for other things (a plan, a broadband …):
# they buy handsets outright only, and the handset showcase is chosen after them.
README_FIRST = 100
RETURN_REASON = "七日内无理由退货"


def _cols(*names: str) -> tuple[str, ...]:
    return ("id", "created_at", "updated_at", *names)


DEVICE_COLUMNS = _cols(
    "product_id",
    "imei",
    "status",
    "hall_id",
    "location",
    "received_at",
    "order_id",
    "customer_id",
    "subscription_id",
    "sold_at",
    "warranty_from",
)
COMMITMENT_COLUMNS = _cols(
    "order_id",
    "customer_id",
    "subscription_id",
    "device_id",
    "offer_id",
    "subsidy_fen",
    "months",
    "min_plan_fen",
    "starts_on",
    "ends_on",
    "status",
    "ended_at",
    "clawback_fen",
)
CONTRACT_COLUMNS = _cols(
    "order_id",
    "customer_id",
    "device_id",
    "price_fen",
    "down_payment_fen",
    "financed_fen",
    "fee_fen",
    "months",
    "credit_approved",
    "credit_reasons",
    "status",
    "offer_id",
    "credit_assessment_id",
    "monthly_rate",
    "payoff_fee_fen",
    "signed_at",
    "ended_at",
)
INSTALMENT_COLUMNS = _cols(
    "contract_id",
    "seq",
    "due_date",
    "amount_fen",
    "principal_fen",
    "fee_fen",
    "paid_at",
    "paid_order_id",
)
ASSESSMENT_COLUMNS = _cols(
    "customer_id",
    "staff_id",
    "assessed_at",
    "product_id",
    "monthly_fen",
    "outcome",
    "rules_json",
    "approver_id",
    "approved_at",
    "order_id",
)


@dataclass(frozen=True)
class SaleLine:
    """An order line as the history writes it: ``vat_code`` None when not invoiced."""

    description: str
    product_id: uuid.UUID | None
    amount_fen: int  # tax-inclusive; negative for a subsidy, the financed part or a refund
    vat_code: str | None  # invoiced when it has one (a subsidy nets off its handset's charge)
    quantity: int = 1  # -1 on a return's line (its amount negative)


@dataclass(frozen=True)
class InvoiceItem:
    label: str  # *通信设备*手机
    rate: Decimal
    total_fen: int  # tax-inclusive, net of the subsidy


class OrderSink(Protocol):
    """The history's order writer: one completed order with its lines, one payment (when the
    total is not zero) and its invoice (when it has invoice items). Returns the order's id,
    its number and the invoice's id."""

    def write_order(
        self,
        *,
        kind: OrderType,
        customer: Sample,
        staff_id: uuid.UUID,
        counter_id: uuid.UUID,
        at: datetime,
        lines: Sequence[SaleLine],
        items: Sequence[InvoiceItem],
        method: PaymentMethod,
        notes: str = "",
        reference: str | None = None,
    ) -> tuple[uuid.UUID, str, uuid.UUID | None]: ...

    def reference_of(self, order_id: uuid.UUID) -> str | None: ...

    def red_letter(
        self,
        invoice_id: uuid.UUID,
        customer: Sample,
        staff_id: uuid.UUID,
        at: datetime,
        reason: str,
    ) -> None: ...

    def inline_approval(
        self,
        *,
        kind: str,
        customer: Sample,
        staff_id: uuid.UUID,
        approver_id: uuid.UUID,
        counter_id: uuid.UUID | None,
        at: datetime,
        order_id: uuid.UUID | None,
        subject_ref: str,
        summary: str,
        request_reason: str,
        amount_fen: int | None,
    ) -> None: ...


@dataclass
class _Model:
    code: str
    tac: str
    serials: int = 0


@dataclass
class PlannedSale:
    """A handset sale before its order is written: its lines and invoice items, and what
    ``HandsetBuilder.sold`` writes once the order is there."""

    mode: SaleMode
    product_id: uuid.UUID
    imei: str
    lines: tuple[SaleLine, ...]
    items: tuple[InvoiceItem, ...]
    customer: Sample
    day: date
    offer: HandsetOffer | None = None
    subscription_id: uuid.UUID | None = None
    instalments: tuple[ScheduledInstalment, ...] = ()
    down_payment_fen: int = 0
    price_fen: int = 0
    credit: CreditResult | None = None  # an installment's credit check

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


@dataclass
class Showcase:
    """The README's customers: one with overdue instalments, one with a contract phone (24
    months, 14 left: 700.00 to repay on leaving today), one adult a new installment sale suits
    (of age, long with us, no arrears, no contract)."""

    overdue: Sample | None = None
    contract: Sample | None = None
    suited: Sample | None = None

    kept: set[uuid.UUID] = field(default_factory=set)  # the README's other customers

    @property
    def ids(self) -> set[uuid.UUID]:
        chosen = {s.id for s in (self.overdue, self.contract, self.suited) if s is not None}
        return chosen | self.kept


@dataclass
class _Running:
    """The customer's installment contracts so far: how many run, their monthly amount."""

    contracts: int = 0
    monthly_fen: int = 0


class HandsetBuilder:
    def __init__(self, conn: Connection, ref: Reference, seed: int, today: date) -> None:
        self._ref = ref
        self._rng = random.Random(f"{seed}:handsets")
        self._today = today
        self._anchor = datetime.combine(today, dtime(7, 30), HALL_TZ).astimezone(UTC)
        handsets = ref.products[ProductKind.HANDSET]
        self._products = handsets
        self._by_id = {p.id: p for p in handsets}
        self._cum_weights = list(  # the cheaper ones sell more often
            itertools.accumulate(1.0 / (p.price_fen / 100_000 + 1) for p in handsets)
        )
        vat = ref.vat["handset"]
        self._vat = VatClass(vat.id, vat.invoice_label, Decimal(vat.rate))
        by_model = {code: _Model(code, tac) for code, _, _, tac, _, _ in HANDSET_MODELS}
        # A product's model: its code up to the variant's tags (the first variant is the model).
        self._model_of = {
            p.id: by_model[next(c for c in by_model if p.code == c or p.code.startswith(c + "_"))]
            for p in handsets
        }
        self._offers: dict[uuid.UUID, list[HandsetOffer]] = {}
        for offer in ref.offers:
            self._offers.setdefault(offer.product_id, []).append(offer)
        self._plan_fee = {p.id: p.price_fen for p in ref.products[ProductKind.MOBILE_PLAN]}
        self._staff = [s for s in ref.staff if s.role in (Role.CLERK, Role.SUPERVISOR)]
        self._supervisors = [s for s in ref.staff if s.role is Role.SUPERVISOR]
        self._counter_of = {s.id: s.default_counter_id or ref.counters[0].id for s in self._staff}
        self._bound: set[uuid.UUID] = set()  # subscriptions bound to a running commitment
        self.showcase = Showcase()
        self._running: dict[uuid.UUID, _Running] = {}  # by customer
        self._w_device = BulkWriter(conn, Device, DEVICE_COLUMNS)
        self._w_commit = BulkWriter(conn, HandsetCommitment, COMMITMENT_COLUMNS)
        self._w_assess = BulkWriter(conn, CreditAssessment, ASSESSMENT_COLUMNS)
        self._w_contract = BulkWriter(conn, InstallmentContract, CONTRACT_COLUMNS)
        self._w_instalment = BulkWriter(conn, Instalment, INSTALMENT_COLUMNS)
        self._rows: dict[BulkWriter, list[tuple[Any, ...]]] = {}

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def _add(self, writer: BulkWriter, row: tuple[Any, ...]) -> None:
        self._rows.setdefault(writer, []).append(row)

    def flush(self) -> None:
        """After the history's orders: devices, then what points at them and at the orders."""
        for writer in (
            self._w_device,
            self._w_commit,
            self._w_assess,
            self._w_contract,
            self._w_instalment,
        ):
            writer.write(self._rows.pop(writer, []))
        assert not self._rows

    @property
    def devices(self) -> int:
        return self._w_device.count

    @property
    def contracts(self) -> int:
        return self._w_contract.count

    @property
    def commitments(self) -> int:
        return self._w_commit.count

    # -- stock ----------------------------------------------------------------------------------
    def _imei(self, product_id: uuid.UUID) -> str:
        """The model's next IMEI: its TAC, a 6-digit serial, the Luhn check digit."""
        model = self._model_of[product_id]
        model.serials += 1
        body = f"{model.tac}{(model.serials * 7919 + 104_729) % 1_000_000:06d}"
        return body + luhn_check_digit(body)

    def stock(self) -> int:
        """Units in the hall's store room, received in two deliveries; a few faulty ones wait
        to go back to the maker (returned units come from ``returns``)."""
        rng = self._rng
        hall_id = self._ref.hall.id
        made = 0
        for product in self._products:
            for n in range(STOCK_PER_PRODUCT):
                received = self._anchor - timedelta(
                    days=3 if n % 2 else 17, hours=rng.randint(0, 6)
                )
                faulty = rng.randrange(FAULTY_EVERY) == 0
                self._add(
                    self._w_device,
                    (
                        self.uid(),
                        received,
                        received,
                        product.id,
                        self._imei(product.id),
                        DeviceStatus.FAULTY if faulty else DeviceStatus.IN_STOCK,
                        hall_id,
                        REPAIR if faulty else STORE,
                        received,
                        None,
                        None,
                        None,
                        None,
                        None,
                    ),
                )
                made += 1
        self.flush()
        return made

    # -- the README's customers -----------------------------------------------------------------
    def _adult(self, s: Sample, day: date, low: int = 18, high: int = 200) -> bool:
        if s.birth_date is None:
            return False
        age = (
            day.year
            - s.birth_date.year
            - ((day.month, day.day) < (s.birth_date.month, s.birth_date.day))
        )
        return low <= age <= high

    def choose_showcase(self, samples: Sequence[Sample]) -> Showcase:
        """The first fitting customers in build order (the first thousand are the same
        whatever the build's size, below 50,000 customers)."""
        today = self._today
        show = self.showcase

        def settled(s: Sample) -> bool:
            return (
                self._adult(s, today, 25, 55)
                and not s.arrears
                and not s.vip
                and s.mobile_active
                and s.registered_at is not None
                and (self._anchor - s.registered_at).days >= 400
            )

        big = len(samples) > 2 * README_FIRST  # a small build has no README to keep to
        show.kept = {s.id for s in samples[:README_FIRST]} if big else set()
        for s in samples[README_FIRST:] if big else samples:
            if not settled(s):
                continue
            if show.overdue is None:
                show.overdue = s
            elif show.contract is None:
                if s.mobile_plan_id is not None and self._plan_fee[s.mobile_plan_id] >= 12_900:
                    show.contract = s
            elif show.suited is None:
                show.suited = s
                break
        return show

    # -- one sale -------------------------------------------------------------------------------
    def _product(self) -> uuid.UUID:
        """A handset as they sell: the cheaper ones more often."""
        return self._rng.choices(self._products, cum_weights=self._cum_weights)[0].id

    def _contract_offer(
        self, product_id: uuid.UUID, customer: Sample, months: int | None = None
    ) -> HandsetOffer | None:
        if customer.mobile_plan_id is None or not customer.mobile_active:
            return None
        if customer.mobile_id in self._bound:
            return None
        fee = self._plan_fee[customer.mobile_plan_id]
        fitting = [
            o
            for o in self._offers.get(product_id, [])
            if o.kind is OfferKind.CONTRACT
            and o.min_plan_fen <= fee
            and (months is None or o.months == months)
        ]
        return self._rng.choice(fitting) if fitting else None

    def _installment_offer(self, product_id: uuid.UUID, months: int | None = None) -> HandsetOffer:
        offers = [
            o
            for o in self._offers[product_id]
            if o.kind is OfferKind.INSTALLMENT and (months is None or o.months == months)
        ]
        return self._rng.choice(offers)

    def _item(self, product_id: uuid.UUID) -> Item:
        p = self._by_id[product_id]
        return Item(p.id, p.name, p.price_fen, self._vat)

    def plan(
        self,
        customer: Sample,
        day: date,
        *,
        mode: SaleMode | None = None,
        product_id: uuid.UUID | None = None,
        months: int | None = None,
        extra_down_yuan: int | None = None,
    ) -> PlannedSale:
        """A sale to ``customer`` on ``day``: outright, on contract when the customer's mobile
        plan meets an offer's minimum, or in installments when of age, with no arrears and the
        credit check passes (a supervisor approving one that needed it)."""
        rng = self._rng
        product_id = product_id or self._product()
        if mode is None:
            r = rng.random()
            mode = SaleMode.OUTRIGHT
            if customer.id in self.showcase.ids:
                pass  # the README's customers keep the story it tells
            elif r < 0.3:
                mode = SaleMode.CONTRACT
            elif r < 0.6 and self._adult(customer, day) and not customer.arrears:
                mode = SaleMode.INSTALLMENT
        item = self._item(product_id)
        imei = self._imei(product_id)
        if mode is SaleMode.CONTRACT:
            offer = self._contract_offer(product_id, customer, months)
            if offer is not None:
                pricing = price_handset(
                    item,
                    imei,
                    SaleMode.CONTRACT,
                    offer_name=offer.name,
                    subsidy_fen=offer.subsidy_fen,
                    commitment_months=offer.months,
                    min_plan_fen=offer.min_plan_fen,
                )
                return self._planned(
                    mode,
                    customer,
                    day,
                    item,
                    imei,
                    pricing,
                    offer=offer,
                    subscription_id=customer.mobile_id,
                )
            mode = SaleMode.OUTRIGHT
        if mode is SaleMode.INSTALLMENT:
            offer = self._installment_offer(product_id, months)
            least = min_down_payment_fen(item.monthly_fen, offer.min_down_payment_pct)
            extra = (
                rng.choice((0, 0, 100, 200, 500)) if extra_down_yuan is None else extra_down_yuan
            )
            down = min(least + extra * 100, item.monthly_fen - 10_000)
            rows = schedule(
                item.monthly_fen - down,
                offer.months,
                day,
                fee_fen=offer.fee_fen,
                monthly_rate=offer.monthly_rate,
            )
            credit = self._assess(customer, day, rows[0].amount_fen)
            if credit is not None:
                pricing = price_handset(item, imei, SaleMode.INSTALLMENT, instalments=rows)
                return self._planned(
                    mode,
                    customer,
                    day,
                    item,
                    imei,
                    pricing,
                    offer=offer,
                    instalments=rows,
                    down=down,
                    credit=credit,
                )
        pricing = price_handset(item, imei, SaleMode.OUTRIGHT)
        return self._planned(SaleMode.OUTRIGHT, customer, day, item, imei, pricing)

    def _planned(
        self,
        mode: SaleMode,
        customer: Sample,
        day: date,
        item: Item,
        imei: str,
        pricing: Pricing,
        *,
        offer: HandsetOffer | None = None,
        subscription_id: uuid.UUID | None = None,
        instalments: tuple[ScheduledInstalment, ...] = (),
        down: int = 0,
        credit: CreditResult | None = None,
    ) -> PlannedSale:
        lines = tuple(
            SaleLine(
                line.description,
                line.product_id,
                line.amount_fen,
                "handset" if line.invoiceable else None,
            )
            for line in pricing.lines
        )
        items = tuple(InvoiceItem(i.label, i.rate, i.total_fen) for i in pricing.invoice_items)
        if mode is SaleMode.CONTRACT:
            assert subscription_id is not None
            self._bound.add(subscription_id)
        return PlannedSale(
            mode=mode,
            product_id=item.product_id,
            imei=imei,
            lines=lines,
            items=items,
            customer=customer,
            day=day,
            offer=offer,
            subscription_id=subscription_id,
            instalments=instalments,
            down_payment_fen=down,
            price_fen=item.monthly_fen,
            credit=credit,
        )

    def _assess(self, customer: Sample, day: date, monthly_fen: int) -> CreditResult | None:
        """The credit check of an installment sale, on what the counter would gather; None
        when refused (the customer then buys outright)."""
        assert customer.birth_date is not None and customer.registered_at is not None
        born = customer.birth_date
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        running = self._running.setdefault(customer.id, _Running())
        facts = CreditFacts(
            age=age,
            tenure_days=(day - customer.registered_at.astimezone(HALL_TZ).date()).days,
            arrears=(),  # the customers buying in installments have none
            active_contracts=running.contracts,
            overdue_now=0,
            paid_late=0,
            existing_monthly_fen=running.monthly_fen,
            monthly_fen=monthly_fen,
        )
        result = assess_credit(facts, CreditRules())
        if result.outcome is CreditOutcome.REFUSED:
            return None
        running.contracts += 1
        running.monthly_fen += monthly_fen
        return result

    # -- after the order is written -------------------------------------------------------------
    def sold(
        self,
        sale: PlannedSale,
        order_id: uuid.UUID,
        order_no: str,
        at: datetime,
        staff_id: uuid.UUID,
        sink: OrderSink | None = None,
        *,
        delinquent_from: int | None = None,
        paid_off_after: int | None = None,
    ) -> uuid.UUID:
        """The unit sold to the customer (warranty from the day of sale), and the contract
        phone's commitment or the installment contract with its schedule: the instalments due
        by now paid by their repayment orders (through ``sink``), except from
        ``delinquent_from`` on (overdue); ``paid_off_after``: paid off after that many.
        Returns the device's id."""
        customer = sale.customer
        device_id = self.uid()
        received = at - timedelta(days=self._rng.randint(5, 40))
        self._add(
            self._w_device,
            (
                device_id,
                received,
                at,
                sale.product_id,
                sale.imei,
                DeviceStatus.SOLD,
                self._ref.hall.id,
                AT_CUSTOMER,
                received,
                order_id,
                customer.id,
                sale.subscription_id,
                at,
                sale.day,
            ),
        )
        if sale.mode is SaleMode.CONTRACT:
            assert sale.offer is not None and sale.subscription_id is not None
            ends = commitment_end(sale.day, sale.offer.months)
            served = ends < self._today
            if served:
                self._bound.discard(sale.subscription_id)
            self._add(
                self._w_commit,
                (
                    self.uid(),
                    at,
                    at,
                    order_id,
                    customer.id,
                    sale.subscription_id,
                    device_id,
                    sale.offer.id,
                    sale.offer.subsidy_fen,
                    sale.offer.months,
                    sale.offer.min_plan_fen,
                    sale.day,
                    ends,
                    ContractStatus.COMPLETED if served else ContractStatus.ACTIVE,
                    datetime.combine(ends + timedelta(days=1), dtime(0), HALL_TZ).astimezone(UTC)
                    if served
                    else None,
                    0,
                ),
            )
        elif sale.mode is SaleMode.INSTALLMENT:
            self._contract(
                sale,
                order_id,
                order_no,
                device_id,
                at,
                staff_id,
                sink,
                delinquent_from,
                paid_off_after,
            )
        return device_id

    def _contract(
        self,
        sale: PlannedSale,
        order_id: uuid.UUID,
        order_no: str,
        device_id: uuid.UUID,
        at: datetime,
        staff_id: uuid.UUID,
        sink: OrderSink | None,
        delinquent_from: int | None,
        paid_off_after: int | None,
    ) -> None:
        rng = self._rng
        offer = sale.offer
        credit = sale.credit
        assert offer is not None and credit is not None
        assessed = at - timedelta(minutes=rng.randint(6, 15))
        approver = approved = None
        if credit.outcome is CreditOutcome.SUPERVISOR:  # approved by the supervisor on duty
            approver = self._supervisors[rng.randrange(len(self._supervisors))].id
            if approver == staff_id:  # four-eyes: never the clerk themself
                approver = next(s.id for s in self._supervisors if s.id != staff_id)
            approved = assessed + timedelta(minutes=3)
        assessment_id = self.uid()
        if approver is not None and approved is not None and sink is not None:
            sink.inline_approval(
                kind="installment_credit",
                customer=sale.customer,
                staff_id=staff_id,
                approver_id=approver,
                counter_id=None,
                at=approved,
                order_id=order_id,
                subject_ref=str(assessment_id),
                summary=f"分期信用评估 月供 {sale.instalments[0].amount_fen / 100:.2f} 元",
                request_reason="信用评估需主管审批",
                amount_fen=sale.instalments[0].amount_fen,
            )
        rules = [
            {"code": r.code, "label": r.label, "outcome": r.outcome.value, "reason": r.reason}
            for r in credit.rules
        ]
        self._add(
            self._w_assess,
            (
                assessment_id,
                assessed,
                approved or assessed,
                sale.customer.id,
                staff_id,
                assessed,
                sale.product_id,
                sale.instalments[0].amount_fen,
                credit.outcome,
                json.dumps(rules, ensure_ascii=False),
                approver,
                approved,
                order_id,
            ),
        )
        contract_id = self.uid()
        rows = sale.instalments
        financed = sum(i.principal_fen for i in rows)
        fee = sum(i.fee_fen for i in rows)
        months = len(rows)
        paid: dict[int, tuple[datetime, uuid.UUID]] = {}
        ended: datetime | None = None
        status = ContractStatus.ACTIVE
        for inst in rows:
            if inst.due_date >= self._today:
                break
            if delinquent_from is not None and inst.seq >= delinquent_from:
                continue
            if paid_off_after is not None and inst.seq > paid_off_after:
                break
            late = rng.random() < PAID_LATE
            day = inst.due_date + timedelta(days=rng.randint(3, 12) if late else -rng.randint(0, 6))
            day = min(max(day, sale.day + timedelta(days=1)), self._today - timedelta(days=1))
            when = self._moment(day)
            # the principal on the receipt, the fee invoiced (as InstallmentService does)
            priced = price_instalments([inst], months, order_no, sale.product_id, self._fee_vat)
            assert sink is not None
            oid, _, _ = self._repayment(sink, sale.customer, when, priced)
            paid[inst.seq] = (when, oid)
        if paid_off_after is not None and len(paid) == paid_off_after < months:
            unpaid = [i for i in rows if i.seq not in paid]
            last = max((w for w, _ in paid.values()), default=at)
            when = self._moment(
                min(
                    last.astimezone(HALL_TZ).date() + timedelta(days=9),
                    self._today - timedelta(days=1),
                )
            )
            on = when.astimezone(HALL_TZ).date()
            priced = price_payoff(
                unpaid,
                months,
                order_no,
                offer.payoff_fee_fen,
                sale.product_id,
                today=on,
                fee_vat=self._fee_vat,
                payoff_vat=self._payoff_vat,
            )
            assert sink is not None
            oid, _, _ = self._repayment(sink, sale.customer, when, priced)
            assert priced.total_fen == payoff_fen(unpaid, offer.payoff_fee_fen, today=on)
            for inst in unpaid:
                paid[inst.seq] = (when, oid)
            status, ended = ContractStatus.PAID_OFF, when
        elif len(paid) == months:
            status, ended = ContractStatus.COMPLETED, max(w for w, _ in paid.values())
        if status is not ContractStatus.ACTIVE:
            running = self._running[sale.customer.id]
            running.contracts -= 1
            running.monthly_fen -= rows[0].amount_fen
        rate = offer.monthly_rate if offer.monthly_rate else None
        self._add(
            self._w_contract,
            (
                contract_id,
                at,
                ended or at,
                order_id,
                sale.customer.id,
                device_id,
                sale.price_fen,
                sale.down_payment_fen,
                financed,
                fee,
                months,
                True,
                credit.reasons,
                status.value,
                offer.id,
                assessment_id,
                rate,
                offer.payoff_fee_fen,
                at,
                ended,
            ),
        )
        for inst in rows:
            paid_at: datetime | None = None
            paid_by: uuid.UUID | None = None
            if inst.seq in paid:
                paid_at, paid_by = paid[inst.seq]
            self._add(
                self._w_instalment,
                (
                    self.uid(),
                    at,
                    paid_at or at,
                    contract_id,
                    inst.seq,
                    inst.due_date,
                    inst.amount_fen,
                    inst.principal_fen,
                    inst.fee_fen,
                    paid_at,
                    paid_by,
                ),
            )

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day, dtime(9), HALL_TZ).astimezone(UTC) + timedelta(
            minutes=self._rng.randrange(8 * 60)
        )

    def _method(self) -> PaymentMethod:
        """Older payments are by wallet or card (within the history's days they go into the
        clerk's till of the day)."""
        return PaymentMethod.QR_WALLET if self._rng.random() < 0.7 else PaymentMethod.BANK_CARD

    def _clerk(self, day: date | None = None) -> tuple[uuid.UUID, uuid.UUID]:
        """A clerk or supervisor, and their counter; on ``day``, one who works that day (so
        the order goes into their till)."""
        staff = [s for s in self._staff if day is None or works_on(s.username, day)]
        chosen = staff[self._rng.randrange(len(staff))]
        return chosen.id, self._counter_of[chosen.id]

    @property
    def _fee_vat(self) -> VatClass:
        vat = self._ref.vat[FEE_VAT_CODE]
        return VatClass(vat.id, vat.invoice_label, Decimal(vat.rate))

    @property
    def _payoff_vat(self) -> VatClass:
        vat = self._ref.vat[PAYOFF_VAT_CODE]
        return VatClass(vat.id, vat.invoice_label, Decimal(vat.rate))

    def _repayment(
        self, sink: OrderSink, customer: Sample, at: datetime, priced: Pricing
    ) -> tuple[uuid.UUID, str, uuid.UUID | None]:
        """A repayment order: the principal receipt-only, the fee invoiced under its category."""
        staff_id, counter_id = self._clerk(at.astimezone(HALL_TZ).date())
        return sink.write_order(
            kind=OrderType.INSTALMENT_PAYMENT,
            customer=customer,
            staff_id=staff_id,
            counter_id=counter_id,
            at=at,
            lines=[
                SaleLine(
                    line.description,
                    line.product_id,
                    line.amount_fen,
                    _vat_code(line, self._payoff_vat.id),
                )
                for line in priced.lines
            ],
            items=[InvoiceItem(x.label, x.rate, x.total_fen) for x in priced.invoice_items],
            method=self._method(),
        )

    # -- the older sales --------------------------------------------------------------------------
    def older(self, samples: Sequence[Sample], sink: OrderSink) -> int:
        """The README's customers' sales, older installment contracts and contract phones,
        and a few outright sales returned within the return window. Returns the orders
        written (repayments included, through ``sink``)."""
        rng = self._rng
        today = self._today
        show = self.choose_showcase(samples)
        written = 0

        def sell(sale: PlannedSale, day: date, **kw: Any) -> uuid.UUID:
            nonlocal written
            staff_id, counter_id = self._clerk(day)
            at = self._moment(day)
            oid, order_no, _ = sink.write_order(
                kind=OrderType.HANDSET_SALE,
                customer=sale.customer,
                staff_id=staff_id,
                counter_id=counter_id,
                at=at,
                lines=sale.lines,
                items=sale.items,
                method=self._method(),
            )
            self.sold(sale, oid, order_no, at, staff_id, sink, **kw)
            written += 1
            return oid

        if show.overdue is not None:  # 12 instalments from about four months ago; two overdue
            day = add_months(today, -4) - timedelta(days=10)
            sale = self.plan(
                show.overdue,
                day,
                mode=SaleMode.INSTALLMENT,
                product_id=self._ref.product("HW_MATE70").id,
                months=12,
                extra_down_yuan=0,
            )
            assert sale.mode is SaleMode.INSTALLMENT
            sell(sale, day, delinquent_from=3)
        if show.contract is not None:  # 24 months from ten months ago: 14 left, 700.00
            day = add_months(today, -10) - timedelta(days=5)
            sale = self.plan(
                show.contract,
                day,
                mode=SaleMode.CONTRACT,
                product_id=self._ref.product("APL_IP17").id,
                months=24,
            )
            assert sale.mode is SaleMode.CONTRACT
            sell(sale, day)
        others = [s for s in samples if s.id not in show.ids]
        if not others:
            return written
        paid_off = False
        for _ in range(OLDER_INSTALLMENT):
            customer = others[rng.randrange(len(others))]
            if not self._adult(customer, today) or customer.arrears:
                continue
            day = today - timedelta(days=rng.randint(35, 430))
            sale = self.plan(customer, day, mode=SaleMode.INSTALLMENT)
            if sale.mode is not SaleMode.INSTALLMENT:
                sell(sale, day)
                continue
            due = sum(i.due_date < today for i in sale.instalments)
            delinquent = None
            if rng.random() < DELINQUENT and due >= 2:
                delinquent = rng.randint(2, due)
            off = None
            if not paid_off and due >= 2 and delinquent is None and due < len(sale.instalments):
                off, paid_off = rng.randint(1, due - 1), True
            sell(sale, day, delinquent_from=delinquent, paid_off_after=off)
        for _ in range(OLDER_CONTRACT):
            customer = others[rng.randrange(len(others))]
            day = today - timedelta(days=rng.randint(35, 430))
            sell(self.plan(customer, day, mode=SaleMode.CONTRACT), day)
        for n in range(RETURNS):
            customer = others[rng.randrange(len(others))]
            day = today - timedelta(days=rng.randint(4, 20))
            sale = self.plan(customer, day, mode=SaleMode.OUTRIGHT)
            staff_id, counter_id = self._clerk(day)
            at = self._moment(day)
            method = self._method()
            sale_id, order_no, invoice_id = sink.write_order(
                kind=OrderType.HANDSET_SALE,
                customer=customer,
                staff_id=staff_id,
                counter_id=counter_id,
                at=at,
                lines=sale.lines,
                items=sale.items,
                method=method,
            )
            back = at + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 3))
            supervisor = self._supervisors[n % len(self._supervisors)].id
            sink.write_order(
                kind=OrderType.HANDSET_RETURN,
                customer=customer,
                staff_id=staff_id,
                counter_id=counter_id,
                at=back,
                lines=[  # as HandsetReturnService writes it: the sale's lines negated
                    SaleLine(f"退货：{x.description}", x.product_id, -x.amount_fen, None, -1)
                    for x in sale.lines
                ],
                items=(),
                method=method,
                notes=f"退货：原受理单 {order_no}，IMEI {sale.imei}；原因：{RETURN_REASON}",
                reference=_refund_reference(sink.reference_of(sale_id)),
            )
            assert invoice_id is not None
            if supervisor == staff_id:  # four-eyes: never the clerk themself
                supervisor = next(s.id for s in self._supervisors if s.id != staff_id)
            sink.inline_approval(
                kind="handset_return",
                customer=customer,
                staff_id=staff_id,
                approver_id=supervisor,
                counter_id=counter_id,
                at=back,
                order_id=sale_id,
                subject_ref=str(sale_id),  # as handset_return_subject: the sale's order id
                summary=f"手机退货 原受理单 {order_no}",
                request_reason=RETURN_REASON,
                amount_fen=sum(x.amount_fen for x in sale.lines),
            )
            sink.red_letter(invoice_id, customer, supervisor, back, f"手机退货：{RETURN_REASON}")
            received = at - timedelta(days=rng.randint(5, 30))
            self._add(  # back in stock as returned, sellable again; its sale in the orders
                self._w_device,
                (
                    self.uid(),
                    received,
                    back,
                    sale.product_id,
                    sale.imei,
                    DeviceStatus.RETURNED,
                    self._ref.hall.id,
                    STORE,
                    received,
                    None,
                    None,
                    None,
                    None,
                    None,
                ),
            )
            written += 2
        return written


def _vat_code(line: Line, payoff_vat_id: uuid.UUID) -> str | None:
    """A repayment line's VAT category: the payoff fee's own, the instalment fee's, or none
    (the principal, receipt-only)."""
    if not line.invoiceable:
        return None
    return (
        PAYOFF_VAT_CODE if line.vat is not None and line.vat.id == payoff_vat_id else FEE_VAT_CODE
    )


def _refund_reference(sale_reference: str | None) -> str | None:
    """A card or QR refund names its sale's payment (as HandsetReturnService writes it)."""
    return None if sale_reference is None else f"原交易 {sale_reference}"
