"""The clerk's till: a cash session per clerk, counter and business day. Every payment taken
at the counter belongs to the open session (one is opened with no float at the first payment
if the clerk has not opened one, and the payment says so when the day was already closed);
closing counts the drawer against what the payments say, and a difference needs a reason."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import CashSession, Counter, Payment, Staff
from hall_app.db.text_limits import check_value
from hall_app.domain.enums import CashSessionStatus, PaymentMethod
from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.services import audit
from hall_app.services.actor import Actor

FLOAT_FIELD = "备用金"
COUNTED_FIELD = "实点现金"
REASON_FIELD = "差异原因"
MAX_REASON = 200


@dataclass(frozen=True)
class CashSessionView:
    id: uuid.UUID
    counter_name: str
    staff_name: str
    business_date: date
    status: CashSessionStatus
    opened_at: datetime
    closed_at: datetime | None
    opening_float_fen: int
    cash_fen: int  # cash kept from payments (amount paid; change already given back)
    card_fen: int
    qr_fen: int
    payments: int
    expected_cash_fen: int  # float + cash: what the drawer should hold
    counted_cash_fen: int | None
    difference_fen: int | None  # counted - expected: positive is over, negative short


def _open_till_id(session: Session, actor: Actor, day: date | None) -> uuid.UUID | None:
    """The clerk's open till at this counter on ``day``; with no day, the oldest one still
    open (a till left open yesterday is closed before today's)."""
    stmt = select(CashSession.id).where(
        CashSession.counter_id == actor.counter_id,
        CashSession.staff_id == actor.staff_id,
        CashSession.status == CashSessionStatus.OPEN,
    )
    if day is not None:
        stmt = stmt.where(CashSession.business_date == day)
    return session.scalar(stmt.order_by(CashSession.business_date, CashSession.opened_at).limit(1))


def _new_till(
    session: Session, actor: Actor, counter_id: uuid.UUID, now: datetime, float_fen: int, by: str
) -> CashSession:
    till = CashSession(
        counter_id=counter_id,
        staff_id=actor.staff_id,
        business_date=business_date(now),
        status=CashSessionStatus.OPEN,
        opened_at=now,
        opening_float_fen=float_fen,
    )
    session.add(till)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="cash_session.open",
        entity="cash_session",
        entity_id=till.id,
        after={"float_fen": float_fen, "opened_by": by},
    )
    return till


@dataclass(frozen=True)
class TillForPayment:
    id: uuid.UUID
    reopened_after_close: bool  # the day was closed (日结): this payment opened a new till


def open_session_for_payment(session: Session, actor: Actor, now: datetime) -> TillForPayment:
    """The clerk's open session today, opened (no float, audited) if there is none. Runs in
    the caller's transaction, so it is rolled back with a failed order. A till opened so after
    the day's close is flagged, for the clerk to be told."""
    counter_id = actor.require_counter("收款")
    today = business_date(now)
    found = _open_till_id(session, actor, today)
    if found is not None:
        return TillForPayment(found, reopened_after_close=False)
    closed_today = session.scalar(
        select(CashSession.id)
        .where(
            CashSession.counter_id == counter_id,
            CashSession.staff_id == actor.staff_id,
            CashSession.business_date == today,
            CashSession.status == CashSessionStatus.CLOSED,
        )
        .limit(1)
    )
    by = "first payment" if closed_today is None else "payment after close"
    till = _new_till(session, actor, counter_id, now, 0, by)
    return TillForPayment(till.id, reopened_after_close=closed_today is not None)


def difference_label(difference_fen: int) -> str:
    """账实相符, 长款 ¥1.00 (more cash than expected) or 短款 ¥4.00 (less)."""
    if difference_fen == 0:
        return "账实相符"
    return f"{'长款' if difference_fen > 0 else '短款'} {format_yuan(abs(difference_fen))}"


class CashService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        unsynced: Callable[[], int] = lambda: 0,
        rules: BusinessRules | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._unsynced = unsynced  # records not yet at the central database
        self._rules = rules or BusinessRules()

    @property
    def float_max_fen(self) -> int:
        return self._rules.cash_float_max_fen

    def open_session(self, actor: Actor, float_fen: int) -> CashSessionView:
        """Start the day with a counted float in the drawer (at most the configured maximum)."""
        actor.require(Permission.PAYMENT_TAKE)
        counter_id = actor.require_counter("开班")
        if float_fen < 0:
            raise ValidationError("备用金不能为负数", FLOAT_FIELD)
        if float_fen > self.float_max_fen:
            raise ValidationError(
                f"最多 {format_yuan(self.float_max_fen)}，现在 {format_yuan(float_fen)}，"
                "请核对金额",
                FLOAT_FIELD,
            )
        now = self._clock()
        with self._db.unit_of_work() as session:
            still_open = _open_till_id(session, actor, None)
            if still_open is not None:
                day = session.get_one(CashSession, still_open).business_date
                raise ValidationError(f"{day} 的收款尚未日结，请先日结再开班", FLOAT_FIELD)
            till = _new_till(session, actor, counter_id, now, float_fen, "clerk")
            return self._view(session, till)

    def current_session(self, actor: Actor) -> CashSessionView | None:
        """The till to close next: the oldest one still open (normally today's)."""
        actor.require(Permission.PAYMENT_TAKE)
        with self._db.read() as session:
            found = _open_till_id(session, actor, None)
            if found is None:
                return None
            return self._view(session, session.get_one(CashSession, found))

    def closed_today(self, actor: Actor) -> CashSessionView | None:
        """The clerk's till at this counter already closed (日结) today, the latest one."""
        actor.require(Permission.PAYMENT_TAKE)
        today = business_date(self._clock())
        with self._db.read() as session:
            till = session.scalars(
                select(CashSession)
                .where(
                    CashSession.staff_id == actor.staff_id,
                    CashSession.counter_id == actor.counter_id,
                    CashSession.business_date == today,
                    CashSession.status == CashSessionStatus.CLOSED,
                )
                .order_by(CashSession.closed_at.desc())
                .limit(1)
            ).first()
            return None if till is None else self._view(session, till)

    def close_session(
        self,
        actor: Actor,
        counted_fen: int,
        reason: str = "",
        *,
        expected_fen: int | None = None,
    ) -> CashSessionView:
        """Count the drawer: the difference against float + cash payments is recorded. A
        shortage or an overage needs ``reason``. ``expected_fen``: what the clerk was shown
        the drawer should hold; if a payment has changed it since, nothing is closed."""
        actor.require(Permission.PAYMENT_TAKE)
        if counted_fen < 0:
            raise ValidationError("实点现金不能为负数", COUNTED_FIELD)
        reason = reason.strip()
        check_value(REASON_FIELD, MAX_REASON, reason)
        waiting = self._unsynced()
        if waiting:
            raise ValidationError(
                f"还有 {waiting:,} 条记录未同步到中心数据库，请联网同步后再日结", "日结"
            )
        now = self._clock()
        with self._db.unit_of_work() as session:
            found = _open_till_id(session, actor, None)
            if found is None:
                raise ValidationError("没有未日结的收款", COUNTED_FIELD)
            till = session.get_one(CashSession, found, with_for_update=True)
            before = self._view(session, till)
            if expected_fen is not None and expected_fen != before.expected_cash_fen:
                raise ValidationError(
                    f"钱箱应有现金已变为 {format_yuan(before.expected_cash_fen)}"
                    "（期间有新的收款），请重新核对",
                    COUNTED_FIELD,
                )
            difference = counted_fen - before.expected_cash_fen
            if difference and not reason:
                raise ValidationError(
                    f"{difference_label(difference)}，请填写原因后再日结", REASON_FIELD
                )
            till.status = CashSessionStatus.CLOSED
            till.closed_at = now
            till.closed_by_id = actor.staff_id
            till.expected_cash_fen = before.expected_cash_fen
            till.counted_cash_fen = counted_fen
            till.difference_fen = counted_fen - before.expected_cash_fen
            till.updated_at = now
            audit.record(
                session,
                at=now,
                actor=actor,
                action="cash_session.close",
                entity="cash_session",
                entity_id=till.id,
                before={"status": "open", "expected_fen": before.expected_cash_fen},
                after={
                    "status": "closed",
                    "counted_fen": counted_fen,
                    "difference_fen": till.difference_fen,
                    "difference": format_yuan(till.difference_fen),
                    "reason": reason or None,
                },
            )
            session.flush()
            return self._view(session, till)

    def day_sessions(self, actor: Actor, day: date) -> list[CashSessionView]:
        """Every till of the hall on ``day``, for the supervisor's reconciliation."""
        actor.require(Permission.CASH_RECONCILE)
        with self._db.read() as session:
            tills = session.scalars(
                select(CashSession)
                .join(Counter, Counter.id == CashSession.counter_id)
                .where(CashSession.business_date == day, Counter.hall_id == actor.hall_id)
                .order_by(Counter.code, CashSession.opened_at)
            ).all()
            return [self._view(session, t) for t in tills]

    @staticmethod
    def _view(session: Session, till: CashSession) -> CashSessionView:
        totals = dict(
            session.execute(
                select(Payment.method, func.sum(Payment.amount_fen))
                .where(Payment.cash_session_id == till.id)
                .group_by(Payment.method)
            ).all()
        )
        count = session.scalar(select(func.count()).where(Payment.cash_session_id == till.id))
        cash = int(totals.get(PaymentMethod.CASH, 0) or 0)
        counter = session.get_one(Counter, till.counter_id)
        staff = session.get_one(Staff, till.staff_id)
        return CashSessionView(
            id=till.id,
            counter_name=counter.name,
            staff_name=staff.full_name,
            business_date=till.business_date,
            status=till.status,
            opened_at=till.opened_at,
            closed_at=till.closed_at,
            opening_float_fen=till.opening_float_fen,
            cash_fen=cash,
            card_fen=int(totals.get(PaymentMethod.BANK_CARD, 0) or 0),
            qr_fen=int(totals.get(PaymentMethod.QR_WALLET, 0) or 0),
            payments=count or 0,
            expected_cash_fen=till.opening_float_fen + cash,
            counted_cash_fen=till.counted_cash_fen,
            difference_fen=till.difference_fen,
        )
