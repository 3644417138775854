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

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Offline, Row, mirror
from hall_app.db.engine import Database
from hall_app.db.models import (
    AuditEntry,
    CashMovement,
    CashSession,
    Counter,
    HallDayClose,
    PrintRecord,
    Staff,
    ZReport,
)
from hall_app.db.text_limits import check_value
from hall_app.domain.approvals import CASH_VARIANCE
from hall_app.domain.enums import CashMovementKind, CashSessionStatus
from hall_app.domain.errors import StorageError, ValidationError
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
from hall_app.services.documents import DocumentKind, PrintedDocument
from hall_app.services.tills import (
    Z_DOCUMENT,
    BlindTill,
    CashSessionView,
    HallDayView,
    ZReportView,
    blind_view,
    hall_day,
    summary_json,
    till_view,
    verdict,
    z_content,
    z_view,
)

__all__ = [
    "BlindTill",
    "CashService",
    "CashSessionView",
    "HallDayView",
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


@dataclass(frozen=True)
class HallReport:
    """The hall's X report: every till of the day as it stands, nothing closed."""

    business_date: date
    tills: tuple[CashSessionView, ...]
    float_fen: int
    cash_fen: int
    card_fen: int
    qr_fen: int
    prepaid_fen: int
    cash_in_fen: int
    cash_out_fen: int
    expected_cash_fen: int
    payments: int


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


def _blind_reason(reason: str) -> str:
    reason = reason.strip()
    check_value(REASON_FIELD, MAX_REASON, reason)
    return reason


class CashService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        unsynced: Callable[[], int] = lambda: 0,
        rules: BusinessRules | None = None,
        link: CentralLink | None = None,
    ) -> None:
        self._db = db
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
        with self._db.unit_of_work() as session:
            still_open = _open_till_id(session, actor, None)
            if still_open is not None:
                day = session.get_one(CashSession, still_open).business_date
                raise ValidationError(f"{day} 的收款尚未日结，请先日结再开班", FLOAT_FIELD)
            till = _new_till(session, actor, counter_id, now, float_fen, "clerk")
            return till_view(session, till)

    def current_session(self, actor: Actor) -> CashSessionView | None:
        """The till to close next, with its expected figures (the oldest one still open)."""
        actor.require(Permission.PAYMENT_TAKE)
        with self._db.read() as session:
            found = _open_till_id(session, actor, None)
            if found is None:
                return None
            return till_view(session, session.get_one(CashSession, found))

    def till_to_count(self, actor: Actor) -> BlindTill | None:
        """The till to close next as the clerk counts it: nothing of what it should hold."""
        actor.require(Permission.PAYMENT_TAKE)
        with self._db.read() as session:
            found = _open_till_id(session, actor, None)
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
            found = _open_till_id(session, actor, None)
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
            found = _open_till_id(session, actor, None)
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
            found = _open_till_id(session, actor, None)
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
            return till_view(session, till)

    # -- the Z report -----------------------------------------------------------------------
    def _make_z(
        self,
        session: Session,
        actor: Actor,
        till: CashSession,
        now: datetime,
        signer: str | None,
        how: str | None,
    ) -> int:
        """Number the Z report (the hall's next, on the central database when synced) and
        freeze its content; returns its number."""
        hall_id = session.get_one(Counter, till.counter_id).hall_id
        tallies = dict(
            session.execute(
                select(AuditEntry.action, func.count())
                .where(
                    AuditEntry.entity_id == str(till.id),
                    AuditEntry.action.in_(("cash_session.x_report", "cash_session.count")),
                )
                .group_by(AuditEntry.action)
            ).all()
        )

        def content(z_no: int) -> str:
            return json.dumps(
                z_content(
                    session,
                    till,
                    z_no=z_no,
                    made_at=now,
                    closed_by=actor.full_name,
                    signed_off_by=signer,
                    approval=how,
                    x_reports=int(tallies.get("cash_session.x_report", 0)),
                    counts_made=int(tallies.get("cash_session.count", 0)),
                ),
                ensure_ascii=False,
            )

        if self._link is None:
            z_no = (
                session.scalar(select(func.max(ZReport.z_no)).where(ZReport.hall_id == hall_id))
                or 0
            ) + 1
            session.add(
                ZReport(
                    hall_id=hall_id,
                    z_no=z_no,
                    cash_session_id=till.id,
                    business_date=till.business_date,
                    made_at=now,
                    content_json=content(z_no),
                )
            )
            session.flush()
            return z_no
        # Synced: the central database hands out the number (unique (hall, z_no) guards a
        # race between two counters: the loser takes the next). Made again for the same
        # till (the counter's commit failed after the central one): the number is kept.
        table: Table = ZReport.__table__  # type: ignore[assignment]
        body = content(0)

        def allocate(central: Session) -> Row:
            had = central.scalars(select(ZReport).where(ZReport.cash_session_id == till.id)).first()
            if had is None:
                z_no = (
                    central.scalar(select(func.max(ZReport.z_no)).where(ZReport.hall_id == hall_id))
                    or 0
                ) + 1
                had = ZReport(
                    hall_id=hall_id,
                    z_no=z_no,
                    cash_session_id=till.id,
                    business_date=till.business_date,
                    made_at=now,
                    content_json="",
                    created_at=now,
                    updated_at=now,
                )
                central.add(had)
            frozen = json.loads(body)
            frozen["z_no"], frozen["z_ref"] = had.z_no, z_ref(had.z_no)
            had.content_json = json.dumps(frozen, ensure_ascii=False)
            had.made_at = now
            central.flush()
            return dict(central.execute(select(table).where(table.c.id == had.id)).mappings().one())

        row: Row | None = None
        for attempt in range(5):
            try:
                row = self._link.run(allocate)
                break
            except Offline:
                raise ValidationError(
                    "中心数据库暂时连不上：日结单由中心统一编号，请联网后再日结", CLOSE_FIELD
                ) from None
            except StorageError as exc:
                if not isinstance(exc.__cause__, IntegrityError) or attempt == 4:
                    raise
        assert row is not None
        mirror(session, [(table, row)])
        return int(row["z_no"])

    def _shared_read(self, work: Callable[[Session], object]) -> object:
        """A hall-wide read: on the central database when synced (it has every counter's
        tills), else the counter's own."""
        if self._link is not None:
            try:
                return self._link.run(work)
            except Offline:
                raise ValidationError(
                    "中心数据库暂时连不上，无法读取全厅的钱箱", HALL_CLOSE_FIELD
                ) from None
        with self._db.read() as session:
            return work(session)

    def z_report(self, actor: Actor, till_id: uuid.UUID) -> ZReportView:
        """A closed till's Z report as frozen, with its prints: the clerk's own, or any with
        CASH_RECONCILE."""
        actor.require(Permission.PAYMENT_TAKE)

        def work(session: Session) -> ZReportView:
            till = session.get(CashSession, till_id)
            if till is None:
                raise ValidationError("没有这个钱箱", CLOSE_FIELD)
            if till.staff_id != actor.staff_id:
                actor.require(Permission.CASH_RECONCILE)
            z = session.scalars(select(ZReport).where(ZReport.cash_session_id == till_id)).first()
            if z is None:
                raise ValidationError("该钱箱尚未日结，没有日结单", CLOSE_FIELD)
            return z_view(session, z)

        if self._link is None:
            with self._db.read() as session:
                return work(session)
        with self._db.read() as session:  # the counter's own till is here first
            till = session.get(CashSession, till_id)
            if till is not None and till.counter_id == actor.counter_id:
                return work(session)
        found = self._shared_read(work)
        assert isinstance(found, ZReportView)
        return found

    def preview_z_report(self, actor: Actor, till_id: uuid.UUID) -> PrintedDocument:
        """The Z report as the next print would come out (重打 if printed before); records
        nothing."""
        z = self.z_report(actor, till_id)
        return self._render(z, len(z.prints) + 1, "")

    def print_z_report(
        self, actor: Actor, till_id: uuid.UUID, reprint_reason: str = ""
    ) -> PrintedDocument:
        """Record a print of the Z report and return the PDF; a second print is a reprint,
        stamped 重打 with its copy number, and needs a reason."""
        z = self.z_report(actor, till_id)
        reason = reprint_reason.strip()
        check_value("重打原因", MAX_REASON, reason)
        now = self._clock()
        table: Table = PrintRecord.__table__  # type: ignore[assignment]

        def record(session: Session) -> Row:
            copy_no = (
                session.scalar(
                    select(func.count()).where(
                        PrintRecord.document_type == Z_DOCUMENT,
                        PrintRecord.document_ref == z.z_ref,
                    )
                )
                or 0
            ) + 1
            if copy_no > 1 and not reason:
                raise ValidationError("日结单已打印过，重打须填写原因", "重打原因")
            printed = PrintRecord(
                document_type=Z_DOCUMENT,
                document_ref=z.z_ref,
                staff_id=actor.staff_id,
                copy_no=copy_no,
                reason=reason,
                printed_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(printed)
            session.flush()
            return dict(
                session.execute(select(table).where(table.c.id == printed.id)).mappings().one()
            )

        with self._db.unit_of_work() as session:
            if self._link is None:
                row = record(session)
            else:  # copies are counted where every counter's prints are
                try:
                    row = self._link.run(record)
                except Offline:
                    raise ValidationError(
                        "中心数据库暂时连不上，无法登记日结单的打印", "打印"
                    ) from None
                mirror(session, [(table, row)])
            copy_no = int(row["copy_no"])
            audit.record(
                session,
                at=now,
                actor=actor,
                action="document.reprint" if copy_no > 1 else "document.print",
                entity="cash_session",
                entity_id=till_id,
                after={
                    "document": Z_DOCUMENT,
                    "ref": z.z_ref,
                    "copy_no": copy_no,
                    "reason": reason or None,
                },
            )
        return self._render(self.z_report(actor, till_id), copy_no, reason)

    @staticmethod
    def _render(z: ZReportView, copy_no: int, reason: str) -> PrintedDocument:
        from hall_app.documents.z_report import render_z_report

        pdf = render_z_report(z, copy_no=copy_no, reprint_reason=reason)
        return PrintedDocument(DocumentKind.Z_REPORT, pdf, copy_no, f"{z.z_ref}-{copy_no}.pdf")

    # -- X reports, the supervisor's view of the hall ----------------------------------------
    def x_report(self, actor: Actor, till_id: uuid.UUID | None = None) -> CashSessionView:
        """A till as it stands, nothing closed: the clerk's own open till (audited, and
        counted on the Z report), or any till with CASH_RECONCILE."""
        actor.require(Permission.PAYMENT_TAKE)
        now = self._clock()
        if till_id is not None and self._link is not None:
            with self._db.read() as session:
                here = session.get(CashSession, till_id)
            if here is None or here.staff_id != actor.staff_id:
                actor.require(Permission.CASH_RECONCILE)

                def remote(session: Session) -> CashSessionView:
                    till = session.get(CashSession, till_id)
                    if till is None:
                        raise ValidationError("没有这个钱箱", "X报表")
                    return till_view(session, till)

                found = self._shared_read(remote)
                assert isinstance(found, CashSessionView)
                return found
        with self._db.unit_of_work() as session:
            if till_id is None:
                found_id = _open_till_id(session, actor, None)
                if found_id is None:
                    raise ValidationError("没有未日结的钱箱", "X报表")
                till_id = found_id
            till = session.get(CashSession, till_id)
            if till is None:
                raise ValidationError("没有这个钱箱", "X报表")
            if till.staff_id != actor.staff_id:
                actor.require(Permission.CASH_RECONCILE)
            view = till_view(session, till)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="cash_session.x_report",
                entity="cash_session",
                entity_id=till.id,
                after={"expected_cash_fen": view.expected_cash_fen, "payments": view.payments},
            )
            return view

    def day_sessions(self, actor: Actor, day: date) -> list[CashSessionView]:
        """Every till of the hall on ``day``, for the supervisor's reconciliation."""
        actor.require(Permission.CASH_RECONCILE)
        from hall_app.services.tills import day_tills

        def work(session: Session) -> list[CashSessionView]:
            return [till_view(session, t) for t in day_tills(session, actor.hall_id, day)]

        found = self._shared_read(work)
        assert isinstance(found, list)
        return found

    def hall_x_report(self, actor: Actor, day: date) -> HallReport:
        """The hall's X report: every till of ``day`` as it stands, and the totals."""
        tills = tuple(self.day_sessions(actor, day))

        def total(f: Callable[[CashSessionView], int]) -> int:
            return sum(f(t) for t in tills)

        return HallReport(
            business_date=day,
            tills=tills,
            float_fen=total(lambda t: t.opening_float_fen),
            cash_fen=total(lambda t: t.cash_fen),
            card_fen=total(lambda t: t.card_fen),
            qr_fen=total(lambda t: t.qr_fen),
            prepaid_fen=total(lambda t: t.prepaid_fen),
            cash_in_fen=total(lambda t: t.cash_in_fen),
            cash_out_fen=total(lambda t: t.cash_out_fen),
            expected_cash_fen=total(lambda t: t.expected_cash_fen),
            payments=total(lambda t: t.payments),
        )

    # -- the hall's day close ---------------------------------------------------------------
    def hall_day(self, actor: Actor, day: date) -> HallDayView:
        """The day's close as it stands (or as it was closed): tills, the Z reports against
        payments and invoices, the differences named."""
        actor.require(Permission.CASH_RECONCILE)

        def work(session: Session) -> HallDayView:
            return self._hall_day(session, actor.hall_id, day)

        found = self._shared_read(work)
        assert isinstance(found, HallDayView)
        return found

    @staticmethod
    def _hall_day(session: Session, hall_id: uuid.UUID, day: date) -> HallDayView:
        view = hall_day(session, hall_id, day)
        closed = session.execute(
            select(HallDayClose.closed_at, Staff.full_name)
            .join(Staff, Staff.id == HallDayClose.closed_by_id)
            .where(HallDayClose.hall_id == hall_id, HallDayClose.business_date == day)
        ).first()
        if closed is None:
            return view
        from dataclasses import replace

        return replace(view, closed_at=closed[0], closed_by=closed[1])

    def close_hall_day(self, actor: Actor, day: date) -> HallDayView:
        """营业厅日结: refused while a till of the day is open or when done already; the
        summary with its differences is kept."""
        actor.require(Permission.CASH_RECONCILE)
        now = self._clock()
        if day > business_date(now):
            raise ValidationError("不能日结未来的营业日", HALL_CLOSE_FIELD)
        table: Table = HallDayClose.__table__  # type: ignore[assignment]

        def close(session: Session) -> tuple[HallDayView, Row]:
            if session.scalar(
                select(HallDayClose.id).where(
                    HallDayClose.hall_id == actor.hall_id, HallDayClose.business_date == day
                )
            ):
                raise ValidationError("该营业日已日结", HALL_CLOSE_FIELD)
            view = hall_day(session, actor.hall_id, day)
            if view.open_tills:
                raise ValidationError(
                    f"还有钱箱未日结：{'、'.join(view.open_tills)}，请先日结", HALL_CLOSE_FIELD
                )
            if not view.tills:
                raise ValidationError(f"{day} 没有钱箱，无需日结", HALL_CLOSE_FIELD)
            done = HallDayClose(
                hall_id=actor.hall_id,
                business_date=day,
                closed_at=now,
                closed_by_id=actor.staff_id,
                summary_json=summary_json(view),
                created_at=now,
                updated_at=now,
            )
            session.add(done)
            session.flush()
            row = dict(session.execute(select(table).where(table.c.id == done.id)).mappings().one())
            return view, row

        with self._db.unit_of_work() as session:
            if self._link is None:
                view, row = close(session)
            else:
                try:
                    view, row = self._link.run(close)
                except Offline:
                    raise ValidationError(
                        "中心数据库暂时连不上，无法日结营业厅", HALL_CLOSE_FIELD
                    ) from None
                mirror(session, [(table, row)])
            audit.record(
                session,
                at=now,
                actor=actor,
                action="hall.day_close",
                entity="hall_day_close",
                entity_id=row["id"],
                after={
                    "business_date": day.isoformat(),
                    "tills": len(view.tills),
                    "differences": list(view.differences),
                },
            )
        from dataclasses import replace

        return replace(view, closed_at=now, closed_by=actor.full_name)
