"""The customer's evaluation of a visit (服务评价): pressed on the customer screen once the
clerk finishes the ticket (F8).

Rules: four levels (非常满意, 满意, 一般, 不满意); one press counts, within
``evaluation_window_seconds`` of the finish; a second press is refused; when the window
passes without a press the ticket is recorded 未评价 (``no_answer``). 不满意 asks the
customer for a reason, kept with the rating (``rating_note``), and lands in the duty
supervisor's alerts. The evaluation is of the clerk who served the ticket (its ``staff_id``).

On a synced hall the ticket lives on the central database: the evaluation is made there and
mirrored, as the queue's own changes are (a ticket the central database does not have yet, a
walk-in served offline, and an offline counter are changed here, for the next push).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from hall_app.clock import Clock
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Offline, Row, fetch_with_parents, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Counter, QueueTicket, ServiceType, Staff
from hall_app.db.outbox import waiting_to_go
from hall_app.db.text_limits import check_value
from hall_app.domain.enums import Rating, TicketStatus
from hall_app.domain.errors import NotFound, PermissionDenied, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services import audit
from hall_app.services.actor import Actor

FIELD = "服务评价"
REASON_FIELD = "不满意原因"
REASON_LIMIT = 200  # QueueTicket.rating_note
# The reasons the customer screen offers after 不满意 (the customer may also type one).
DISSATISFIED_REASONS: tuple[str, ...] = (
    "等候时间太长",
    "办理速度慢",
    "服务态度不好",
    "业务解释不清楚",
    "问题没有解决",
)
PRESSED = (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.NEUTRAL, Rating.DISSATISFIED)
TICKETS: Table = QueueTicket.__table__  # type: ignore[assignment]
Change = Callable[[QueueTicket, datetime], dict[str, object]]


@dataclass(frozen=True)
class EvaluationView:
    ticket_id: uuid.UUID
    ticket_no: str
    staff_id: uuid.UUID | None
    finished_at: datetime | None
    rating: Rating | None
    rated_at: datetime | None
    note: str
    window_ends: datetime | None  # finish + the window (None: not finished)


@dataclass(frozen=True)
class EvaluationAlert:
    """A 不满意 for the duty supervisor."""

    ticket_id: uuid.UUID
    ticket_no: str
    service_name: str
    staff_id: uuid.UUID | None
    staff_name: str
    counter_name: str
    finished_at: datetime | None
    rated_at: datetime
    note: str  # the customer's reason ("" when none was given)


class EvaluationService:
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
        self._link = link if link is not None and link.configured else None

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self._rules.evaluation_window_seconds)

    # -- the customer screen --------------------------------------------------------------
    def rate(
        self, actor: Actor, ticket_id: uuid.UUID, rating: Rating, note: str = ""
    ) -> EvaluationView:
        """The customer's press: once, within the window after the clerk finished."""
        actor.require(Permission.QUEUE_WORK)
        if rating not in PRESSED:
            raise ValidationError("请选择 非常满意、满意、一般 或 不满意", FIELD)
        note = note.strip()
        if rating is not Rating.DISSATISFIED and note:
            raise ValidationError("只有“不满意”需要填写原因", REASON_FIELD)
        check_value(REASON_FIELD, REASON_LIMIT, note)
        window = self.window

        def values(t: QueueTicket, now: datetime) -> dict[str, object]:
            self._require_unrated(t)
            assert t.finished_at is not None
            if now > t.finished_at + window:
                raise ValidationError(
                    f"评价时间已过（办结后 {window.seconds} 秒内有效），已记为“未评价”", FIELD
                )
            return {"rating": rating, "rated_at": now, "rating_note": note}

        return self._change(actor, ticket_id, "evaluation.rate", values)

    def give_reason(self, actor: Actor, ticket_id: uuid.UUID, note: str) -> EvaluationView:
        """Why the customer pressed 不满意, chosen or typed after the press (once, within the
        window again from the press)."""
        actor.require(Permission.QUEUE_WORK)
        note = note.strip()
        if not note:
            raise ValidationError("请选择或填写不满意的原因", REASON_FIELD)
        check_value(REASON_FIELD, REASON_LIMIT, note)
        window = self.window

        def values(t: QueueTicket, now: datetime) -> dict[str, object]:
            if t.rating is not Rating.DISSATISFIED:
                raise ValidationError(f"{t.ticket_no} 的评价不是“不满意”，无需填写原因", FIELD)
            if t.rating_note:
                raise ValidationError(f"{t.ticket_no} 的不满意原因已填写", REASON_FIELD)
            assert t.rated_at is not None
            if now > t.rated_at + window:
                raise ValidationError("填写原因的时间已过", REASON_FIELD)
            return {"rating_note": note}

        return self._change(actor, ticket_id, "evaluation.reason", values)

    def no_answer(self, actor: Actor, ticket_id: uuid.UUID) -> EvaluationView:
        """The window passed without a press: recorded as 未评价."""
        actor.require(Permission.QUEUE_WORK)
        window = self.window

        def values(t: QueueTicket, now: datetime) -> dict[str, object]:
            self._require_unrated(t)
            assert t.finished_at is not None
            ends = t.finished_at + window
            if now < ends:
                left = int((ends - now).total_seconds()) + 1
                raise ValidationError(f"评价时间还剩 {left} 秒，顾客仍可评价", FIELD)
            return {"rating": Rating.NO_ANSWER, "rated_at": now, "rating_note": ""}

        return self._change(actor, ticket_id, "evaluation.no_answer", values)

    def get(self, actor: Actor, ticket_id: uuid.UUID) -> EvaluationView:
        """The ticket's evaluation, as this counter has it."""
        actor.require(Permission.QUEUE_WORK)
        with self._db.read() as session:
            t = session.get(QueueTicket, ticket_id)
            if t is None:
                raise NotFound("没有这张排队号", "排队号")
            return self._view(t)

    # -- the duty supervisor --------------------------------------------------------------
    def alerts(self, actor: Actor, day: date) -> list[EvaluationAlert]:
        """The day's 不满意, newest first (the hall's: read centrally on a synced hall)."""
        if not (actor.can(Permission.APPROVE) or actor.can(Permission.REPORTS_VIEW)):
            raise PermissionDenied(
                f"{actor.full_name}（{actor.role.label}）没有查看不满意评价的权限", "权限"
            )

        def read(session: Session) -> list[EvaluationAlert]:
            rows = session.execute(
                select(QueueTicket, ServiceType.name, Staff.full_name, Counter.name)
                .join(ServiceType, ServiceType.id == QueueTicket.service_type_id)
                .outerjoin(Staff, Staff.id == QueueTicket.staff_id)
                .outerjoin(Counter, Counter.id == QueueTicket.counter_id)
                .where(
                    QueueTicket.hall_id == actor.hall_id,
                    QueueTicket.business_date == day,
                    QueueTicket.rating == Rating.DISSATISFIED,
                )
                .order_by(QueueTicket.rated_at.desc(), QueueTicket.ticket_no)
            ).all()
            out: list[EvaluationAlert] = []
            for t, service_name, staff_name, counter_name in rows:
                assert t.rated_at is not None
                out.append(
                    EvaluationAlert(
                        ticket_id=t.id,
                        ticket_no=t.ticket_no,
                        service_name=service_name,
                        staff_id=t.staff_id,
                        staff_name=staff_name or "",
                        counter_name=counter_name or "",
                        finished_at=t.finished_at,
                        rated_at=t.rated_at,
                        note=t.rating_note,
                    )
                )
            return out

        if self._link is not None:
            try:
                return self._link.run(read)
            except Offline:
                pass  # what this counter knows
        with self._db.read() as session:
            return read(session)

    # -- helpers --------------------------------------------------------------------------
    @staticmethod
    def _require_unrated(t: QueueTicket) -> None:
        if t.status is not TicketStatus.DONE or t.finished_at is None:
            raise ValidationError(f"{t.ticket_no} 尚未办结，不能评价", FIELD)
        if t.rating is not None:
            raise ValidationError(f"{t.ticket_no} 已评价（{t.rating.label}），一次评价为准", FIELD)

    def _change(
        self, actor: Actor, ticket_id: uuid.UUID, action: str, values: Change
    ) -> EvaluationView:
        now = self._clock()
        if self._link is not None and not self._waiting_to_go(ticket_id):

            def change(central: Session) -> tuple[list[tuple[Table, Row]], dict[str, object]]:
                before = self._apply(central, actor, ticket_id, values, now)
                row = central.execute(select(TICKETS).where(TICKETS.c.id == ticket_id))
                return fetch_with_parents(central, TICKETS, dict(row.mappings().one())), before

            try:
                rows, before = self._link.run(change)
            except (Offline, NotFound):
                pass  # an offline counter, or a walk-in the central database has not got yet
            else:
                with self._db.unit_of_work() as session:
                    mirror(session, rows)
                    view = self._view(session.get_one(QueueTicket, ticket_id))
                    self._audit(session, actor, action, view, before, now)
                return view
        with self._db.unit_of_work() as session:
            before = self._apply(session, actor, ticket_id, values, now)
            view = self._view(session.get_one(QueueTicket, ticket_id))
            self._audit(session, actor, action, view, before, now)
        return view

    def _waiting_to_go(self, ticket_id: uuid.UUID) -> bool:
        with self._db.read() as session:
            return waiting_to_go(session, "queue_tickets", ticket_id)

    @staticmethod
    def _apply(
        session: Session, actor: Actor, ticket_id: uuid.UUID, values: Change, now: datetime
    ) -> dict[str, object]:
        ticket = session.get(QueueTicket, ticket_id, with_for_update=True)
        if ticket is None:
            raise NotFound("没有这张排队号", "排队号")
        if ticket.staff_id != actor.staff_id:
            # The customer screen belongs to the counter that served the visit.
            raise ValidationError(f"{ticket.ticket_no} 不是由您办结的，不能在此评价", FIELD)
        before: dict[str, object] = {
            "rating": ticket.rating.value if ticket.rating else None,
            "rating_note": ticket.rating_note,
        }
        for key, value in values(ticket, now).items():
            setattr(ticket, key, value)
        # Last writer wins compares stamps between counters and the central database.
        ticket.updated_at = max(now, ticket.updated_at + timedelta(microseconds=1))
        session.flush()
        return before

    @staticmethod
    def _audit(
        session: Session,
        actor: Actor,
        action: str,
        view: EvaluationView,
        before: dict[str, object],
        now: datetime,
    ) -> None:
        audit.record(
            session,
            at=now,
            actor=actor,
            action=action,
            entity="queue_ticket",
            entity_id=view.ticket_id,
            before=before,
            after={
                "ticket_no": view.ticket_no,
                "rating": view.rating.value if view.rating else None,
                "rating_note": view.note,
            },
        )

    def _view(self, t: QueueTicket) -> EvaluationView:
        return EvaluationView(
            ticket_id=t.id,
            ticket_no=t.ticket_no,
            staff_id=t.staff_id,
            finished_at=t.finished_at,
            rating=t.rating,
            rated_at=t.rated_at,
            note=t.rating_note,
            window_ends=None if t.finished_at is None else t.finished_at + self.window,
        )
