"""The supervisor's side of the tills, mixed into ``CashService``: the Z report numbered (by
the central database on a synced hall) and frozen at the close, its prints and reprints, X
reports of a till and of the hall, and the hall's day close. Hall-wide reads run on the
central database when the hall is synced (it has every counter's tills)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.db.central import CentralLink, Offline, Row, mirror
from hall_app.db.engine import Database
from hall_app.db.models import (
    AuditEntry,
    CashSession,
    Counter,
    HallDayClose,
    PrintRecord,
    Staff,
    ZReport,
)
from hall_app.db.text_limits import check_value
from hall_app.domain.errors import NotFound, StorageError, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.till import z_ref
from hall_app.services import audit, audit_chain
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind, PrintedDocument
from hall_app.services.tills import (
    Z_DOCUMENT,
    CashSessionView,
    HallDayView,
    ZReportView,
    day_tills,
    hall_day,
    open_till_id,
    summary_json,
    till_view,
    z_content,
    z_view,
)

CLOSE_FIELD = "日结"
HALL_CLOSE_FIELD = "营业厅日结"
MAX_REASON = 200


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


def hall_till(session: Session, actor: Actor, till_id: uuid.UUID, field: str) -> CashSession:
    """A till of the actor's hall (the central database holds every hall's tills): another
    hall's is not found."""
    till = session.get(CashSession, till_id)
    if till is None or session.get_one(Counter, till.counter_id).hall_id != actor.hall_id:
        raise NotFound("没有这个钱箱", field)
    return till


def counted(till: CashSession) -> bool:
    return bool(till.counts_json) or till.counted_cash_fen is not None


BLIND_X = "盲点：请先点钞（按面额清点钱箱，填写刷卡和扫码结算）后再看本钱箱的X报表"


class TillReports:
    _db: Database
    _clock: Clock
    _link: CentralLink | None

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

        # The counter's audit chain head at the close, printed on the Z report: it anchors
        # the day (an entry deleted or rewritten before it is found against the paper).
        head = audit_chain.chain_head(session, till.counter_id)

        def content(z_no: int) -> str:
            frozen = z_content(
                session,
                till,
                z_no=z_no,
                made_at=now,
                closed_by=actor.full_name,
                signed_off_by=signer,
                approval=how,
                x_reports=int(tallies.get("cash_session.x_report", 0)),
                counts_made=int(tallies.get("cash_session.count", 0)),
            )
            frozen["audit_head"] = None if head is None else {"seq": head[0], "hash": head[1]}
            return json.dumps(frozen, ensure_ascii=False)

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
            till = hall_till(session, actor, till_id, CLOSE_FIELD)
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
                        PrintRecord.document_ref == z.print_ref,
                    )
                )
                or 0
            ) + 1
            if copy_no > 1 and not reason:
                raise ValidationError("日结单已打印过，重打须填写原因", "重打原因")
            printed = PrintRecord(
                document_type=Z_DOCUMENT,
                document_ref=z.print_ref,
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
        """A till as it stands, nothing closed: the clerk's own till once it is counted (the
        count is blind: what it should hold is not shown before), audited and counted on the
        Z report; or any till of the hall with CASH_RECONCILE."""
        actor.require(Permission.PAYMENT_TAKE)
        now = self._clock()
        if till_id is not None and self._link is not None:
            with self._db.read() as session:
                here = session.get(CashSession, till_id)
            if here is None or here.staff_id != actor.staff_id:
                actor.require(Permission.CASH_RECONCILE)
                wanted = till_id

                def remote(session: Session) -> CashSessionView:
                    return till_view(session, hall_till(session, actor, wanted, "X报表"))

                found = self._shared_read(remote)
                assert isinstance(found, CashSessionView)
                return found
        with self._db.unit_of_work() as session:
            if till_id is None:
                found_id = open_till_id(session, actor, None)
                if found_id is None:
                    raise ValidationError("没有未日结的钱箱", "X报表")
                till_id = found_id
            till = hall_till(session, actor, till_id, "X报表")
            if till.staff_id != actor.staff_id:
                actor.require(Permission.CASH_RECONCILE)
            elif not actor.can(Permission.CASH_RECONCILE) and not counted(till):
                raise ValidationError(BLIND_X, "X报表")
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
        return replace(view, closed_at=closed[0], closed_by=closed[1])

    def check_hall_close(self, actor: Actor, day: date) -> HallDayView:
        """What 营业厅日结 of ``day`` would close, refused as ``close_hall_day`` refuses it (a
        future day, closed already, a till still open, no till at all), so the desk asks to
        confirm only a close that can be made. Writes nothing."""
        actor.require(Permission.CASH_RECONCILE)
        if day > business_date(self._clock()):
            raise ValidationError("不能日结未来的营业日", HALL_CLOSE_FIELD)
        view = self.hall_day(actor, day)
        if view.closed:
            raise ValidationError("该营业日已日结", HALL_CLOSE_FIELD)
        _refuse_close(view)
        return view

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
            _refuse_close(view)
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
        return replace(view, closed_at=now, closed_by=actor.full_name)


def _refuse_close(view: HallDayView) -> None:
    """The day cannot be closed: a till still open, or none at all."""
    if view.open_tills:
        raise ValidationError(
            f"还有钱箱未日结：{'、'.join(view.open_tills)}，请先日结", HALL_CLOSE_FIELD
        )
    if not view.tills:
        raise ValidationError(f"{view.business_date} 没有钱箱，无需日结", HALL_CLOSE_FIELD)
