"""After a handset sale: a customer's installment contracts and contract-phone commitments, and
taking an instalment payment or an early payoff.

A payment is an order (分期还款, ``OrderType.INSTALMENT_PAYMENT``) on the one order pipeline:
its principal lines are receipt-only REPAYMENT lines naming the contract and the instalments
(the handset was invoiced whole at its sale); the fee it takes (the instalments' fee, or on a
payoff the fee of those already due and the payoff fee) is invoiced then, under the VAT
category ``instalment_fee``; the money goes to the clerk's till. The
instalments paid are the next unpaid ones in order, so an overdue one is always paid first.
Marking them paid is one conditional UPDATE (``paid_at IS NULL``): of two clerks paying the
same instalment at once, the second is refused in Chinese and nothing of their order stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Bill,
    BillItem,
    Customer,
    Device,
    HandsetCommitment,
    InstallmentContract,
    Instalment,
    Order,
    Product,
    Subscription,
    VatCategory,
)
from hall_app.domain.enums import BillStatus, ContractStatus, OrderType
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.handsets import ScheduledInstalment, clawback, payoff_fee_kept, payoff_fen
from hall_app.domain.masking import mask_phone
from hall_app.domain.payments import PaymentInput, SettledPayment
from hall_app.domain.permissions import Permission
from hall_app.domain.pricing import Pricing, VatClass
from hall_app.domain.repayment import (
    FEE_VAT_CODE,
    OVERDUE,
    PAYOFF_VAT_CODE,
    fees_payable,
    instalment_state,
    price_instalments,
    price_payoff,
)
from hall_app.services.actor import Actor
from hall_app.services.invoicing import issue_invoice
from hall_app.services.pipeline import OrderKind, OrderPipeline, Priced, Taken, Visit

CONTRACT_FIELD = "分期合同"
COUNT_FIELD = "还款期数"
VAT_FIELD = "发票类目"


@dataclass(frozen=True)
class InstalmentView:
    id: uuid.UUID
    seq: int
    due_date: date
    principal_fen: int
    fee_fen: int
    amount_fen: int
    paid_at: datetime | None
    state: str  # 已还 / 待还 / 逾期 / 未到期 (hall_app.domain.repayment)
    # Paying off today, what this unpaid one costs: its principal, and its fee when already due
    # (the fee of one not yet due is waived); 0 once paid.
    payoff_fen: int = 0

    @property
    def overdue(self) -> bool:
        return self.state == OVERDUE


@dataclass(frozen=True)
class ContractView:
    contract_id: uuid.UUID
    order_no: str  # the sale's
    handset_name: str
    imei: str
    price_fen: int
    down_payment_fen: int
    financed_fen: int
    fee_fen: int
    months: int
    status: ContractStatus
    instalments: tuple[InstalmentView, ...]
    paid_fen: int
    outstanding_fen: int  # the unpaid instalments, principal and fee
    overdue_count: int
    next_due: InstalmentView | None  # the first unpaid one (what 还款 pays first)
    # Paying off today: the unpaid principal, the fee of the unpaid instalments already due,
    # and the payoff fee (domain.handsets.payoff_fen).
    payoff_fen: int

    @property
    def unpaid(self) -> tuple[InstalmentView, ...]:
        return tuple(i for i in self.instalments if i.paid_at is None)


@dataclass(frozen=True)
class CommitmentView:
    commitment_id: uuid.UUID
    subscription_id: uuid.UUID
    number_masked: str
    handset_name: str
    imei: str
    months: int
    months_left: int
    ends_on: date
    monthly_fen: int  # the subsidy each month served earns (the clawback drops by it)
    clawback_fen: int  # leaving today: the unearned subsidy (违约金); 0 once it has ended
    status: ContractStatus


@dataclass(frozen=True)
class InstalmentPayRequest:
    contract_id: uuid.UUID
    count: int  # the next ``count`` unpaid instalments
    payments: tuple[PaymentInput, ...]
    ticket_id: uuid.UUID | None = None
    # The first unpaid instalment as the clerk's screen showed it: when another window took it
    # meanwhile the payment is refused, never moved on to the next one.
    from_seq: int | None = None


@dataclass(frozen=True)
class PayoffRequest:
    contract_id: uuid.UUID
    payments: tuple[PaymentInput, ...]
    ticket_id: uuid.UUID | None = None
    from_seq: int | None = None  # as for InstalmentPayRequest


@dataclass(frozen=True)
class InstalmentPaid:
    order_id: uuid.UUID
    order_no: str
    total_fen: int
    payments: tuple[SettledPayment, ...]
    paid_seqs: tuple[int, ...]
    contract_status: ContractStatus
    till_reopened: bool
    invoice_no: str | None = None  # the fee's invoice; None when no fee was taken


# -- the order kind ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chosen:
    contract_id: uuid.UUID
    sale_order_no: str
    months: int
    product_id: uuid.UUID | None
    payoff_fee_fen: int
    instalments: tuple[ScheduledInstalment, ...]
    ids: tuple[uuid.UUID, ...]
    last: bool  # nothing unpaid is left after these
    at: datetime
    fee_vat: VatClass | None  # the fee's invoice category (None when no fee is taken)
    payoff_vat: VatClass | None = None  # the payoff fee's (None: under ``fee_vat``)


@dataclass(frozen=True)
class _Done:
    paid_seqs: tuple[int, ...]
    status: ContractStatus


class InstalmentRepayment(OrderKind[_Chosen, _Done]):
    """分期还款: the next ``count`` unpaid instalments of one contract."""

    order_type = OrderType.INSTALMENT_PAYMENT
    action = "order.instalment_payment"
    payoff = False

    def __init__(self, contract_id: uuid.UUID, count: int, from_seq: int | None) -> None:
        self._contract_id = contract_id
        self._count = count
        self._from_seq = from_seq

    def take(self, session: Session, actor: Actor, now: datetime, offline: bool) -> Taken[_Chosen]:
        contract = session.get(InstallmentContract, self._contract_id)
        if contract is None:
            raise NotFound("分期合同不存在", CONTRACT_FIELD)
        sale_no = session.scalar(select(Order.order_no).where(Order.id == contract.order_id))
        status = ContractStatus(contract.status)
        if status is not ContractStatus.ACTIVE:
            raise ValidationError(
                f"分期合同 {sale_no} {status.label}，没有待还的分期", CONTRACT_FIELD
            )
        unpaid = session.scalars(
            select(Instalment)
            .where(Instalment.contract_id == contract.id, Instalment.paid_at.is_(None))
            .order_by(Instalment.seq)
        ).all()
        if not unpaid:
            raise ValidationError(f"分期合同 {sale_no} 已无待还的分期", CONTRACT_FIELD)
        if self._from_seq is not None and unpaid[0].seq != self._from_seq:
            raise _taken_meanwhile(self._from_seq)
        count = len(unpaid) if self.payoff else self._count
        if count > len(unpaid):
            raise ValidationError(f"只剩 {len(unpaid)} 期未还，不能还 {count} 期", COUNT_FIELD)
        chosen = unpaid[:count]
        ids = tuple(i.id for i in chosen)
        _refuse_billed(session, ids)
        scheduled = tuple(
            ScheduledInstalment(i.seq, i.due_date, i.principal_fen, i.fee_fen) for i in chosen
        )
        fees = fees_payable(
            scheduled,
            payoff=self.payoff,
            payoff_fee_fen=contract.payoff_fee_fen,
            today=business_date(now),
        )
        fee_vat = _fee_vat(session) if fees else None
        payoff_vat = (
            _payoff_vat(session) if self.payoff and fees and contract.payoff_fee_fen else None
        )
        # The one decision: only instalments still unpaid are taken; a second clerk paying the
        # same ones at the same time waits for the first and then finds none.
        taken = session.execute(
            update(Instalment)
            .where(Instalment.id.in_(ids), Instalment.paid_at.is_(None))
            .values(paid_at=now, updated_at=now)
            .returning(Instalment.id)
            .execution_options(synchronize_session=False)
        ).all()
        if len(taken) != len(ids):
            raise _taken_meanwhile(chosen[0].seq)
        customer = session.get_one(Customer, contract.customer_id)
        product_id = (
            session.scalar(select(Device.product_id).where(Device.id == contract.device_id))
            if contract.device_id
            else None
        )
        return Taken(
            customer,
            _Chosen(
                contract.id,
                sale_no or "",
                contract.months,
                product_id,
                contract.payoff_fee_fen,
                scheduled,
                ids,
                count == len(unpaid),
                now,
                fee_vat,
                payoff_vat,
            ),
        )

    def lines(self, context: _Chosen, today: date) -> Priced:
        return Priced(
            price_instalments(
                context.instalments,
                context.months,
                context.sale_order_no,
                context.product_id,
                context.fee_vat,
            ),
            "",
        )

    def fulfil(
        self, session: Session, actor: Actor, order: Order, context: _Chosen, pricing: Pricing
    ) -> _Done:
        now = context.at
        session.execute(
            update(Instalment)
            .where(Instalment.id.in_(context.ids))
            .values(paid_order_id=order.id)
            .execution_options(synchronize_session=False)
        )
        status = ContractStatus.ACTIVE
        if context.last:
            status = ContractStatus.PAID_OFF if self.payoff else ContractStatus.COMPLETED
            ended = session.execute(
                update(InstallmentContract)
                .where(
                    InstallmentContract.id == context.contract_id,
                    InstallmentContract.status == ContractStatus.ACTIVE.value,
                )
                .values(status=status.value, ended_at=now, updated_at=now)
                .returning(InstallmentContract.id)
                .execution_options(synchronize_session=False)
            ).all()
            if len(ended) != 1:  # returned or ended at another window meanwhile
                raise ValidationError("分期合同状态已变化，请刷新后重试", CONTRACT_FIELD)
        return _Done(tuple(i.seq for i in context.instalments), status)

    def audit_after(self, context: _Chosen) -> dict[str, object]:
        return {
            "contract_id": str(context.contract_id),
            "sale_order_no": context.sale_order_no,
            "instalments": [i.seq for i in context.instalments],
            "contract_ends": context.last,
        }


class InstalmentPayoff(InstalmentRepayment):
    """提前结清: every unpaid instalment, for the unpaid principal plus the payoff fee."""

    action = "order.instalment_payoff"
    payoff = True

    def lines(self, context: _Chosen, today: date) -> Priced:
        return Priced(
            price_payoff(
                context.instalments,
                context.months,
                context.sale_order_no,
                context.payoff_fee_fen,
                context.product_id,
                today=today,
                fee_vat=context.fee_vat,
                payoff_vat=context.payoff_vat,
            ),
            "",
        )


def _fee_vat(session: Session) -> VatClass:
    """The invoice category of the instalment and payoff fees, by its code: a catalog without
    it refuses the payment (nothing is taken) rather than take money it cannot invoice."""
    vat = session.scalars(select(VatCategory).where(VatCategory.code == FEE_VAT_CODE)).first()
    if vat is None:
        raise ValidationError(
            f"商品目录中没有分期手续费的发票类目（{FEE_VAT_CODE}），无法为手续费开票，"
            "本次未收费。请管理员同步或添加该发票类目后再收款",
            VAT_FIELD,
        )
    return VatClass(vat.id, vat.invoice_label, Decimal(vat.rate))


def _payoff_vat(session: Session) -> VatClass | None:
    """The payoff fee's own invoice category (``*金融服务*提前结清手续费``), by its code; None
    in a catalog without it (the payoff fee is then invoiced under the instalment fee's)."""
    vat = session.scalars(select(VatCategory).where(VatCategory.code == PAYOFF_VAT_CODE)).first()
    return None if vat is None else VatClass(vat.id, vat.invoice_label, Decimal(vat.rate))


def _refuse_billed(session: Session, ids: tuple[uuid.UUID, ...]) -> None:
    """An instalment the billing run put on a bill is paid with the bill (缴费), never here
    too: both would take it."""
    period = session.scalar(
        select(Bill.period)
        .join(BillItem, BillItem.bill_id == Bill.id)
        .where(
            BillItem.instalment_id.in_(ids),
            Bill.status.in_((BillStatus.UNPAID, BillStatus.PARTLY_PAID)),
        )
        .order_by(Bill.period)
        .limit(1)
    )
    if period is not None:
        raise ValidationError(f"该期已计入 {period} 账单，请缴纳话费", COUNT_FIELD)


def _taken_meanwhile(seq: int) -> ValidationError:
    return ValidationError(
        f"第 {seq} 期已由其他窗口收款，本次未收费。请刷新客户资料后重新确认", COUNT_FIELD
    )


# -- the service -------------------------------------------------------------------------------


class InstallmentService:
    def __init__(
        self, db: Database, rules: BusinessRules, clock: Clock, *, shared_segments: bool = True
    ) -> None:
        """No central claim: an instalment belongs to its contract, and the conditional UPDATE
        in the counter's database decides between two clerks (it reaches the central database
        by the sync round)."""
        self._db = db
        self._rules = rules
        self._clock = clock
        self._pipeline = OrderPipeline(
            db, clock, None, lambda *step: issue_invoice(*step, shared=shared_segments)
        )

    # -- reads -------------------------------------------------------------------------------

    def contracts(self, actor: Actor, customer_id: uuid.UUID) -> list[ContractView]:
        """The customer's installment contracts, newest first, each with its instalments'
        state today."""
        actor.require(Permission.CUSTOMER_VIEW)
        today = business_date(self._clock())
        with self._db.read() as s:
            rows = s.execute(
                select(InstallmentContract, Order.order_no, Device.imei, Product.name)
                .join(Order, Order.id == InstallmentContract.order_id)
                .outerjoin(Device, Device.id == InstallmentContract.device_id)
                .outerjoin(Product, Product.id == Device.product_id)
                .where(InstallmentContract.customer_id == customer_id)
                .order_by(Order.completed_at.desc(), Order.order_no.desc())
            ).all()
            out = []
            for contract, order_no, imei, name in rows:
                instalments = s.scalars(
                    select(Instalment)
                    .where(Instalment.contract_id == contract.id)
                    .order_by(Instalment.seq)
                ).all()
                out.append(_contract_view(contract, order_no, imei, name, instalments, today))
            return out

    def contract(self, actor: Actor, contract_id: uuid.UUID) -> ContractView:
        actor.require(Permission.CUSTOMER_VIEW)
        with self._db.read() as s:
            customer_id = s.scalar(
                select(InstallmentContract.customer_id).where(InstallmentContract.id == contract_id)
            )
        if customer_id is None:
            raise NotFound("分期合同不存在", CONTRACT_FIELD)
        return next(c for c in self.contracts(actor, customer_id) if c.contract_id == contract_id)

    def commitments(self, actor: Actor, customer_id: uuid.UUID) -> list[CommitmentView]:
        """The customer's contract phones, newest first: months left and what leaving today
        would cost (the unearned subsidy, ``domain.handsets.clawback``)."""
        actor.require(Permission.CUSTOMER_VIEW)
        today = business_date(self._clock())
        with self._db.read() as s:
            rows = s.execute(
                select(HandsetCommitment, Subscription.service_number, Device.imei, Product.name)
                .join(Subscription, Subscription.id == HandsetCommitment.subscription_id)
                .join(Device, Device.id == HandsetCommitment.device_id)
                .join(Product, Product.id == Device.product_id)
                .where(HandsetCommitment.customer_id == customer_id)
                .order_by(HandsetCommitment.starts_on.desc())
            ).all()
            out = []
            for c, number, imei, name in rows:
                owed = clawback(c.subsidy_fen, c.months, c.starts_on, today)
                running = c.status is ContractStatus.ACTIVE
                out.append(
                    CommitmentView(
                        commitment_id=c.id,
                        subscription_id=c.subscription_id,
                        number_masked=mask_phone(number),
                        handset_name=name,
                        imei=imei,
                        months=c.months,
                        months_left=owed.months_left if running else 0,
                        ends_on=c.ends_on,
                        monthly_fen=owed.monthly_fen,
                        clawback_fen=owed.amount_fen if running else 0,
                        status=c.status,
                    )
                )
            return out

    # -- writes ------------------------------------------------------------------------------

    def pay_instalments(self, actor: Actor, req: InstalmentPayRequest) -> InstalmentPaid:
        """还款: the next ``req.count`` unpaid instalments, in order (overdue ones first);
        paying the last one completes the contract."""
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        if req.count < 1:
            raise ValidationError("请至少还 1 期", COUNT_FIELD)
        return self._run(actor, InstalmentRepayment(req.contract_id, req.count, req.from_seq), req)

    def pay_off(self, actor: Actor, req: PayoffRequest) -> InstalmentPaid:
        """提前结清: the unpaid principal plus the offer's payoff fee; every unpaid instalment
        is marked paid by this order and the contract is 提前结清."""
        actor.require(Permission.ORDER_CREATE)
        actor.require(Permission.PAYMENT_TAKE)
        return self._run(actor, InstalmentPayoff(req.contract_id, 0, req.from_seq), req)

    def _run(
        self,
        actor: Actor,
        kind: InstalmentRepayment,
        req: InstalmentPayRequest | PayoffRequest,
    ) -> InstalmentPaid:
        with self._db.read() as s:
            customer_id = s.scalar(
                select(InstallmentContract.customer_id).where(
                    InstallmentContract.id == req.contract_id
                )
            )
        if customer_id is None:
            raise NotFound("分期合同不存在", CONTRACT_FIELD)
        done = self._pipeline.run(actor, kind, Visit(customer_id, req.payments, req.ticket_id))
        return InstalmentPaid(
            order_id=done.order_id,
            order_no=done.order_no,
            total_fen=done.pricing.total_fen,
            payments=done.payments,
            paid_seqs=done.fulfilled.paid_seqs,
            contract_status=done.fulfilled.status,
            till_reopened=done.till_reopened,
            invoice_no=done.invoice.invoice_no if done.invoice else None,
        )


def _contract_view(
    contract: InstallmentContract,
    order_no: str,
    imei: str | None,
    name: str | None,
    rows: Sequence[Instalment],
    today: date,
) -> ContractView:
    instalments = tuple(
        InstalmentView(
            i.id,
            i.seq,
            i.due_date,
            i.principal_fen,
            i.fee_fen,
            i.amount_fen,
            i.paid_at,
            instalment_state(i.due_date, i.paid_at is not None, today),
            0
            if i.paid_at is not None
            else i.principal_fen + (i.fee_fen if payoff_fee_kept(i.due_date, today) else 0),
        )
        for i in rows
    )
    unpaid = [i for i in instalments if i.paid_at is None]
    status = ContractStatus(contract.status)
    return ContractView(
        contract_id=contract.id,
        order_no=order_no,
        handset_name=name or "",
        imei=imei or "",
        price_fen=contract.price_fen,
        down_payment_fen=contract.down_payment_fen,
        financed_fen=contract.financed_fen,
        fee_fen=contract.fee_fen,
        months=contract.months,
        status=status,
        instalments=instalments,
        paid_fen=sum(i.amount_fen for i in instalments if i.paid_at is not None),
        outstanding_fen=sum(i.amount_fen for i in unpaid),
        overdue_count=sum(1 for i in unpaid if i.overdue),
        next_due=unpaid[0] if unpaid and status is ContractStatus.ACTIVE else None,
        payoff_fen=payoff_fen(
            [ScheduledInstalment(i.seq, i.due_date, i.principal_fen, i.fee_fen) for i in unpaid],
            contract.payoff_fee_fen,
            today=today,
        )
        if status is ContractStatus.ACTIVE
        else 0,
    )
