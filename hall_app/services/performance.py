"""Staff performance (员工考核): a clerk's or the hall's figures for a day, a week or a month,
and the monthly appraisal sheet (月度考核表).

Per clerk: the tickets they served with the queue review's own definitions
(``hall_app.domain.queue_report.figures``: served, average service time, within target), the
orders they took by type and the payments they took (revenue), the customers' evaluations
(counts per level, % satisfied = 非常满意 + 满意 of the answers, the 不满意 list), and what
they caused to be redone: reprints of documents and red-letter invoices against invoices they
issued. Only supervisors and admins (REPORTS_VIEW) see others' figures; a clerk sees their own.

On a synced hall the hall's tickets are on the central database (each counter holds only the
tickets it has seen): read there while the link is up, else what this counter has.
Reads only: nothing is audited.
"""

from __future__ import annotations

import calendar
import uuid
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from hall_app.clock import HALL_TZ, Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db import crypto
from hall_app.db.central import CentralLink, Offline
from hall_app.db.engine import Database
from hall_app.db.models import Invoice, Order, Payment, PrintRecord, QueueTicket, Staff
from hall_app.domain.appraisal import Kpi, KpiScore, kpis, ranks, score
from hall_app.domain.enums import InvoiceKind, OrderType, Rating, Role
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.queue_report import Figures, TicketFacts, figures
from hall_app.services.actor import Actor
from hall_app.services.reports import NOT_BUSINESS, QueueReportService

DATE_FIELD = "日期"
PERIODS = {"day": "日", "week": "周", "month": "月"}
ANSWERS = (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.NEUTRAL, Rating.DISSATISFIED)
T = TypeVar("T")


@dataclass(frozen=True)
class OrderCount:
    order_type: OrderType
    label: str
    orders: int


@dataclass(frozen=True)
class Complaint:
    """A 不满意, with the customer's reason."""

    ticket_id: uuid.UUID
    ticket_no: str
    staff_id: uuid.UUID | None
    staff_name: str
    finished_at: datetime | None
    rated_at: datetime | None
    note: str


@dataclass(frozen=True)
class ClerkPerformance:
    staff_id: uuid.UUID
    staff_name: str
    employee_no: str
    first_day: date
    last_day: date
    tickets: Figures  # served, service_avg_s, within_target_pct …
    orders: tuple[OrderCount, ...]  # by type, most first
    revenue_fen: int  # payments taken
    ratings: tuple[tuple[Rating, int], ...]  # every level; 未评价 includes tickets never rated
    satisfied_pct: float | None  # 非常满意 + 满意 of the answers (未评价 excluded)
    dissatisfied: tuple[Complaint, ...]
    reprints: int  # documents printed again (重打)
    red_letters: int  # red-letter invoices against invoices this clerk issued

    @property
    def orders_total(self) -> int:
        return sum(o.orders for o in self.orders)

    @property
    def answered(self) -> int:
        return sum(n for r, n in self.ratings if r in ANSWERS)

    def rating_count(self, rating: Rating) -> int:
        return dict(self.ratings).get(rating, 0)


@dataclass(frozen=True)
class HallPerformance:
    first_day: date
    last_day: date
    total: Figures  # every ticket of the hall in the period
    clerks: tuple[ClerkPerformance, ...]  # by employee number
    dissatisfied: tuple[Complaint, ...]  # the hall's 不满意, newest first


@dataclass(frozen=True)
class AppraisalRow:
    staff_id: uuid.UUID
    staff_name: str
    employee_no: str
    scores: tuple[KpiScore, ...]
    score: float  # 0 … 100
    rank: int  # in the hall, 1 best


@dataclass(frozen=True)
class AppraisalSheet:
    hall_name: str
    year: int
    month: int
    first_day: date
    last_day: date
    made_at: datetime
    kpis: tuple[Kpi, ...]
    rows: tuple[AppraisalRow, ...]  # by rank (a clerk: their own row only)
    hall_size: int  # clerks ranked

    @property
    def title(self) -> str:
        return f"{self.year}年{self.month}月 员工月度考核表"


def period_days(kind: str, anchor: date) -> tuple[date, date]:
    """The day, the week (Monday to Sunday) or the month holding ``anchor``."""
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        last = calendar.monthrange(anchor.year, anchor.month)[1]
        return anchor.replace(day=1), anchor.replace(day=last)
    raise ValidationError("期间只能是日、周或月", "期间")


class PerformanceService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: BusinessRules,
        link: CentralLink | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules
        self._kpis = kpis(rules.appraisal_kpis)
        self._link = link if link is not None and link.configured else None

    # -- the use cases ------------------------------------------------------------------------
    def clerk(self, actor: Actor, staff_id: uuid.UUID, first: date, last: date) -> ClerkPerformance:
        """One staff member's figures; a clerk only their own."""
        actor.require(Permission.QUEUE_WORK)
        if staff_id != actor.staff_id and not actor.can(Permission.REPORTS_VIEW):
            raise PermissionDenied("只能查看本人的业绩；查看他人业绩需要主管权限", "权限")
        self._check_range(first, last)

        def read(session: Session) -> ClerkPerformance:
            got = self._load(session, actor.hall_id, first, last, staff_id).people
            if staff_id not in got:
                raise ValidationError("本厅没有该员工", "员工")
            return got[staff_id]

        return self._read(read)

    def hall(self, actor: Actor, first: date, last: date) -> HallPerformance:
        """Every clerk's figures, the hall's total and its 不满意 (REPORTS_VIEW)."""
        actor.require(Permission.REPORTS_VIEW)
        self._check_range(first, last)

        def read(session: Session) -> HallPerformance:
            loaded = self._load(session, actor.hall_id, first, last, None)
            got, tickets = loaded.people, loaded.tickets
            clerks = tuple(sorted(got.values(), key=lambda c: c.employee_no))
            complaints = sorted(
                (c for p in clerks for c in p.dissatisfied),
                key=lambda c: c.rated_at or datetime.min.replace(tzinfo=HALL_TZ),
                reverse=True,
            )
            return HallPerformance(
                first_day=first,
                last_day=last,
                total=figures("all", "全厅", tickets),
                clerks=clerks,
                dissatisfied=tuple(complaints),
            )

        return self._read(read)

    def appraisal(self, actor: Actor, year: int, month: int) -> AppraisalSheet:
        """The month's appraisal sheet: every clerk's KPIs, score and rank in the hall. A clerk
        gets their own row (with their rank); a supervisor every row."""
        actor.require(Permission.QUEUE_WORK)  # a clerk's own; REPORTS_VIEW for every row
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            raise ValidationError("请选择正确的年月", "考核月份")
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        today = business_date(self._clock())
        if first > today:
            raise ValidationError("不能考核未来的月份", "考核月份")
        self._check_range(first, min(last, today), field="考核月份")

        loaded = self._read(lambda s: self._load(s, actor.hall_id, first, last, None))
        ranked = [p for p in loaded.people.values() if p.staff_id in loaded.ranked]
        rows = [self._row(p) for p in ranked]
        places = ranks([r.score for r in rows])
        rows = [
            AppraisalRow(r.staff_id, r.staff_name, r.employee_no, r.scores, r.score, place)
            for r, place in zip(rows, places, strict=True)
        ]
        rows.sort(key=lambda r: (r.rank, r.employee_no))
        if not actor.can(Permission.REPORTS_VIEW):
            rows = [r for r in rows if r.staff_id == actor.staff_id]
        return AppraisalSheet(
            hall_name=actor.hall_name,
            year=year,
            month=month,
            first_day=first,
            last_day=last,
            made_at=self._clock(),
            kpis=self._kpis,
            rows=tuple(rows),
            hall_size=len(ranked),
        )

    # -- the appraisal ------------------------------------------------------------------------
    def _row(self, p: ClerkPerformance) -> AppraisalRow:
        scores = tuple(score(k, kpi_value(k.code, p)) for k in self._kpis)
        return AppraisalRow(
            p.staff_id, p.staff_name, p.employee_no, scores, sum(s.points for s in scores), 0
        )

    # -- reading ------------------------------------------------------------------------------
    def _read(self, work: Callable[[Session], T]) -> T:
        if self._link is not None:
            try:
                return self._link.run(work)
            except Offline:
                pass  # what this counter has
        with self._db.read() as session:
            return work(session)

    def _check_range(self, first: date, last: date, field: str = DATE_FIELD) -> None:
        if first > last:
            raise ValidationError("开始日期不能晚于结束日期", field)
        if last > business_date(self._clock()):
            raise ValidationError("不能查询未来的日期", field)
        hall_first = date.fromisoformat(self._rules.hall_first_day)
        if first < hall_first:
            raise ValidationError(
                f"本厅从 {hall_first:%Y-%m-%d} 起才有记录，请选择之后的日期", field
            )

    @staticmethod
    def _where(hall_id: uuid.UUID, first: date, last: date) -> list[ColumnElement[bool]]:
        return [
            QueueTicket.hall_id == hall_id,
            QueueTicket.business_date >= first,
            QueueTicket.business_date <= last,
        ]

    def _load(
        self,
        session: Session,
        hall_id: uuid.UUID,
        first: date,
        last: date,
        staff_id: uuid.UUID | None,
    ) -> _Loaded:
        """Each staff member's figures (one, with ``staff_id``), and the tickets read (the
        queue review's own reading: one query for the tickets, one for their orders)."""
        start = datetime.combine(first, time(0), tzinfo=HALL_TZ)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=HALL_TZ)
        staff_where: list[ColumnElement[bool]] = [Staff.hall_id == hall_id]
        ticket_where = self._where(hall_id, first, last)
        if staff_id is not None:
            staff_where.append(Staff.id == staff_id)
            ticket_where.append(QueueTicket.staff_id == staff_id)
        people = session.execute(
            select(Staff.id, Staff.full_name, Staff.employee_no, Staff.role, Staff.active).where(
                *staff_where
            )
        ).all()
        tickets = QueueReportService._tickets(session, ticket_where, first, last)
        by_staff: dict[uuid.UUID, list[TicketFacts]] = defaultdict(list)
        for t in tickets:
            if t.staff_id is not None:
                by_staff[t.staff_id].append(t)

        in_range = and_(Order.hall_id == hall_id, Order.created_at >= start, Order.created_at < end)
        order_where = [in_range, Order.state.not_in(NOT_BUSINESS)]
        if staff_id is not None:
            order_where.append(Order.staff_id == staff_id)
        orders: dict[uuid.UUID, Tally[OrderType]] = defaultdict(Tally)
        for sid, otype, n in session.execute(
            select(Order.staff_id, Order.order_type, func.count())
            .where(*order_where)
            .group_by(Order.staff_id, Order.order_type)
        ):
            orders[sid][otype] += n
        pay_where = [in_range, Payment.paid_at >= start, Payment.paid_at < end]
        if staff_id is not None:
            pay_where.append(Payment.staff_id == staff_id)
        revenue: dict[uuid.UUID, int] = {
            sid: int(total or 0)
            for sid, total in session.execute(
                select(Payment.staff_id, func.sum(Payment.amount_fen))
                .join(Order, Order.id == Payment.order_id)
                .where(*pay_where)
                .group_by(Payment.staff_id)
            )
        }
        print_where = [
            PrintRecord.copy_no > 1,
            PrintRecord.printed_at >= start,
            PrintRecord.printed_at < end,
        ]
        if staff_id is not None:
            print_where.append(PrintRecord.staff_id == staff_id)
        reprints: dict[uuid.UUID, int] = _counts(
            session.execute(
                select(PrintRecord.staff_id, func.count())
                .join(Staff, Staff.id == PrintRecord.staff_id)
                .where(*print_where, Staff.hall_id == hall_id)
                .group_by(PrintRecord.staff_id)
            )
        )
        original = aliased(Invoice)
        red_where = [
            Invoice.kind == InvoiceKind.RED,
            Invoice.issued_at >= start,
            Invoice.issued_at < end,
        ]
        if staff_id is not None:
            red_where.append(original.issuer_id == staff_id)
        red: dict[uuid.UUID, int] = _counts(
            session.execute(
                select(original.issuer_id, func.count())
                .select_from(Invoice)
                .join(original, original.id == Invoice.original_invoice_id)
                .join(Staff, Staff.id == original.issuer_id)
                .where(*red_where, Staff.hall_id == hall_id)
                .group_by(original.issuer_id)
            )
        )
        notes: dict[uuid.UUID, tuple[datetime | None, str]] = {
            tid: (rated_at, crypto.open_value(note, "queue_tickets", "rating_note", tid) or "")
            for tid, rated_at, note in session.execute(
                select(QueueTicket.id, QueueTicket.rated_at, QueueTicket.rating_note).where(
                    *ticket_where, QueueTicket.rating == Rating.DISSATISFIED
                )
            )
        }

        out: dict[uuid.UUID, ClerkPerformance] = {}
        ranked: set[uuid.UUID] = set()
        for sid, name, employee_no, role, active in people:
            mine = by_staff.get(sid, [])
            active_here = bool(mine or orders.get(sid) or revenue.get(sid))
            if not active_here and (role is not Role.CLERK or not active) and staff_id is None:
                continue  # a supervisor or an inactive account with nothing in the period
            served = [t for t in mine if t.served]
            tally = Tally(t.rating or Rating.NO_ANSWER for t in served)
            answered = sum(tally[r] for r in ANSWERS)
            happy = tally[Rating.VERY_SATISFIED] + tally[Rating.SATISFIED]
            complaints = sorted(
                (
                    Complaint(
                        ticket_id=t.ticket_id,
                        ticket_no=t.ticket_no,
                        staff_id=sid,
                        staff_name=name,
                        finished_at=t.finished_at,
                        rated_at=notes.get(t.ticket_id, (None, ""))[0],
                        note=notes.get(t.ticket_id, (None, ""))[1],
                    )
                    for t in served
                    if t.rating is Rating.DISSATISFIED
                ),
                key=lambda c: c.rated_at or start,
                reverse=True,
            )
            by_type = orders.get(sid, Tally())
            if role is Role.CLERK or active_here:
                ranked.add(sid)  # in the appraisal: a clerk, or anyone who served
            out[sid] = ClerkPerformance(
                staff_id=sid,
                staff_name=name,
                employee_no=employee_no,
                first_day=first,
                last_day=last,
                tickets=figures(str(sid), name, mine),
                orders=tuple(
                    OrderCount(t, t.label, n)
                    for t, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0].value))
                ),
                revenue_fen=revenue.get(sid, 0),
                ratings=tuple((r, tally[r]) for r in (*ANSWERS, Rating.NO_ANSWER)),
                satisfied_pct=None if answered == 0 else happy * 100.0 / answered,
                dissatisfied=tuple(complaints),
                reprints=reprints.get(sid, 0),
                red_letters=red.get(sid, 0),
            )
        return _Loaded(out, ranked, tickets)


def _counts(rows: Iterable[Any]) -> dict[uuid.UUID, int]:
    """(staff id, count) rows as a mapping."""
    return {row[0]: int(row[1]) for row in rows}


@dataclass(frozen=True)
class _Loaded:
    people: dict[uuid.UUID, ClerkPerformance]
    ranked: set[uuid.UUID]  # in the appraisal: the clerks, and anyone who served
    tickets: list[TicketFacts]


def kpi_value(code: str, p: ClerkPerformance) -> float | None:
    """A KPI's value for one clerk's month (None: no data)."""
    if code == "served":
        return float(p.tickets.served)
    if code == "within_target_pct":
        return p.tickets.within_target_pct
    if code == "avg_service_minutes":
        avg = p.tickets.service_avg_s
        return None if avg is None else avg / 60
    if code == "satisfied_pct":
        return p.satisfied_pct
    if code == "revenue_fen":
        return float(p.revenue_fen)
    raise ValueError(code)
