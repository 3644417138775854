"""The clerk's till: a cash session per clerk, counter and business day. Every payment taken
at the counter belongs to the open session (one is opened with no float at the first payment
if the clerk has not opened one, and the payment says so when the day was already closed).

Closing is a blind count (盲点): the clerk counts the drawer by denomination and types the
card and QR terminals' settlement totals before the expected amounts are shown; the variance
is recorded, never forced to match; a difference needs a reason, and beyond the configured
tolerance a supervisor signs it off (at the counter, or a remote approval redeemed). The close
makes the Z report (日结单), numbered gap-free per hall and frozen; the supervisor's X reports,
the Z reports' prints and the hall's day close live here too."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Offline
from hall_app.db.engine import Database
from hall_app.db.models import (
    CashMovement,
    CashSession,
    HallDayClose,
    Staff,
)
from hall_app.db.text_limits import check_value
from hall_app.domain.approvals import CASH_VARIANCE
from hall_app.domain.enums import CashMovementKind, CashSessionStatus
from hall_app.domain.errors import ValidationError
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.domain.till import (
    COUNT_FIELD,
    check_counts,
    counts_to_json,
    counts_total,
    difference_label,
    needs_sign_off,
    z_ref,
)
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.approvals import record_inline, redeem
from hall_app.services.till_reports import HallReport, TillReports
from hall_app.services.tills import (
    BlindTill,
    CashSessionView,
    HallDayView,
    ZReportView,
    blind_view,
    open_till_id,
    till_view,
    verdict,
)

__all__ = [
    "BlindTill",
    "CashService",
    "CashSessionView",
    "HallDayView",
    "HallReport",
    "TillCount",
    "ZReportView",
    "difference_label",
]

FLOAT_FIELD = "备用金"
COUNTED_FIELD = "实点现金"
REASON_FIELD = "差异原因"
SIGN_OFF_FIELD = "主管签认"
MOVE_FIELD = "存取现金"
MAX_REASON = 200
CLOSE_FIELD = "日结"
HALL_CLOSE_FIELD = "营业厅日结"
CARD_FIELD = "银行卡结算"
QR_FIELD = "扫码结算"


@dataclass(frozen=True)
class TillCount:
    """The blind count: pieces by denomination (in fen), and the card and QR terminals'
    settlement totals as printed by the terminals."""

    cash_counts: Mapping[int, int]
    card_fen: int = 0
    qr_fen: int = 0


def day_closed(session: Session, hall_id: uuid.UUID, day: date) -> bool:
    """The hall's business day is closed (营业厅日结): its summary is frozen."""
    return (
        session.scalar(
            select(HallDayClose.id)
            .where(HallDayClose.hall_id == hall_id, HallDayClose.business_date == day)
            .limit(1)
        )
        is not None
    )


def _day_closed_error(day: date, field: str) -> ValidationError:
    return ValidationError(f"{day} 营业日已日结，不能再开班收款", field)


def _new_till(
    session: Session,
    actor: Actor,
    counter_id: uuid.UUID,
    now: datetime,
    float_fen: int,
    by: str,
    field: str,
) -> CashSession:
    """A new open till, refused on a day the hall has closed: its till and payments would be
    in no closed summary."""
    day = business_date(now)
    if day_closed(session, actor.hall_id, day):
        raise _day_closed_error(day, field)
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
    found = open_till_id(session, actor, today)
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
    till = _new_till(session, actor, counter_id, now, 0, by, "收款")
    return TillForPayment(till.id, reopened_after_close=closed_today is not None)


def _blind_reason(reason: str) -> str:
    reason = reason.strip()
    check_value(REASON_FIELD, MAX_REASON, reason)
    return reason


class CashService(TillReports):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        unsynced: Callable[[], int] = lambda: 0,
        rules: BusinessRules | None = None,
        link: CentralLink | None = None,
        on_day_closed: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._on_day_closed = on_day_closed  # after a till is closed (the counter's backup)
        self._clock = clock
        self._unsynced = unsynced  # records not yet at the central database
        self._rules = rules or BusinessRules()
        self._link = link if link is not None and link.configured else None

    @property
    def float_max_fen(self) -> int:
        return self._rules.cash_float_max_fen

    @property
    def tolerance_fen(self) -> int:
        return self._rules.cash_variance_tolerance_fen

    # -- the clerk's till -------------------------------------------------------------------
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
        today = business_date(now)
        if self._link is not None:  # the hall's day is closed on the central database
            hall_id = actor.hall_id
            try:
                closed = self._link.run(lambda central: day_closed(central, hall_id, today))
            except Offline:
                closed = False  # offline: the counter's own copy (below) decides
            if closed:
                raise _day_closed_error(today, FLOAT_FIELD)
        with self._db.unit_of_work() as session:
            still_open = open_till_id(session, actor, None)
            if still_open is not None:
                day = session.get_one(CashSession, still_open).business_date
                raise ValidationError(f"{day} 的收款尚未日结，请先日结再开班", FLOAT_FIELD)
            till = _new_till(session, actor, counter_id, now, float_fen, "clerk", FLOAT_FIELD)
            return till_view(session, till)

    def current_session(self, actor: Actor) -> CashSessionView | None:
        """The till to close next, with its expected figures (the oldest one still open)."""
        actor.require(Permission.PAYMENT_TAKE)
        with self._db.read() as session:
            found = open_till_id(session, actor, None)
            if found is None:
                return None
            return till_view(session, session.get_one(CashSession, found))

    def till_to_count(self, actor: Actor) -> BlindTill | None:
        """The till to close next as the clerk counts it: nothing of what it should hold."""
        actor.require(Permission.PAYMENT_TAKE)
        with self._db.read() as session:
            found = open_till_id(session, actor, None)
            if found is None:
                return None
            return blind_view(session, session.get_one(CashSession, found))

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
            return None if till is None else till_view(session, till)

    def move_cash(
        self, actor: Actor, kind: CashMovementKind, amount_fen: int, reason: str
    ) -> CashSessionView:
        """Cash put into the open till (存入, e.g. change from the safe) or taken out (支出,
        e.g. to the safe), with its reason; never more out than the drawer should hold."""
        actor.require(Permission.PAYMENT_TAKE)
        if amount_fen <= 0:
            raise ValidationError("金额须大于 0", MOVE_FIELD)
        if amount_fen > self.float_max_fen * 50:
            raise ValidationError(f"金额 {format_yuan(amount_fen)} 过大，请核对", MOVE_FIELD)
        reason = reason.strip()
        if not reason:
            raise ValidationError(f"{kind.label}须填写原因", MOVE_FIELD)
        check_value(MOVE_FIELD, MAX_REASON, reason)
        now = self._clock()
        with self._db.unit_of_work() as session:
            found = open_till_id(session, actor, None)
            if found is None:
                raise ValidationError("尚未开班，请先开班", MOVE_FIELD)
            till = session.get_one(CashSession, found)
            if till.counts_json or till.counted_cash_fen is not None:
                raise ValidationError("已点钞，不能再存取现金；请日结后重新开班", MOVE_FIELD)
            before = till_view(session, till)
            if kind is CashMovementKind.OUT and amount_fen > before.expected_cash_fen:
                raise ValidationError(f"钱箱现金不足：支出 {format_yuan(amount_fen)}", MOVE_FIELD)
            move = CashMovement(
                cash_session_id=till.id,
                staff_id=actor.staff_id,
                kind=kind,
                amount_fen=amount_fen,
                reason=reason,
                moved_at=now,
            )
            session.add(move)
            session.flush()
            audit.record(
                session,
                at=now,
                actor=actor,
                action=f"cash_session.cash_{kind.value}",
                entity="cash_session",
                entity_id=till.id,
                after={
                    "amount_fen": amount_fen,
                    "amount": format_yuan(amount_fen),
                    "reason": reason,
                },
            )
            return till_view(session, till)

    def record_count(self, actor: Actor, count: TillCount) -> CashSessionView:
        """The blind count, kept on the open till (a recount replaces it, audited each time);
        what it should hold is shown only from here on."""
        actor.require(Permission.PAYMENT_TAKE)
        counts = check_counts(count.cash_counts)
        for fen, field in ((count.card_fen, CARD_FIELD), (count.qr_fen, QR_FIELD)):
            if fen < 0:
                raise ValidationError("结算金额不能为负数", field)
        now = self._clock()
        with self._db.unit_of_work() as session:
            found = open_till_id(session, actor, None)
            if found is None:
                raise ValidationError("没有未日结的收款", COUNT_FIELD)
            till = session.get_one(CashSession, found, with_for_update=True)
            till.counts_json = counts_to_json(counts)
            till.counted_cash_fen = counts_total(counts)
            till.counted_card_fen = count.card_fen
            till.counted_qr_fen = count.qr_fen
            till.updated_at = now
            view = till_view(session, till)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="cash_session.count",
                entity="cash_session",
                entity_id=till.id,
                after={
                    "counts": {str(k): v for k, v in counts.items() if v},
                    "cash_fen": till.counted_cash_fen,
                    "card_fen": count.card_fen,
                    "qr_fen": count.qr_fen,
                    "verdict": verdict(view.checks),
                },
            )
            return view

    def close_session(
        self,
        actor: Actor,
        counted_fen: int | None = None,
        reason: str = "",
        *,
        expected_fen: int | None = None,
        supervisor: Actor | None = None,
        approval_id: uuid.UUID | None = None,
    ) -> CashSessionView:
        """日结: the recorded blind count (or, from a script, ``counted_fen`` the cash total
        with no denominations and no terminal settlement) against float + payments + cash
        in − out. A difference needs ``reason``; beyond the tolerance a supervisor signs off
        (``supervisor`` at the counter, or ``approval_id`` of a remote approval). The Z
        report is made. ``expected_fen``: the drawer's expected cash the clerk was shown; if
        a payment has changed it since, nothing is closed."""
        actor.require(Permission.PAYMENT_TAKE)
        if counted_fen is not None and counted_fen < 0:
            raise ValidationError("实点现金不能为负数", COUNTED_FIELD)
        reason = _blind_reason(reason)
        if supervisor is not None:
            if supervisor.staff_id == actor.staff_id:
                raise ValidationError("不能签认自己钱箱的差异，请另一位主管签认", SIGN_OFF_FIELD)
            if not supervisor.can(Permission.APPROVE):
                raise ValidationError(
                    f"{supervisor.full_name}（{supervisor.role.label}）无权签认现金差异",
                    SIGN_OFF_FIELD,
                )
        waiting = self._unsynced()
        if waiting:
            raise ValidationError(
                f"还有 {waiting:,} 条记录未同步到中心数据库，请联网同步后再日结", CLOSE_FIELD
            )
        now = self._clock()
        with self._db.unit_of_work() as session:
            found = open_till_id(session, actor, None)
            if found is None:
                raise ValidationError("没有未日结的收款", COUNTED_FIELD)
            till = session.get_one(CashSession, found, with_for_update=True)
            if counted_fen is not None:
                till.counts_json = ""
                till.counted_cash_fen = counted_fen
                till.counted_card_fen = None
                till.counted_qr_fen = None
            elif till.counted_cash_fen is None:
                raise ValidationError(
                    "请先点钞：按面额清点钱箱，并填写刷卡和扫码结算金额", COUNT_FIELD
                )
            before = till_view(session, till)
            if expected_fen is not None and expected_fen != before.expected_cash_fen:
                raise ValidationError(
                    f"钱箱应有现金已变为 {format_yuan(before.expected_cash_fen)}"
                    "（期间有新的收款），请重新核对",
                    COUNTED_FIELD,
                )
            shown = verdict(before.checks)
            if before.variance_fen and not reason:
                raise ValidationError(f"{shown}，请填写原因后再日结", REASON_FIELD)
            signer: str | None = None
            how: str | None = None
            if needs_sign_off(before.checks, self.tolerance_fen):
                if supervisor is None and approval_id is None:
                    raise ValidationError(
                        f"差异合计 {format_yuan(before.variance_fen)}，超过 "
                        f"{format_yuan(self.tolerance_fen)}，须主管签认（现场授权或远程审批）",
                        SIGN_OFF_FIELD,
                    )
                if approval_id is not None:
                    approver = redeem(
                        session,
                        actor,
                        approval_id,
                        kind=CASH_VARIANCE.code,
                        subject_ref=str(till.id),
                        now=now,
                        amount_fen=before.variance_fen,  # the variance approved, not a recount's
                    )
                    till.approval_id = approval_id
                    how = "远程审批"
                else:
                    assert supervisor is not None
                    approver = supervisor.staff_id
                    till.approval_id = record_inline(
                        session,
                        actor,
                        supervisor,
                        kind=CASH_VARIANCE.code,
                        subject_ref=str(till.id),
                        customer_id=None,
                        order_id=None,
                        reason=reason,
                        now=now,
                        amount_fen=before.variance_fen,
                    )
                    how = "现场授权"
                signer = session.get_one(Staff, approver).full_name
            till.status = CashSessionStatus.CLOSED
            till.closed_at = now
            till.closed_by_id = actor.staff_id
            till.expected_cash_fen = before.expected_cash_fen
            till.difference_fen = before.checks[0].difference_fen
            till.difference_reason = reason
            till.updated_at = now
            session.flush()  # the till is ours (the write lock) before the number is taken
            z = self._make_z(session, actor, till, now, signer, how)
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
                    "counted_fen": till.counted_cash_fen,
                    "difference_fen": till.difference_fen,
                    "difference": format_yuan(till.difference_fen or 0),
                    "variance_fen": before.variance_fen,
                    "verdict": shown,
                    "reason": reason or None,
                    "signed_off_by": signer,
                    "sign_off": how,
                    "z_ref": z_ref(z),
                },
            )
            session.flush()
            closed = till_view(session, till)
        if self._on_day_closed is not None:
            self._on_day_closed()
        return closed
