"""The queue: issuing tickets, calling the next one at a counter, recalls, no-shows,
transfers, walk-ins, and finishing a visit.

Two counters never get the same ticket: ``call_next`` is one UPDATE whose WHERE picks the next
waiting ticket and re-checks that it is still waiting. On SQLite that statement opens the
transaction and takes the write lock before it reads; on PostgreSQL the subquery locks the row
with FOR UPDATE SKIP LOCKED, so a central server enforces the same rule.

A counter synced with a central database (``CentralLink``) takes tickets there: issuing,
calling the next one and serving a walk-in run on the central database, and the ticket is
mirrored locally. Offline, it serves only walk-ins (numbered with its own window code, A01-001,
so they never clash with the hall's) and tickets addressed to it: never one that another
counter may call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Offline, Row, fetch_with_parents, mirror
from hall_app.db.engine import Database
from hall_app.db.models import (
    Counter,
    QueueTicket,
    ServiceType,
    counter_service_types,
)
from hall_app.db.outbox import waiting_to_go
from hall_app.db.text_limits import check_value
from hall_app.domain.enums import TicketStatus
from hall_app.domain.errors import NotFound, StorageError, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.queue import estimated_wait_minutes, ticket_number
from hall_app.services import audit, restore_mark
from hall_app.services.actor import Actor

TICKET_FIELD = "排队号"
Changes = Callable[[Session, QueueTicket, datetime], dict[str, object]]


@dataclass(frozen=True)
class TicketView:
    id: uuid.UUID
    ticket_no: str
    service_code: str
    service_name: str
    is_vip: bool
    status: TicketStatus
    is_walk_in: bool
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    recall_count: int
    counter_name: str | None
    waiting_ahead: int
    estimated_wait_minutes: int


@dataclass(frozen=True)
class WaitingCount:
    service_code: str
    service_name: str
    letter: str
    waiting: int


@dataclass(frozen=True)
class ServiceTypeView:
    code: str
    letter: str
    name: str
    is_vip: bool


OFFLINE_NO_TICKETS = "与中心数据库断开：离线时不能发放全厅的排队号，请直接在窗口办理（现场办理）"
TICKETS: Table = QueueTicket.__table__  # type: ignore[assignment]


class QueueService:
    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        link: CentralLink | None = None,
    ) -> None:
        self._db = db
        self._rules = rules
        self._clock = clock
        self._link = link if link is not None and link.configured else None

    def _central(
        self, work: Callable[[Session], list[tuple[Table, Row]] | None]
    ) -> list[tuple[Table, Row]] | None:
        """``work`` on the central database, again if it lost a race for a ticket number."""
        assert self._link is not None
        for attempt in range(5):
            try:
                return self._link.run(work)
            except StorageError as exc:
                if not isinstance(exc.__cause__, IntegrityError) or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _mirrored(
        self,
        actor: Actor,
        rows: list[tuple[Table, Row]],
        action: str,
        after: dict[str, object],
        ahead: int | None = None,
    ) -> TicketView:
        """The ticket the central database gave this counter, written locally, audited."""
        ticket_id = rows[-1][1]["id"]
        with self._db.unit_of_work() as session:
            mirror(session, rows)
            view = self._view(session, ticket_id, ahead)
            audit.record(
                session,
                at=self._clock(),
                actor=actor,
                action=action,
                entity="queue_ticket",
                entity_id=ticket_id,
                after={**after, "ticket_no": view.ticket_no},
            )
        return view

    # -- reception ------------------------------------------------------------------------
    def issue_ticket(self, actor: Actor, service_code: str) -> TicketView:
        """A new ticket for today, numbered per service type (A001, A002 …)."""
        actor.require(Permission.QUEUE_WORK)
        if self._link is not None:
            ahead: list[int] = []

            def issue(central: Session) -> list[tuple[Table, Row]]:
                ticket_id = self._insert_ticket(central, actor, service_code, walk_in=False)
                ahead[:] = [self._ahead(central, ticket_id)]  # the hall's queue, for the slip
                return self._fetch(central, ticket_id)

            try:
                rows = self._central(issue)
            except Offline:
                raise ValidationError(OFFLINE_NO_TICKETS, TICKET_FIELD) from None
            assert rows is not None
            return self._mirrored(actor, rows, "queue.issue", {"status": "waiting"}, ahead[0])

        def work(session: Session) -> TicketView:
            ticket_id = self._insert_ticket(session, actor, service_code, walk_in=False)
            view = self._view(session, ticket_id)
            audit.record(
                session,
                at=self._clock(),
                actor=actor,
                action="queue.issue",
                entity="queue_ticket",
                entity_id=ticket_id,
                after={"ticket_no": view.ticket_no},
            )
            return view

        return self._db.write_numbered(work)

    @staticmethod
    def _fetch(central: Session, ticket_id: uuid.UUID) -> list[tuple[Table, Row]]:
        row = central.execute(select(TICKETS).where(TICKETS.c.id == ticket_id)).mappings().one()
        return fetch_with_parents(central, TICKETS, dict(row))

    def _insert_ticket(
        self,
        session: Session,
        actor: Actor,
        service_code: str,
        *,
        walk_in: bool,
        offline_code: str | None = None,
    ) -> uuid.UUID:
        now = self._clock()
        today = business_date(now)
        check_value("业务类型", None, service_code)  # a lone surrogate cannot be bound
        stype = session.scalars(
            select(ServiceType).where(ServiceType.code == service_code)
        ).one_or_none()
        if stype is None:
            raise ValidationError(f"没有“{service_code}”这种业务类型", "业务类型")
        # The series is the letter's, not the type's: a ticket transferred to another type
        # keeps its number (C001 served as B), and the next C ticket is still C002. The
        # range on ticket_no uses the (hall, day, ticket_no) unique index.
        next_seq = (
            select(func.coalesce(func.max(QueueTicket.seq), 0) + 1)
            .where(
                QueueTicket.hall_id == actor.hall_id,
                QueueTicket.business_date == today,
                QueueTicket.ticket_no >= stype.letter,
                QueueTicket.ticket_no < chr(ord(stype.letter) + 1),
            )
            .scalar_subquery()
        )
        ticket_id = uuid.uuid4()
        seq = session.execute(
            insert(QueueTicket)
            .values(
                id=ticket_id,
                created_at=now,
                updated_at=now,
                hall_id=actor.hall_id,
                service_type_id=stype.id,
                business_date=today,
                seq=next_seq,
                ticket_no="",
                status=TicketStatus.WAITING,
                is_walk_in=walk_in,
                issued_at=now,
                recall_count=0,
            )
            .returning(QueueTicket.seq)
        ).scalar_one()
        number = ticket_number(stype.letter, seq)
        if offline_code is not None:  # the window's own series: A01-001
            prefix = f"{number[0]}{offline_code}-"
            mine = session.scalar(
                select(func.count()).where(
                    QueueTicket.hall_id == actor.hall_id,
                    QueueTicket.business_date == today,
                    QueueTicket.ticket_no.startswith(prefix, autoescape=True),
                )
            )
            number = f"{prefix}{(mine or 0) + 1:03d}"
        session.execute(
            update(QueueTicket).where(QueueTicket.id == ticket_id).values(ticket_no=number)
        )
        return ticket_id

    def service_types(self, actor: Actor) -> list[ServiceTypeView]:
        """The service types the hall's queue separates, in display order (what a walk-in or
        a ticket can be issued for)."""
        actor.require(Permission.QUEUE_WORK)
        with self._db.read() as session:
            rows = session.scalars(
                select(ServiceType).order_by(ServiceType.sort_order, ServiceType.letter)
            ).all()
            return [ServiceTypeView(t.code, t.letter, t.name, t.is_vip) for t in rows]

    def waiting_counts(self, actor: Actor) -> list[WaitingCount]:
        actor.require(Permission.QUEUE_WORK)
        today = business_date(self._clock())

        def count(session: Session) -> list[WaitingCount]:
            rows = session.execute(
                select(
                    ServiceType.code,
                    ServiceType.name,
                    ServiceType.letter,
                    func.count(QueueTicket.id),
                )
                .outerjoin(
                    QueueTicket,
                    (QueueTicket.service_type_id == ServiceType.id)
                    & (QueueTicket.hall_id == actor.hall_id)
                    & (QueueTicket.business_date == today)
                    & (QueueTicket.status == TicketStatus.WAITING),
                )
                .group_by(ServiceType.id, ServiceType.code, ServiceType.name, ServiceType.letter)
                .order_by(ServiceType.sort_order)
            ).all()
            return [WaitingCount(code, name, letter, n) for code, name, letter, n in rows]

        if self._link is not None:  # the hall's queue is the central one
            try:
                return self._link.run(count)
            except Offline:
                pass  # what this counter knows
        with self._db.read() as session:
            return count(session)

    # -- the counter --------------------------------------------------------------------------
    def current_ticket(self, actor: Actor) -> TicketView | None:
        """The ticket this counter has called or is serving today, if any (the queue bar picks
        it up again after a restart, so the one-ticket rule never leaves a clerk stuck)."""
        actor.require(Permission.QUEUE_WORK)
        counter_id = actor.counter_id
        if counter_id is None:
            return None
        with self._db.read() as session:
            ticket_id = session.scalar(
                select(QueueTicket.id)
                .where(
                    QueueTicket.counter_id == counter_id,
                    QueueTicket.business_date == business_date(self._clock()),
                    QueueTicket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
                )
                .order_by(QueueTicket.called_at)
                .limit(1)
            )
            return None if ticket_id is None else self._view(session, ticket_id)

    def call_next(self, actor: Actor) -> TicketView | None:
        """The next waiting ticket this counter serves (VIP first, then by issue time).
        Returns None when nobody is waiting."""
        actor.require(Permission.QUEUE_WORK)
        counter_id = actor.require_counter("叫号")
        now = self._clock()
        if self._link is not None:
            self._require_free_here(counter_id, now)

            def claim(central: Session) -> list[tuple[Table, Row]] | None:
                self._require_free(central, counter_id, now)
                got = central.execute(self._claim_next(actor, counter_id, now, own_only=False))
                ticket_id = got.scalar_one_or_none()
                return None if ticket_id is None else self._fetch(central, ticket_id)

            try:
                rows = self._central(claim)
            except Offline:
                return self._call_here(actor, counter_id, now, own_only=True)
            if rows is None:
                return None
            return self._mirrored(actor, rows, "queue.call", {"status": "called"})
        return self._call_here(actor, counter_id, now, own_only=False)

    def _claim_next(
        self, actor: Actor, counter_id: uuid.UUID, now: datetime, *, own_only: bool
    ) -> Any:
        """One UPDATE taking the next ticket. ``own_only`` (offline): only tickets addressed
        to this counter, never one another counter may call. What the counter serves is its
        own setting, read locally (the central database may be the one running this)."""
        with self._db.read() as session:
            served = list(
                session.scalars(
                    select(counter_service_types.c.service_type_id).where(
                        counter_service_types.c.counter_id == counter_id
                    )
                )
            )
        vip = select(ServiceType.is_vip).where(ServiceType.id == QueueTicket.service_type_id)
        mine = QueueTicket.target_counter_id == counter_id
        next_id = (
            select(QueueTicket.id)
            .where(
                QueueTicket.hall_id == actor.hall_id,
                QueueTicket.business_date == business_date(now),
                QueueTicket.status == TicketStatus.WAITING,
                mine
                if own_only
                else (
                    mine
                    | (
                        QueueTicket.target_counter_id.is_(None)
                        & QueueTicket.service_type_id.in_(served)
                    )
                ),
            )
            .order_by(vip.scalar_subquery().desc(), QueueTicket.issued_at, QueueTicket.seq)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        return (
            update(QueueTicket)
            .where(QueueTicket.id == next_id, QueueTicket.status == TicketStatus.WAITING)
            .values(
                status=TicketStatus.CALLED,
                called_at=now,
                updated_at=now,
                counter_id=counter_id,
                staff_id=actor.staff_id,
            )
            .returning(QueueTicket.id)
        )

    @staticmethod
    def _require_free(session: Session, counter_id: uuid.UUID, now: datetime) -> None:
        """One ticket at a time: a counter with a ticket called or in service today finishes
        it (or marks it a no-show) before it takes another."""
        current = session.scalar(
            select(QueueTicket.ticket_no)
            .where(
                QueueTicket.counter_id == counter_id,
                QueueTicket.business_date == business_date(now),
                QueueTicket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
            )
            .order_by(QueueTicket.called_at)
            .limit(1)
        )
        if current is not None:
            raise ValidationError(f"请先办结或过号当前的 {current}", TICKET_FIELD)

    def _require_free_here(self, counter_id: uuid.UUID, now: datetime) -> None:
        """The same check on this counter's own copy, which alone knows a walk-in served
        offline and not pushed yet."""
        with self._db.read() as session:
            self._require_free(session, counter_id, now)

    def _call_here(
        self, actor: Actor, counter_id: uuid.UUID, now: datetime, *, own_only: bool
    ) -> TicketView | None:
        with self._db.unit_of_work() as session:
            # After a restore the copy may show a ticket waiting that was called and served
            # at the central database since the backup: nothing is called until the recovery.
            restore_mark.require_recovered(session, "叫号")
            self._require_free(session, counter_id, now)
            ticket_id = session.execute(
                self._claim_next(actor, counter_id, now, own_only=own_only)
            ).scalar_one_or_none()
            if ticket_id is None:
                return None
            view = self._view(session, ticket_id)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="queue.call",
                entity="queue_ticket",
                entity_id=ticket_id,
                before={"status": "waiting"},
                after={"status": "called", "ticket_no": view.ticket_no},
            )
        return view

    def serve_walk_in(self, actor: Actor, service_code: str) -> TicketView:
        """A customer who came straight to the window: a ticket, called here at once."""
        actor.require(Permission.QUEUE_WORK)
        counter_id = actor.require_counter("叫号")
        now = self._clock()
        offline_code: str | None = None
        if self._link is not None:
            self._require_free_here(counter_id, now)

            def walk_in(central: Session) -> list[tuple[Table, Row]]:
                self._require_free(central, counter_id, now)
                ticket_id = self._insert_ticket(central, actor, service_code, walk_in=True)
                central.execute(self._serving_here(ticket_id, actor, counter_id, now))
                return self._fetch(central, ticket_id)

            try:
                rows = self._central(walk_in)
            except Offline:
                with self._db.read() as session:  # the window's own series: A01-001
                    offline_code = session.scalar(
                        select(Counter.code).where(Counter.id == counter_id)
                    )
            else:
                assert rows is not None
                return self._mirrored(actor, rows, "queue.walk_in", {"status": "serving"})
        with self._db.unit_of_work() as session:
            # After a restore the window's series may go on at the central database (A01-004
            # pushed, the backup at A01-003): it numbers nothing until the recovery pull.
            restore_mark.require_recovered(session, "为临柜客户取号")
            self._require_free(session, counter_id, now)
            ticket_id = self._insert_ticket(
                session, actor, service_code, walk_in=True, offline_code=offline_code
            )
            session.execute(self._serving_here(ticket_id, actor, counter_id, now))
            view = self._view(session, ticket_id)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="queue.walk_in",
                entity="queue_ticket",
                entity_id=ticket_id,
                after={"status": "serving", "ticket_no": view.ticket_no},
            )
        return view

    @staticmethod
    def _serving_here(
        ticket_id: uuid.UUID, actor: Actor, counter_id: uuid.UUID, now: datetime
    ) -> Any:
        return (
            update(QueueTicket)
            .where(QueueTicket.id == ticket_id)
            .values(
                status=TicketStatus.SERVING,
                called_at=now,
                started_at=now,
                counter_id=counter_id,
                staff_id=actor.staff_id,
            )
        )

    def recall(self, actor: Actor, ticket_id: uuid.UUID) -> TicketView:
        """Call the same ticket again (the customer did not come to the window)."""
        return self._change(
            actor,
            ticket_id,
            "queue.recall",
            {TicketStatus.CALLED},
            lambda _s, t, now: {"recall_count": t.recall_count + 1, "called_at": now},
        )

    def mark_no_show(self, actor: Actor, ticket_id: uuid.UUID) -> TicketView:
        limit = self._rules.queue_recalls_before_no_show

        def values(_s: Session, t: QueueTicket, now: datetime) -> dict[str, object]:
            if t.recall_count < limit:
                raise ValidationError(
                    f"需先重呼 {limit} 次才能标记过号（已重呼 {t.recall_count} 次）", TICKET_FIELD
                )
            return {"status": TicketStatus.NO_SHOW}

        return self._change(actor, ticket_id, "queue.no_show", {TicketStatus.CALLED}, values)

    def start_service(self, actor: Actor, ticket_id: uuid.UUID) -> TicketView:
        return self._change(
            actor,
            ticket_id,
            "queue.start",
            {TicketStatus.CALLED},
            lambda _s, t, now: {"status": TicketStatus.SERVING, "started_at": now},
        )

    def finish(
        self, actor: Actor, ticket_id: uuid.UUID, customer_id: uuid.UUID | None = None
    ) -> TicketView:
        """End the visit; the service time runs from the call to now."""

        def values(_s: Session, t: QueueTicket, now: datetime) -> dict[str, object]:
            out: dict[str, object] = {"status": TicketStatus.DONE, "finished_at": now}
            if t.started_at is None:
                out["started_at"] = t.called_at or now
            if customer_id is not None:
                out["customer_id"] = customer_id
            return out

        return self._change(
            actor, ticket_id, "queue.finish", {TicketStatus.CALLED, TicketStatus.SERVING}, values
        )

    def transfer(
        self,
        actor: Actor,
        ticket_id: uuid.UUID,
        *,
        service_code: str | None = None,
        counter_code: str | None = None,
    ) -> TicketView:
        """Send a called ticket back to the queue of another service type or window; it keeps
        its number and its place by issue time."""
        actor.require(Permission.QUEUE_WORK)
        if (service_code is None) == (counter_code is None):
            raise ValidationError("请选择转往的业务类型或窗口（二选一）", "转移")

        def values(session: Session, t: QueueTicket, now: datetime) -> dict[str, object]:
            out: dict[str, object] = {
                "status": TicketStatus.WAITING,
                "called_at": None,
                "counter_id": None,
                "staff_id": None,
                "recall_count": 0,
            }
            if service_code is not None:
                stype = session.scalars(
                    select(ServiceType).where(ServiceType.code == service_code)
                ).one_or_none()
                if stype is None:
                    raise ValidationError(f"没有“{service_code}”这种业务类型", "业务类型")
                out["service_type_id"] = stype.id
                out["target_counter_id"] = None
            else:
                counter = session.scalars(
                    select(Counter).where(
                        Counter.hall_id == actor.hall_id, Counter.code == counter_code
                    )
                ).one_or_none()
                if counter is None:
                    raise ValidationError(f"没有编号为“{counter_code}”的窗口", "窗口")
                out["target_counter_id"] = counter.id
            return out

        return self._change(actor, ticket_id, "queue.transfer", {TicketStatus.CALLED}, values)

    def transfer_targets(self, actor: Actor) -> TransferTargets:
        """Where a ticket can be sent: the hall's other open windows and every service type."""
        actor.require(Permission.QUEUE_WORK)
        with self._db.read() as session:
            counters = session.execute(
                select(Counter.id, Counter.code, Counter.name)
                .where(Counter.hall_id == actor.hall_id, Counter.active.is_(True))
                .order_by(Counter.code)
            ).all()
            types = session.execute(
                select(ServiceType.code, ServiceType.name).order_by(ServiceType.sort_order)
            ).all()
        return TransferTargets(
            counters=tuple(TransferTarget(c, n) for i, c, n in counters if i != actor.counter_id),
            service_types=tuple(TransferTarget(c, n) for c, n in types),
        )

    # -- helpers ------------------------------------------------------------------------------
    def _change(
        self,
        actor: Actor,
        ticket_id: uuid.UUID,
        action: str,
        allowed: set[TicketStatus],
        values: Changes,
    ) -> TicketView:
        """Lock the ticket, check its state and counter, apply ``values``, audit. Online, the
        change is made on the central database (so a transfer is at once in the hall's
        queue) and mirrored; a ticket the central database does not have yet (a walk-in
        served offline) and an offline counter change it here, for the next push."""
        actor.require(Permission.QUEUE_WORK)
        now = self._clock()
        if self._link is not None and not self._waiting_to_go(ticket_id):

            def change(central: Session) -> tuple[list[tuple[Table, Row]], dict[str, object]]:
                before = self._apply(central, actor, ticket_id, allowed, values, now)
                return self._fetch(central, ticket_id), before

            try:
                rows, before = self._link.run(change)
            except (Offline, NotFound):
                pass
            else:
                with self._db.unit_of_work() as session:
                    mirror(session, rows)
                    view = self._view(session, ticket_id)
                    self._audit_change(session, actor, action, ticket_id, before, view, now)
                return view
        with self._db.unit_of_work() as session:
            before = self._apply(session, actor, ticket_id, allowed, values, now)
            view = self._view(session, ticket_id)
            self._audit_change(session, actor, action, ticket_id, before, view, now)
        return view

    def _waiting_to_go(self, ticket_id: uuid.UUID) -> bool:
        with self._db.read() as session:
            return waiting_to_go(session, "queue_tickets", ticket_id)

    @staticmethod
    def _apply(
        session: Session,
        actor: Actor,
        ticket_id: uuid.UUID,
        allowed: set[TicketStatus],
        values: Changes,
        now: datetime,
    ) -> dict[str, object]:
        ticket = session.get(QueueTicket, ticket_id, with_for_update=True)
        if ticket is None:
            raise NotFound("没有这张排队号", TICKET_FIELD)
        if ticket.status not in allowed:
            raise ValidationError(
                f"{ticket.ticket_no} 当前状态为“{ticket.status.label}”，不能进行此操作",
                TICKET_FIELD,
            )
        if ticket.counter_id is not None and ticket.counter_id != actor.counter_id:
            raise ValidationError(f"{ticket.ticket_no} 正由其他窗口办理", TICKET_FIELD)
        before: dict[str, object] = {
            "status": ticket.status.value,
            "recall_count": ticket.recall_count,
        }
        changes = values(session, ticket, now)
        for key, value in changes.items():
            setattr(ticket, key, value)
        # Each change moves the row's stamp forward, even within one clock tick: last writer
        # wins compares these stamps between the counters and the central database.
        ticket.updated_at = max(now, ticket.updated_at + timedelta(microseconds=1))
        session.flush()
        return before

    @staticmethod
    def _audit_change(
        session: Session,
        actor: Actor,
        action: str,
        ticket_id: uuid.UUID,
        before: dict[str, object],
        view: TicketView,
        now: datetime,
    ) -> None:
        audit.record(
            session,
            at=now,
            actor=actor,
            action=action,
            entity="queue_ticket",
            entity_id=ticket_id,
            before=before,
            after={"status": view.status.value, "recall_count": view.recall_count},
        )

    @staticmethod
    def _ahead(session: Session, ticket_id: uuid.UUID) -> int:
        """How many wait before this ticket (counted where the queue is: centrally when
        synced, the counter's own copy holds only the tickets it has seen)."""
        t = session.get_one(QueueTicket, ticket_id)
        if t.status is not TicketStatus.WAITING:
            return 0
        return (
            session.scalar(
                select(func.count()).where(
                    QueueTicket.hall_id == t.hall_id,
                    QueueTicket.business_date == t.business_date,
                    QueueTicket.service_type_id == t.service_type_id,
                    QueueTicket.status == TicketStatus.WAITING,
                    (QueueTicket.issued_at < t.issued_at)
                    | ((QueueTicket.issued_at == t.issued_at) & (QueueTicket.seq < t.seq)),
                )
            )
            or 0
        )

    def _view(self, session: Session, ticket_id: uuid.UUID, ahead: int | None = None) -> TicketView:
        t, stype, counter_name = session.execute(
            select(QueueTicket, ServiceType, Counter.name)
            .join(ServiceType, ServiceType.id == QueueTicket.service_type_id)
            .outerjoin(Counter, Counter.id == QueueTicket.counter_id)
            .where(QueueTicket.id == ticket_id)
        ).one()
        if ahead is None:
            ahead = self._ahead(session, ticket_id)
        counters = (
            session.scalar(
                select(func.count()).where(counter_service_types.c.service_type_id == stype.id)
            )
            or 1
        )
        return TicketView(
            id=t.id,
            ticket_no=t.ticket_no,
            service_code=stype.code,
            service_name=stype.name,
            is_vip=stype.is_vip,
            status=t.status,
            is_walk_in=t.is_walk_in,
            issued_at=t.issued_at,
            called_at=t.called_at,
            started_at=t.started_at,
            finished_at=t.finished_at,
            recall_count=t.recall_count,
            counter_name=counter_name,
            waiting_ahead=ahead,
            estimated_wait_minutes=estimated_wait_minutes(
                ahead, self._rules.queue_default_service_minutes, counters
            ),
        )


@dataclass(frozen=True)
class TransferTarget:
    code: str
    name: str


@dataclass(frozen=True)
class TransferTargets:
    counters: tuple[TransferTarget, ...]  # the hall's other open windows
    service_types: tuple[TransferTarget, ...]
