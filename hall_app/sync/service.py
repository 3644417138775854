"""Sync as the counter sees it: is a central database configured, how many records wait, when
did the last round succeed, what did the server refuse; and one round on demand."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Table, delete, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.db.central import (
    BillClaim,
    CentralLink,
    Claim,
    DeviceClaim,
    FixedClaim,
    SimClaim,
    Undoable,
    fetch_with_parents,
    mirror,
)
from hall_app.db.engine import Database, make_engine
from hall_app.db.models import (
    Counter,
    Order,
    QueueTicket,
    ResourceClash,
    SyncOutbox,
    SyncState,
)
from hall_app.db.outbox import PENDING, QUARANTINED
from hall_app.domain.enums import TicketStatus
from hall_app.domain.errors import StorageError, ValidationError
from hall_app.domain.masking import mask_phone
from hall_app.domain.permissions import Permission
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.sensitive_views import CLASHES_VIEW
from hall_app.sync.leases import (
    BLOCK,
    LOW_WATER,
    counter_id_for,
    grant_invoice_block,
    invoice_numbers_left,
    lease_resources,
    mirror_leases,
)
from hall_app.sync.pull import Puller
from hall_app.sync.push import (
    LINK_LOST,
    Pusher,
    PushReport,
    SyncUnavailable,
    requeue_quarantined,
    waiting_count,
)
from hall_app.sync.recovery import recover

MAX_DELAY_S = 300
RESOURCE_LABELS = {  # resource_clashes.resource, as the supervisor reads it
    "number": "号码",
    "sim": "SIM 卡",
    "landline": "固话号码",
    "equipment": "设备",
    "device": "手机",
}


def next_delay(failures: int, base_s: float = 15) -> float:
    """Seconds until the next round: the base interval while all is well, then doubling with
    each failure in a row, capped at five minutes."""
    return float(min(MAX_DELAY_S, base_s * (2 ** max(0, failures))))


@dataclass(frozen=True)
class SyncStatus:
    configured: bool
    waiting: int
    quarantined: int
    last_success_at: datetime | None
    last_error: str | None
    clashes: int = 0  # numbers and SIMs two counters sold, not yet settled


@dataclass(frozen=True)
class ClashView:
    id: uuid.UUID
    resource: str  # 号码 / SIM 卡 / 固话号码 / 设备 / 手机
    key_shown: str  # masked unless the viewer may see full numbers
    counter_name: str
    order_no: str | None
    detail: str
    detected_at: datetime
    resolved_at: datetime | None
    resolution: str | None


@dataclass(frozen=True)
class QuarantinedRecord:
    table_name: str
    row_id: uuid.UUID
    error: str
    attempts: int


class SyncService:
    def __init__(
        self,
        db: Database,
        central_url: str | None,
        clock: Clock,
        counter_code: str | None = None,
        link: CentralLink | None = None,
        on_pulled: Callable[[], None] | None = None,
    ) -> None:
        self._link = link  # told when the link comes back or drops
        self._on_pulled = on_pulled  # caches of pulled data (the calendar) start afresh
        self._db = db
        self._url = central_url
        self._clock = clock
        self._counter_code = counter_code  # leases go to this machine's window
        self._central: Engine | None = None
        self._lock = threading.Lock()  # one round at a time

    @property
    def configured(self) -> bool:
        return self._url is not None and self._db.engine.dialect.name == "sqlite"

    def status(self) -> SyncStatus:
        with self._db.read() as s:
            counts = dict(
                s.execute(
                    select(SyncOutbox.status, func.count())
                    .where(SyncOutbox.status.in_([PENDING, QUARANTINED]))
                    .group_by(SyncOutbox.status)
                ).all()
            )
            state = dict(s.execute(select(SyncState.key, SyncState.value)).all())
            clashes = s.scalar(select(func.count()).where(ResourceClash.resolved_at.is_(None)))
        last = state.get("last_success_at")
        return SyncStatus(
            configured=self.configured,
            waiting=int(counts.get(PENDING, 0)),
            quarantined=int(counts.get(QUARANTINED, 0)),
            last_success_at=datetime.fromisoformat(last) if last else None,
            last_error=state.get("last_error") or None,
            clashes=int(clashes or 0),
        )

    def waiting(self) -> int:
        with self._db.read() as s:
            return waiting_count(s)

    def run_round(self, batch_size: int = 500) -> PushReport:
        """Push what waits, then pull the hall's changes. A dead link raises
        ``SyncUnavailable`` and is remembered."""
        if not self.configured or self._url is None:
            raise ValidationError("未配置中心数据库（HALL_CENTRAL_URL），本窗口单机运行", "同步")
        with self._lock:
            if self._central is None:
                self._central = make_engine(self._url)
            try:
                counter_id = (
                    counter_id_for(self._db, self._counter_code) if self._counter_code else None
                )
                # A restored counter first takes back what it did after the backup.
                recover(self._db, self._central, counter_id, self._clock())
                self._undo_kept_claims(self._central)
                report = Pusher(
                    self._db, self._central, self._clock, batch_size, counter_id=counter_id
                ).push()
                lease_error = self._top_up_leases(self._central)
                pulled = Puller(self._db, self._central, self._clock).pull()
                if pulled.rows and self._on_pulled is not None:
                    self._on_pulled()
                if counter_id is not None:
                    self._pull_addressed(self._central, counter_id)
            except SyncUnavailable as exc:
                self._remember(last_error=exc.message)
                if self._link is not None:
                    self._link.mark_offline()
                raise
            if self._link is not None:
                self._link.mark_online()
            self._remember(last_success_at=self._clock().isoformat(), last_error=lease_error)
            return report

    def _undo_kept_claims(self, central: Engine) -> None:
        """Claims of failed orders that could not be undone while the link was down."""
        with self._db.read() as s:
            kept: list[tuple[str, Undoable]] = [
                *Claim.kept(s),
                *FixedClaim.kept(s),
                *DeviceClaim.kept(s),
                *SimClaim.kept(s),
                *BillClaim.kept(s),
            ]
        for key, claim in kept:
            try:
                with central.begin() as conn, Session(bind=conn) as session:
                    claim.undo(session)
                    session.flush()
            except OperationalError as exc:
                raise SyncUnavailable(LINK_LOST, "同步") from exc
            with self._db.unit_of_work() as s:
                s.execute(delete(SyncState).where(SyncState.key == key))

    def _pull_addressed(self, central: Engine, counter_id: uuid.UUID) -> None:
        """Today's tickets waiting for this window (transferred to it elsewhere), so that it
        can serve them even if the link drops."""
        tickets: Table = QueueTicket.__table__  # type: ignore[assignment]
        try:
            with central.connect() as conn:
                rows = [
                    dict(r)
                    for r in conn.execute(
                        select(tickets).where(
                            tickets.c.target_counter_id == counter_id,
                            tickets.c.status == TicketStatus.WAITING,
                            tickets.c.business_date == business_date(self._clock()),
                        )
                    ).mappings()
                ]
                fetched = [fetch_with_parents(conn, tickets, row) for row in rows]
        except OperationalError as exc:
            raise SyncUnavailable(LINK_LOST, "同步") from exc
        with self._db.unit_of_work() as s:
            for rows_with_parents in fetched:
                mirror(s, rows_with_parents, newer_only=True)

    def _top_up_leases(self, central: Engine) -> str:
        """While online: make sure this counter holds enough invoice numbers for a day off
        line. The new block arrives with the pull that follows. A refusal (the hall's numbers
        are used up) does not stop the round; it is returned to be shown."""
        if not self._counter_code:
            return ""
        counter_id = counter_id_for(self._db, self._counter_code)
        if counter_id is None:
            return ""
        try:
            mirror_leases(self._db, lease_resources(Database(central), counter_id))
            if invoice_numbers_left(self._db, counter_id) < LOW_WATER:
                grant_invoice_block(Database(central), counter_id, BLOCK, self._clock())
        except StorageError as exc:
            raise SyncUnavailable(exc.message, "同步") from exc
        except ValidationError as exc:
            return exc.text
        return ""

    def quarantined(self, actor: Actor) -> list[QuarantinedRecord]:
        """What the central database refused, for the supervisor."""
        actor.require(Permission.APPROVE)
        with self._db.read() as s:
            return [
                QuarantinedRecord(o.table_name, o.row_id, o.last_error or "", o.attempts)
                for o in s.scalars(
                    select(SyncOutbox)
                    .where(SyncOutbox.status == QUARANTINED)
                    .order_by(SyncOutbox.seq)
                )
            ]

    def clashes(self, actor: Actor, *, include_resolved: bool = False) -> list[ClashView]:
        """Numbers and SIMs two counters both sold, as the central database found them (the
        central copy won); for the supervisor to settle with the customer."""
        actor.require(Permission.APPROVE)
        stmt = (
            select(ResourceClash, Counter.name, Order.order_no)
            .outerjoin(Counter, Counter.id == ResourceClash.counter_id)
            .outerjoin(Order, Order.id == ResourceClash.order_id)
            .order_by(ResourceClash.detected_at.desc())
        )
        if not include_resolved:
            stmt = stmt.where(ResourceClash.resolved_at.is_(None))
        full = actor.can(Permission.VIEW_SENSITIVE)
        # With full numbers the read is audited in the same transaction (敏感信息查看记录).
        with self._db.unit_of_work() if full else self._db.read() as s:
            clashes = s.execute(stmt).all()
            shown = sum(1 for c, _, _ in clashes if c.resource == "number")
            if full and shown:
                audit.record(
                    s,
                    at=self._clock(),
                    actor=actor,
                    action=CLASHES_VIEW,
                    entity="resource_clash",
                    entity_id=None,
                    after={"shown": shown},
                )
            return [
                ClashView(
                    id=c.id,
                    resource=RESOURCE_LABELS.get(c.resource, c.resource),
                    key_shown=c.resource_key
                    if full or c.resource != "number"
                    else mask_phone(c.resource_key),
                    counter_name=name or "",
                    order_no=order_no,
                    detail=c.detail,
                    detected_at=c.detected_at,
                    resolved_at=c.resolved_at,
                    resolution=c.resolution,
                )
                for c, name, order_no in clashes
            ]

    def resolve_clash(self, actor: Actor, clash_id: uuid.UUID, resolution: str) -> None:
        """The supervisor settled it (new number or SIM, refund …): recorded, audited, and
        sent to the central database with the next round."""
        actor.require(Permission.APPROVE)
        text = resolution.strip()
        if not text:
            raise ValidationError("请填写处理结果（例如：已为客户换号 …）", "处理结果")
        if len(text) > 500:
            raise ValidationError("处理结果不能超过 500 字", "处理结果")
        now = self._clock()
        with self._db.unit_of_work() as s:
            clash = s.get(ResourceClash, clash_id, with_for_update=True)
            if clash is None:
                raise ValidationError("没有这条资源冲突记录", "资源冲突")
            if clash.resolved_at is not None:
                raise ValidationError("这条冲突已处理过", "资源冲突")
            clash.resolved_at = now
            clash.resolved_by_id = actor.staff_id
            clash.resolution = text
            clash.updated_at = now
            audit.record(
                s,
                at=now,
                actor=actor,
                action="sync.resolve_clash",
                entity="resource_clash",
                entity_id=clash_id,
                before={"resolved": False},
                after={"resolved": True, "resolution": text},
            )

    def retry_quarantined(self, actor: Actor) -> int:
        actor.require(Permission.APPROVE)
        now = self._clock()
        with self._db.unit_of_work() as s:
            requeued = requeue_quarantined(s)
            if requeued:
                audit.record(
                    s,
                    at=now,
                    actor=actor,
                    action="sync.retry_quarantined",
                    entity="sync_outbox",
                    entity_id=None,
                    after={"records": requeued},
                )
            return requeued

    def close(self) -> None:
        if self._central is not None:
            self._central.dispose()
            self._central = None

    def _remember(self, **values: str) -> None:
        with self._db.unit_of_work() as s:
            for key, value in values.items():
                stmt = sqlite_insert(SyncState).values(key=key, value=value)
                s.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))
