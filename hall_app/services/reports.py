"""The supervisor's queue review (排队日报): a day's or a month's tickets with the orders they
produced, as a ``QueueReport`` (the figures are computed in ``hall_app.domain.queue_report``).

Three reads: the tickets joined with their type, counter and clerk; the orders and payments
of those tickets (joined on the same ticket range, so a month needs no huge ``IN`` list);
the transfers from the audit log. Reads only: nothing is audited."""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from hall_app.clock import HALL_TZ, Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import AuditEntry, Counter, Order, Payment, QueueTicket, ServiceType, Staff
from hall_app.db.models.org import counter_service_types
from hall_app.domain.enums import OrderState, OrderType
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.queue_report import QueueReport, TicketFacts, build_report
from hall_app.services.actor import Actor

DATE_FIELD = "日期"
# Orders that never went through are no business done (their payments still count: a
# refund nets out).
NOT_BUSINESS = (
    OrderState.DRAFT,
    OrderState.CANCELLED,
    OrderState.REJECTED,
    OrderState.EXPIRED,
    OrderState.WITHDRAWN,
)


@dataclass(frozen=True)
class ReportChoice:
    code: str  # service type code, counter code, or a clerk's staff id (str)
    label: str


@dataclass(frozen=True)
class ReportFilters:
    """What the review can be narrowed to."""

    service_types: tuple[ReportChoice, ...]
    counters: tuple[ReportChoice, ...]
    clerks: tuple[ReportChoice, ...]


class QueueReportService:
    def __init__(self, db: Database, clock: Clock, rules: BusinessRules) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules

    # -- use cases -------------------------------------------------------------------------
    def day(
        self,
        actor: Actor,
        day: date,
        *,
        service_code: str | None = None,
        counter_code: str | None = None,
        staff_id: uuid.UUID | None = None,
    ) -> QueueReport:
        """The review of one business day (30-minute periods)."""
        actor.require(Permission.REPORTS_VIEW)
        self._check_day(day)
        return self._report(actor, day, day, service_code, counter_code, staff_id)

    def month(
        self,
        actor: Actor,
        year: int,
        month: int,
        *,
        service_code: str | None = None,
        counter_code: str | None = None,
        staff_id: uuid.UUID | None = None,
    ) -> QueueReport:
        """The same review over a month (one period per day), up to today."""
        actor.require(Permission.REPORTS_VIEW)
        if not 1 <= month <= 12:
            raise ValidationError(f"月份应为 1–12，实际为 {month}", "月份")
        if not 2000 <= year <= 2999:
            raise ValidationError(f"年份有误：{year}", "年份")
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        today = business_date(self._clock())
        hall_first = self._first_day()
        if first > today:
            raise ValidationError("不能查询未来的日期", DATE_FIELD)
        if last < hall_first:
            raise ValidationError(self._too_early(hall_first), DATE_FIELD)
        first, last = max(first, hall_first), min(last, today)
        return self._report(actor, first, last, service_code, counter_code, staff_id)

    def filters(self, actor: Actor) -> ReportFilters:
        """The service types, counters and clerks of the hall to choose from."""
        actor.require(Permission.REPORTS_VIEW)
        with self._db.read() as session:
            types = session.execute(
                select(ServiceType.code, ServiceType.letter, ServiceType.name).order_by(
                    ServiceType.sort_order, ServiceType.code
                )
            ).all()
            counters = session.execute(
                select(Counter.code, Counter.name)
                .where(Counter.hall_id == actor.hall_id)
                .order_by(Counter.code)
            ).all()
            clerks = session.execute(
                select(Staff.id, Staff.full_name, Staff.employee_no)
                .where(Staff.hall_id == actor.hall_id)
                .order_by(Staff.employee_no, Staff.full_name)
            ).all()
        return ReportFilters(
            service_types=tuple(ReportChoice(c, f"{letter} {name}") for c, letter, name in types),
            counters=tuple(ReportChoice(c, n) for c, n in counters),
            clerks=tuple(ReportChoice(str(i), n) for i, n, _no in clerks),
        )

    # -- helpers ---------------------------------------------------------------------------
    def _first_day(self) -> date:
        return date.fromisoformat(self._rules.hall_first_day)

    @staticmethod
    def _too_early(first: date) -> str:
        return f"不能查询 {first.isoformat()}（本厅首个营业日）之前的日期"

    def _check_day(self, day: date) -> None:
        if day > business_date(self._clock()):
            raise ValidationError("不能查询未来的日期", DATE_FIELD)
        first = self._first_day()
        if day < first:
            raise ValidationError(self._too_early(first), DATE_FIELD)

    def _report(
        self,
        actor: Actor,
        first: date,
        last: date,
        service_code: str | None,
        counter_code: str | None,
        staff_id: uuid.UUID | None,
    ) -> QueueReport:
        with self._db.read() as session:
            labels: list[str] = []
            hall_days: list[ColumnElement[bool]] = [
                QueueTicket.hall_id == actor.hall_id,
                QueueTicket.business_date >= first,
                QueueTicket.business_date <= last,
            ]
            where = list(hall_days)
            if service_code is not None:
                stype = session.execute(
                    select(ServiceType.id, ServiceType.letter, ServiceType.name).where(
                        ServiceType.code == service_code
                    )
                ).one_or_none()
                if stype is None:
                    raise ValidationError(f"没有“{service_code}”这种业务类型", "业务类型")
                where.append(QueueTicket.service_type_id == stype.id)
                labels.append(f"业务类型：{stype.letter} {stype.name}")
            if counter_code is not None:
                counter = session.execute(
                    select(Counter.id, Counter.name).where(
                        Counter.hall_id == actor.hall_id, Counter.code == counter_code
                    )
                ).one_or_none()
                if counter is None:
                    raise ValidationError(f"没有编号为“{counter_code}”的窗口", "窗口")
                where.append(QueueTicket.counter_id == counter.id)
                labels.append(f"窗口：{counter.name}")
            if staff_id is not None:
                name = session.scalar(
                    select(Staff.full_name).where(
                        Staff.id == staff_id, Staff.hall_id == actor.hall_id
                    )
                )
                if name is None:
                    raise ValidationError("本厅没有该营业员", "营业员")
                where.append(QueueTicket.staff_id == staff_id)
                labels.append(f"营业员：{name}")
            tickets = self._tickets(session, where, first, last)
            # Idle time counts the waits of tickets whoever served them: the unfiltered days.
            hall = self._tickets(session, hall_days, first, last) if labels else None
            counter_types = self._counter_types(session, actor.hall_id)
            service_order = {
                code: i
                for i, code in enumerate(
                    session.scalars(
                        select(ServiceType.code).order_by(
                            ServiceType.sort_order, ServiceType.letter
                        )
                    )
                )
            }
        now = self._clock()
        return build_report(
            first,
            last,
            "；".join(labels),
            tickets,
            counter_types=counter_types,
            service_order=service_order,
            now=now if business_date(now) == first == last else None,
            hall_tickets=hall,
        )

    @staticmethod
    def _tickets(
        session: Session, where: list[ColumnElement[bool]], first: date, last: date
    ) -> list[TicketFacts]:
        conditions = and_(*where)
        rows = session.execute(
            select(
                QueueTicket.id,
                QueueTicket.ticket_no,
                ServiceType.code,
                ServiceType.name,
                ServiceType.target_minutes,
                QueueTicket.status,
                QueueTicket.issued_at,
                QueueTicket.called_at,
                QueueTicket.started_at,
                QueueTicket.finished_at,
                QueueTicket.recall_count,
                Counter.code,
                Counter.name,
                QueueTicket.staff_id,
                Staff.full_name,
                QueueTicket.rating,
                QueueTicket.transferred_from_id,
            )
            .join(ServiceType, ServiceType.id == QueueTicket.service_type_id)
            .outerjoin(Counter, Counter.id == QueueTicket.counter_id)
            .outerjoin(Staff, Staff.id == QueueTicket.staff_id)
            .where(conditions)
        ).all()
        if not rows:
            return []
        orders: dict[uuid.UUID, list[OrderType]] = defaultdict(list)
        revenue: dict[uuid.UUID, int] = defaultdict(int)
        # Payments grouped per order of these tickets only (never the whole payments table)
        order_rows = (
            select(Order.ticket_id, Order.order_type, Order.state, func.sum(Payment.amount_fen))
            .join(QueueTicket, QueueTicket.id == Order.ticket_id)
            .outerjoin(Payment, Payment.order_id == Order.id)
            .where(conditions)
            .group_by(Order.id, Order.ticket_id, Order.order_type, Order.state, Order.created_at)
            .order_by(Order.created_at)
        )
        for ticket_id, order_type, state, amount in session.execute(order_rows):
            if ticket_id is None:
                continue
            if state not in NOT_BUSINESS:
                orders[ticket_id].append(order_type)
            revenue[ticket_id] += amount or 0
        # A transfer puts the ticket back in the queue under its new type; the audit log
        # keeps that it happened (the ticket row keeps only its last type; a ticket made
        # from another names it in transferred_from_id).
        start = datetime.combine(first, time(0), tzinfo=HALL_TZ)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=HALL_TZ)
        transferred = set(
            session.scalars(
                select(AuditEntry.entity_id).where(
                    AuditEntry.at >= start,
                    AuditEntry.at < end,
                    AuditEntry.action == "queue.transfer",
                )
            )
        )
        return [
            TicketFacts(
                ticket_id=r[0],
                ticket_no=r[1],
                service_code=r[2],
                service_name=r[3],
                target_minutes=r[4],
                status=r[5],
                issued_at=r[6],
                called_at=r[7],
                started_at=r[8],
                finished_at=r[9],
                recall_count=r[10],
                transferred=r[16] is not None or str(r[0]) in transferred,
                counter_code=r[11],
                counter_name=r[12],
                staff_id=r[13],
                staff_name=r[14],
                order_types=tuple(orders.get(r[0], ())),
                revenue_fen=revenue.get(r[0], 0),
                rating=r[15],
            )
            for r in rows
        ]

    @staticmethod
    def _counter_types(session: Session, hall_id: uuid.UUID) -> dict[str, frozenset[str]]:
        pairs = session.execute(
            select(Counter.code, ServiceType.code)
            .join(counter_service_types, counter_service_types.c.counter_id == Counter.id)
            .join(ServiceType, ServiceType.id == counter_service_types.c.service_type_id)
            .where(Counter.hall_id == hall_id)
        ).all()
        out: dict[str, set[str]] = defaultdict(set)
        for counter, stype in pairs:
            out[counter].add(stype)
        return {k: frozenset(v) for k, v in out.items()}
