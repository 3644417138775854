"""The counter's live link to the central database, for what only the central database may
decide: who gets the next ticket, a number, a SIM.

Online, these operations run on the central database as one conditional UPDATE each (row
locks, ``FOR UPDATE SKIP LOCKED`` for the queue), so two counters can never get the same
ticket, number or SIM; the result is then mirrored into the counter's own database. When the
link is down they raise ``Offline`` and the services fall back to what the counter may do on
its own: its leased numbers and SIMs, its walk-ins and the tickets addressed to it.

After a failure the link is not tried again for ``RETRY_S`` seconds (or until a sync round
gets through), so a clerk never waits for a dead link's timeout twice in a row."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from hall_app.db.engine import Database, make_engine
from hall_app.db.models import Counter, PhoneNumber, SimCard, SyncState
from hall_app.db.outbox import silenced, synced_tables
from hall_app.domain.enums import NumberStatus, SimStatus
from hall_app.domain.errors import StorageError

log = logging.getLogger("hall.sync")
T = TypeVar("T")
Row = dict[str, Any]


class Offline(Exception):
    """The central database can not be reached now; the counter works on its own."""


def _link_failure(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, StorageError) else exc
    return isinstance(cause, OperationalError) or bool(
        isinstance(cause, DBAPIError) and cause.connection_invalidated
    )


class CentralLink:
    RETRY_S = 30.0

    def __init__(
        self,
        url: str | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._monotonic = monotonic
        self._db: Database | None = None
        self._offline_until = 0.0
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        """A central database is named (the window comes from the signed-in actor)."""
        return bool(self._url)

    @property
    def online(self) -> bool:
        return self.configured and self._monotonic() >= self._offline_until

    def mark_online(self) -> None:
        self._offline_until = 0.0

    def mark_offline(self) -> None:
        self._offline_until = self._monotonic() + self.RETRY_S

    def run(self, work: Callable[[Session], T]) -> T:
        """``work`` in one transaction on the central database. Business refusals pass
        through; a dead link raises ``Offline``."""
        if not self.online:
            raise Offline
        try:
            with self._database().unit_of_work() as session:
                result = work(session)
        except (StorageError, OperationalError, DBAPIError) as exc:
            if not _link_failure(exc):
                raise
            # The Database logged the outage once, with its reason; not again per call.
            log.debug("central database unreachable; offline for %s s", self.RETRY_S)
            self.mark_offline()
            raise Offline from exc
        self.mark_online()
        return result

    def _database(self) -> Database:
        with self._lock:
            if self._db is None:
                assert self._url is not None
                # A clerk is waiting: give up on a dead link quickly.
                engine = make_engine(
                    self._url, connect_timeout_s=3, statement_timeout_s=15, tcp_timeout_s=6
                )
                name = f"central {engine.url.render_as_string(hide_password=True)}"
                self._db = Database(engine, name=name)
            return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.dispose()
                self._db = None


# Offline, a counter stops selling a leased number or SIM this long before its lease runs out
# (by its own clock), so a clock a little slow never makes it sell what has gone elsewhere.
LEASE_MARGIN = timedelta(hours=1)


def free_to(table: Table, counter_id: uuid.UUID) -> ColumnElement[bool]:
    """At the central database: not leased, leased to this counter, or the lease has run out
    (by the central clock)."""
    return or_(
        table.c.lease_counter_id.is_(None),
        table.c.lease_counter_id == counter_id,
        table.c.lease_until < func.now(),
    )


def leased_to(table: Table, counter_id: uuid.UUID) -> ColumnElement[bool]:
    """At the central database: leased to this counter and the lease still runs."""
    return and_(table.c.lease_counter_id == counter_id, table.c.lease_until >= func.now())


def leased_here(table: Table, counter_id: uuid.UUID, now: datetime) -> ColumnElement[bool]:
    """Offline, at the counter: only what is leased to it, and not in the lease's last hour."""
    return and_(table.c.lease_counter_id == counter_id, table.c.lease_until >= now + LEASE_MARGIN)


def counter_id(session: Session, code: str | None) -> uuid.UUID | None:
    if not code:
        return None
    return session.scalar(select(Counter.id).where(Counter.code == code))


def fetch_with_parents(
    central: Session | Connection, table: Table, row: Row
) -> list[tuple[Table, Row]]:
    """``row`` and the business rows it refers to (a ticket's customer), parents first, so
    the counter can mirror a row it never had."""
    synced = set(synced_tables())
    out: list[tuple[Table, Row]] = []
    for fk in table.foreign_keys:
        parent = fk.column.table
        value = row.get(fk.parent.name)
        if value is None or parent.name not in synced:
            continue
        got = central.execute(select(parent).where(parent.c.id == value)).mappings().first()
        if got is not None:
            out.append((parent, dict(got)))
    out.append((table, row))
    return out


def mirror(
    session: Session,
    rows: list[tuple[Table, Row]],
    *,
    only_missing: bool = False,
    if_stamped: datetime | None = None,
    newer_only: bool = False,
) -> None:
    """Write rows the central database decided into the counter's database, silently: the
    outbox triggers do not queue them to go back. Rows before the last are its parents and
    are only added when missing; ``only_missing`` treats the last row so too. ``if_stamped``
    replaces the last row only while the counter's copy still carries that ``updated_at``
    (a clerk's newer edit is never overwritten); ``newer_only`` only when the central copy
    is the newer one."""
    if not rows:
        return
    with silenced(session):
        for i, (table, row) in enumerate(rows):
            stmt = sqlite_insert(table).values(row)
            last = i == len(rows) - 1
            if only_missing or not last:
                session.execute(stmt.on_conflict_do_nothing(index_elements=[table.c.id]))
            else:
                session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[table.c.id],
                        set_={c.name: stmt.excluded[c.name] for c in table.c if c.name != "id"},
                        where=(
                            table.c.updated_at < stmt.excluded.updated_at
                            if newer_only
                            else None
                            if if_stamped is None
                            else table.c.updated_at == if_stamped
                        ),
                    )
                )


@dataclass(frozen=True)
class Claim:
    """A number and SIM claimed at the central database for an order that then failed:
    undone at once, or kept in the counter's database and undone by the next sync round."""

    number: str
    iccid: str
    counter_id: uuid.UUID
    stamp: datetime  # the claim's updated_at: only that very claim is undone
    until: datetime  # the number goes back to being reserved for the counter until then

    PREFIX: ClassVar[str] = "unclaim:"

    def undo(self, central: Session) -> None:
        central.execute(
            update(PhoneNumber)
            .where(
                PhoneNumber.number == self.number,
                PhoneNumber.status == NumberStatus.ASSIGNED,
                PhoneNumber.reserved_by_counter_id == self.counter_id,
                PhoneNumber.updated_at == self.stamp,
            )
            .values(status=NumberStatus.RESERVED, reserved_until=self.until)
        )
        SimClaim(self.iccid, self.counter_id, self.stamp).undo(central)

    def keep(self, session: Session) -> None:
        _keep(
            session,
            f"{self.PREFIX}{self.number}",
            {
                "number": self.number,
                "iccid": self.iccid,
                "counter_id": str(self.counter_id),
                "stamp": self.stamp.isoformat(),
                "until": self.until.isoformat(),
            },
        )

    @classmethod
    def kept(cls, session: Session) -> list[tuple[str, Claim]]:
        return [
            (
                key,
                cls(
                    d["number"],
                    d["iccid"],
                    uuid.UUID(d["counter_id"]),
                    datetime.fromisoformat(d["stamp"]),
                    datetime.fromisoformat(d["until"]),
                ),
            )
            for key, d in _kept(session, cls.PREFIX)
        ]


def _keep(session: Session, key: str, value: dict[str, Any]) -> None:
    """A claim to undo at the next sync round, kept in the counter's sync_state."""
    text = json.dumps(value)
    stmt = sqlite_insert(SyncState).values(key=key, value=text)
    session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": text}))


def _kept(session: Session, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (key, json.loads(value))
        for key, value in session.execute(
            select(SyncState.key, SyncState.value).where(SyncState.key.startswith(prefix))
        ).all()
    ]


@dataclass(frozen=True)
class FixedClaim:
    """What a broadband or landline order claimed at the central database (its install slot's
    place, a landline number, modems and routers) for an order that then failed: undone at
    once, or kept in the counter's database and undone by the next sync round.

    Only that very claim is undone (its stamp). A claim known to have been made (``certain``:
    its answer came back) gives its slot's place back at once, whoever booked the slot since;
    one whose answer was lost, or one kept for the next round (a retry may follow an undo
    whose answer was lost), only while the slot is as the claim left it: otherwise the place
    stays taken (a place lost, never a slot double-booked)."""

    slot_id: uuid.UUID | None
    landline: str | None
    serials: tuple[str, ...]
    counter_id: uuid.UUID
    stamp: datetime
    until: datetime  # a claimed landline goes back to being reserved for the counter until then
    certain: bool = False

    PREFIX: ClassVar[str] = "unfix:"  # sync_state keys are at most 32 characters

    def undo(self, central: Session) -> None:
        from hall_app.db.models import Equipment, InstallSlot, LandlineNumber
        from hall_app.domain.enums import EquipmentStatus

        if self.slot_id is not None:
            same = true() if self.certain else InstallSlot.updated_at == self.stamp
            central.execute(
                update(InstallSlot)
                .where(InstallSlot.id == self.slot_id, InstallSlot.booked > 0, same)
                .values(booked=InstallSlot.booked - 1)
            )
        if self.landline is not None:
            central.execute(
                update(LandlineNumber)
                .where(
                    LandlineNumber.number == self.landline,
                    LandlineNumber.status == NumberStatus.ASSIGNED,
                    LandlineNumber.reserved_by_counter_id == self.counter_id,
                    LandlineNumber.updated_at == self.stamp,
                )
                .values(status=NumberStatus.RESERVED, reserved_until=self.until)
            )
        if self.serials:
            central.execute(
                update(Equipment)
                .where(
                    Equipment.serial.in_(self.serials),
                    Equipment.status.in_([EquipmentStatus.LENT, EquipmentStatus.SOLD]),
                    Equipment.taken_by_counter_id == self.counter_id,
                    Equipment.updated_at == self.stamp,
                )
                .values(status=EquipmentStatus.IN_STOCK, taken_by_counter_id=None)
            )

    def keep(self, session: Session) -> None:
        _keep(
            session,
            f"{self.PREFIX}{uuid.uuid4().hex[:24]}",
            {
                "slot_id": str(self.slot_id) if self.slot_id else None,
                "landline": self.landline,
                "serials": list(self.serials),
                "counter_id": str(self.counter_id),
                "stamp": self.stamp.isoformat(),
                "until": self.until.isoformat(),
            },
        )

    @classmethod
    def kept(cls, session: Session) -> list[tuple[str, FixedClaim]]:
        return [
            (
                key,
                cls(
                    uuid.UUID(d["slot_id"]) if d["slot_id"] else None,
                    d["landline"],
                    tuple(d["serials"]),
                    uuid.UUID(d["counter_id"]),
                    datetime.fromisoformat(d["stamp"]),
                    datetime.fromisoformat(d["until"]),
                ),
            )
            for key, d in _kept(session, cls.PREFIX)
        ]


@dataclass(frozen=True)
class DeviceClaim:
    """A handset claimed at the central database (by IMEI) for a sale that then failed:
    undone at once, or kept in the counter's database and undone by the next sync round. Only
    that very claim is undone (its stamp)."""

    imei: str
    counter_id: uuid.UUID
    stamp: datetime
    was: str = "in_stock"  # the status it goes back to: in_stock or returned

    PREFIX: ClassVar[str] = "undev:"

    def undo(self, central: Session) -> None:
        from hall_app.db.models import Device
        from hall_app.domain.enums import DeviceStatus

        central.execute(
            update(Device)
            .where(
                Device.imei == self.imei,
                Device.status == DeviceStatus.SOLD,
                Device.taken_by_counter_id == self.counter_id,
                Device.updated_at == self.stamp,
            )
            .values(status=DeviceStatus(self.was), taken_by_counter_id=None)
        )

    def keep(self, session: Session) -> None:
        _keep(
            session,
            f"{self.PREFIX}{self.imei}",
            {
                "imei": self.imei,
                "counter_id": str(self.counter_id),
                "stamp": self.stamp.isoformat(),
                "was": self.was,
            },
        )

    @classmethod
    def kept(cls, session: Session) -> list[tuple[str, DeviceClaim]]:
        return [
            (
                key,
                cls(
                    d["imei"],
                    uuid.UUID(d["counter_id"]),
                    datetime.fromisoformat(d["stamp"]),
                    d.get("was", "in_stock"),
                ),
            )
            for key, d in _kept(session, cls.PREFIX)
        ]


@dataclass(frozen=True)
class SimClaim:
    """A SIM claimed alone at the central database (补换卡) for an order that then failed:
    back in stock, undone at once or by the next sync round; only that very claim."""

    iccid: str
    counter_id: uuid.UUID
    stamp: datetime

    PREFIX: ClassVar[str] = "unsim:"

    def undo(self, central: Session) -> None:
        central.execute(
            update(SimCard)
            .where(
                SimCard.iccid == self.iccid,
                SimCard.status == SimStatus.ASSIGNED,
                SimCard.taken_by_counter_id == self.counter_id,
                SimCard.updated_at == self.stamp,
            )
            .values(status=SimStatus.IN_STOCK, taken_by_counter_id=None)
        )

    def keep(self, session: Session) -> None:
        _keep(
            session,
            f"{self.PREFIX}{self.iccid}",
            {
                "iccid": self.iccid,
                "counter_id": str(self.counter_id),
                "stamp": self.stamp.isoformat(),
            },
        )

    @classmethod
    def kept(cls, session: Session) -> list[tuple[str, SimClaim]]:
        return [
            (key, cls(d["iccid"], uuid.UUID(d["counter_id"]), datetime.fromisoformat(d["stamp"])))
            for key, d in _kept(session, cls.PREFIX)
        ]


@dataclass(frozen=True)
class BillClaim:
    """Bills taken at the central database by a payment (缴费) that then failed: each goes
    back to what it was paid before, undone at once or by the next sync round; only while it
    is as that very claim left it (its paid amount and stamp)."""

    bills: tuple[tuple[uuid.UUID, int, int, str], ...]  # (id, paid before, paid, status before)
    counter_id: uuid.UUID
    stamp: datetime

    PREFIX: ClassVar[str] = "unbill:"

    def undo(self, central: Session) -> None:
        from hall_app.db.models import Bill
        from hall_app.domain.enums import BillStatus

        for bill_id, was, paid, status in self.bills:
            central.execute(
                update(Bill)
                .where(Bill.id == bill_id, Bill.paid_fen == paid, Bill.updated_at == self.stamp)
                .values(paid_fen=was, status=BillStatus(status), paid_at=None)
                .execution_options(synchronize_session=False)
            )

    def keep(self, session: Session) -> None:
        _keep(
            session,
            f"{self.PREFIX}{uuid.uuid4().hex[:24]}",
            {
                "bills": [[str(b), was, paid, st] for b, was, paid, st in self.bills],
                "counter_id": str(self.counter_id),
                "stamp": self.stamp.isoformat(),
            },
        )

    @classmethod
    def kept(cls, session: Session) -> list[tuple[str, BillClaim]]:
        return [
            (
                key,
                cls(
                    tuple((uuid.UUID(b), was, paid, st) for b, was, paid, st in d["bills"]),
                    uuid.UUID(d["counter_id"]),
                    datetime.fromisoformat(d["stamp"]),
                ),
            )
            for key, d in _kept(session, cls.PREFIX)
        ]


Undoable = (
    Claim | FixedClaim | DeviceClaim | SimClaim | BillClaim
)  # a claim a failed order gives back
