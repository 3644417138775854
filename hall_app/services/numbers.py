"""Choosing a new number: search the pool, reserve for a while, release; and whether the
customer may open one at all.

A reservation is one UPDATE that succeeds only while the number is free (available, or its
reservation has run out), so two counters can never hold the same number. An abandoned
reservation simply expires: searches treat it as free, and ``release_expired`` tidies up.

A counter synced with a central database searches and reserves there (the central database is
the authority for the hall's pool; a number leased to another counter is not offered), and
mirrors the reservation locally. Offline it offers and reserves only the numbers leased to it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import ColumnElement, Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Offline, free_to, leased_here, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Customer, LandlineNumber, PhoneNumber, PrettyTier, Subscription
from hall_app.db.text_limits import check_value
from hall_app.domain.eligibility import Eligibility, check_mobile_eligibility
from hall_app.domain.enums import NumberStatus, SubscriptionKind, SubscriptionStatus
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.resident_id import parse_resident_id
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.number_quarantine import audit_ended, end_quarantines, lapsed

NUMBER_FIELD = "号码"
POOL: Table = PhoneNumber.__table__  # type: ignore[assignment]
LANDLINE_POOL: Table = LandlineNumber.__table__  # type: ignore[assignment]


def landline_display(number: str) -> str:
    """059187654321 as it is written: 0591-87654321 (a 3-digit area code: 010-…)."""
    area = 3 if number[:2] in {"01", "02"} else 4
    return f"{number[:area]}-{number[area:]}"


@dataclass(frozen=True)
class NumberPool:
    """One pool of numbers the service hands out: the mobile numbers or the landlines. Both
    tables have the same columns for status, tier, reservation and lease."""

    model: type[PhoneNumber] | type[LandlineNumber]
    table: Table
    entity: str  # in audit entries
    field: str  # the field named in a clerk's message
    digits: int
    display: Callable[[str], str]


MOBILE = NumberPool(PhoneNumber, POOL, "phone_number", NUMBER_FIELD, 11, str)
LANDLINE = NumberPool(
    LandlineNumber, LANDLINE_POOL, "landline_number", "固话号码", 12, landline_display
)


@dataclass(frozen=True)
class NumberView:
    number: str
    tier_code: str | None
    tier_name: str  # 普通号码 when not pretty
    prepayment_fen: int
    min_monthly_fen: int
    lock_in_months: int
    has_four: bool
    display: str = ""  # as written: 0591-87654321 for a landline, the number for a mobile


@dataclass(frozen=True)
class TierView:
    code: str
    name: str
    prepayment_fen: int
    min_monthly_fen: int
    lock_in_months: int


@dataclass(frozen=True)
class Reservation:
    number: NumberView
    reserved_until: datetime


@dataclass(frozen=True)
class NumberFilter:
    prefix: str = ""
    contains: str = ""
    ends_with: str = ""
    tier_code: str | None = None  # "" for ordinary numbers only
    no_four: bool = False


def _digits(value: str, field: str, max_len: int) -> str:
    value = value.strip()
    # ASCII digits only: str.isdigit() also takes ٣ and ², which no number of the pool holds
    if value and (not (value.isascii() and value.isdigit()) or len(value) > max_len):
        raise ValidationError(f"只能输入不超过 {max_len} 位数字", field)
    return value


class NumberService:
    SEARCH_LIMIT = 100

    def __init__(
        self,
        db: Database,
        rules: BusinessRules,
        clock: Clock,
        link: CentralLink | None = None,
        pool: NumberPool | None = None,
    ) -> None:
        """``pool``: the mobile numbers by default, or ``LANDLINE`` for fixed-line numbers."""
        self._pool = pool or MOBILE
        self._m: Any = self._pool.model
        self._table = self._pool.table
        self._field = self._pool.field
        self._db = db
        self._rules = rules
        self._clock = clock
        self._link = link if link is not None and link.configured else None

    def _free(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            self._m.status == NumberStatus.AVAILABLE,
            and_(
                self._m.status == NumberStatus.RESERVED,
                self._m.reserved_until < now,
            ),
            lapsed(self._m, now),  # a cancelled number's cooling-off is over
        )

    def find_numbers(self, actor: Actor, f: NumberFilter) -> list[NumberView]:
        actor.require(Permission.ORDER_CREATE)
        prefix = _digits(f.prefix, "号段", self._pool.digits)
        contains = _digits(f.contains, "包含", 8)
        ends = _digits(f.ends_with, "尾号", 8)
        stmt = (
            select(self._m, PrettyTier)
            .outerjoin(PrettyTier, PrettyTier.id == self._m.pretty_tier_id)
            .where(self._free(self._clock()), self._m.hall_id == actor.hall_id)
        )
        if prefix:
            stmt = stmt.where(self._m.number.startswith(prefix, autoescape=True))
        if contains:
            stmt = stmt.where(self._m.number.contains(contains, autoescape=True))
        if ends:
            stmt = stmt.where(self._m.number.endswith(ends, autoescape=True))
        if f.tier_code == "":
            stmt = stmt.where(self._m.pretty_tier_id.is_(None))
        elif f.tier_code is not None:
            check_value("靓号等级", None, f.tier_code)  # a lone surrogate cannot be bound
            stmt = stmt.where(PrettyTier.code == f.tier_code)
        if f.no_four and self._pool.model is PhoneNumber:
            stmt = stmt.where(self._m.has_four.is_(False))
        stmt = stmt.order_by(  # ordinary numbers first, then the cheapest pretty ones
            self._m.pretty_tier_id.is_not(None),
            func.coalesce(PrettyTier.prepayment_fen, 0),
            self._m.number,
        ).limit(self.SEARCH_LIMIT)
        counter_id = actor.counter_id
        if self._link is not None and counter_id is not None:
            now = self._clock()

            def search(central: Session) -> list[NumberView]:
                online = stmt.where(free_to(self._table, counter_id))
                return [self._view(n, t) for n, t in central.execute(online).all()]

            try:
                return self._link.run(search)
            except Offline:  # only what is leased to this counter
                stmt = stmt.where(leased_here(self._table, counter_id, now))
        with self._db.read() as session:
            return [self._view(n, t) for n, t in session.execute(stmt).all()]

    def list_tiers(self, actor: Actor) -> list[TierView]:
        """The pretty-number tiers, most valuable first, for the number picker's filter."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as session:
            return [
                TierView(t.code, t.name, t.prepayment_fen, t.min_monthly_fen, t.lock_in_months)
                for t in session.scalars(select(PrettyTier).order_by(PrettyTier.rank))
            ]

    def reserve_number(
        self, actor: Actor, number: str, *, replacing: str | None = None
    ) -> Reservation:
        """Hold a number for this counter for the configured minutes. ``replacing``: the number
        the customer held before, given back in the same transaction: if the new one cannot be
        had, the old one stays reserved (all or nothing). An old reservation that has lapsed
        and gone elsewhere is simply not given back."""
        actor.require(Permission.ORDER_CREATE)
        counter_id = actor.require_counter("预占号码")
        now = self._clock()
        until = now + timedelta(minutes=self._rules.number_reservation_minutes)
        if replacing == number:  # the same number again (its reservation ran out)
            replacing = None
        held: list[dict[str, Any]] | None = None
        if self._link is not None:

            def reserve(central: Session) -> list[dict[str, Any]]:
                row = (
                    central.execute(
                        self._reserve_stmt(number, counter_id, now, until).where(
                            free_to(self._table, counter_id)
                        )
                    )
                    .mappings()
                    .one_or_none()
                )
                if row is None:
                    self._refuse(central, number, now)
                rows = [dict(row)]
                if replacing is not None:
                    rows += [
                        dict(r)
                        for r in central.execute(
                            self._release_stmt(replacing, counter_id, now).returning(*self._table.c)
                        ).mappings()
                    ]
                return rows

            try:
                held = self._link.run(reserve)
            except Offline:
                held = None
        with self._db.unit_of_work() as session:
            if held is not None:
                for central_row in held:  # one at a time: mirror takes the others as parents
                    mirror(session, [(self._table, central_row)])
                got = held[0]["id"]
            else:
                stmt = self._reserve_stmt(number, counter_id, now, until)
                if self._link is not None:  # offline: only its own leased numbers
                    stmt = stmt.where(leased_here(self._table, counter_id, now))
                row = session.execute(stmt).mappings().one_or_none()
                if row is None:
                    self._refuse(session, number, now)
                got = row["id"]
            if replacing is not None:
                # Online the central release is mirrored already; offline (or a reservation
                # the central database no longer knows as ours) it is given back here.
                old_id = session.execute(
                    self._release_stmt(replacing, counter_id, now).returning(self._m.id)
                ).scalar_one_or_none()
                if old_id is None and held is not None and len(held) > 1:
                    old_id = held[1]["id"]
                if old_id is not None:
                    _audit_release(
                        session, now, actor, old_id, self._pool.entity, replaced_by=number
                    )
            n, t = session.execute(
                select(self._m, PrettyTier)
                .outerjoin(PrettyTier, PrettyTier.id == self._m.pretty_tier_id)
                .where(self._m.id == got)
            ).one()
            audit.record(
                session,
                at=now,
                actor=actor,
                action="number.reserve",
                entity=self._pool.entity,
                entity_id=got,
                before={"status": "available"},
                after={"status": "reserved", "until": until.isoformat()},
            )
            return Reservation(self._view(n, t), until)

    def _release_stmt(self, number: str, counter_id: uuid.UUID | None, now: datetime) -> Any:
        return (
            update(self._m)
            .where(
                self._m.number == number,
                self._m.status == NumberStatus.RESERVED,
                self._m.reserved_by_counter_id == counter_id,
            )
            .values(**_released(now))
        )

    def _reserve_stmt(
        self, number: str, counter_id: uuid.UUID, now: datetime, until: datetime
    ) -> Any:
        return (
            update(self._m)
            .where(self._m.number == number, self._free(now))
            .values(
                status=NumberStatus.RESERVED,
                reserved_until=until,
                reserved_by_counter_id=counter_id,
                quarantined_until=None,
                updated_at=now,
            )
            .returning(*self._table.c)
        )

    def _refuse(self, session: Session, number: str, now: datetime) -> NoReturn:
        """Why a reservation failed, named for the clerk."""
        row = session.execute(
            select(self._m.status, self._free(now)).where(self._m.number == number)
        ).one_or_none()
        if row is None:
            raise NotFound(f"号池中没有 {number}", self._field)
        status, free = row
        if status is NumberStatus.QUARANTINED and not free:
            raise ValidationError(f"{number} 销户后尚在冷冻期，暂不能选用", self._field)
        if free and self._link is not None:
            if not self._link.online:
                raise ValidationError(
                    f"离线时只能选用本窗口租用的号码，{number} 不在其中", self._field
                )
            raise ValidationError(f"{number} 已租给其他窗口离线销售，请另选号码", self._field)
        raise ValidationError(f"{number} 已被其他窗口预占或已使用，请另选号码", self._field)

    def release_number(self, actor: Actor, number: str) -> None:
        """Give a number back (the customer chose another, or the wizard was abandoned)."""
        actor.require(Permission.ORDER_CREATE)
        check_value("号码", None, number)  # a lone surrogate cannot be bound
        now = self._clock()
        release = self._release_stmt(number, actor.counter_id, now).returning(self._m.id)
        if self._link is not None:  # at once for the others; offline, with the next push
            with contextlib.suppress(Offline):
                self._link.run(lambda central: central.execute(release).all())
        with self._db.unit_of_work() as session:
            got = session.execute(release).scalar_one_or_none()
            if got is None:
                raise ValidationError(f"{number} 不是本窗口预占的号码", self._field)
            _audit_release(session, now, actor, got, self._pool.entity)

    def release_expired(self, counter_id: uuid.UUID | None = None) -> int:
        """Housekeeping: reservations past their time become available again, and so do
        cancelled numbers whose quarantine has run out (number_quarantine). A counter synced
        with a central database tidies only its own reservations (``counter_id``): another
        counter's reservation in its copy may long since have become a sale centrally."""
        return self._release_reservations(counter_id) + self._end_quarantines()

    def _end_quarantines(self) -> int:
        """Lapsed quarantines set AVAILABLE: centrally when synced (mirrored here; offline
        left for a later round), else in the counter's database."""
        now, m, table = self._clock(), self._m, self._table
        if self._link is None:
            with self._db.unit_of_work() as session:
                ended = [r["id"] for r in end_quarantines(session, m, table, now)]
                audit_ended(session, now, self._pool.entity, ended)
                return len(ended)
        try:
            rows = self._link.run(lambda central: end_quarantines(central, m, table, now))
        except Offline:
            return 0
        with self._db.unit_of_work() as session:
            for row in rows:
                mirror(session, [(table, dict(row))])
            audit_ended(session, now, self._pool.entity, [r["id"] for r in rows])
        return len(rows)

    def _release_reservations(self, counter_id: uuid.UUID | None) -> int:
        now = self._clock()
        stmt = update(self._m).where(
            self._m.status == NumberStatus.RESERVED, self._m.reserved_until < now
        )
        if self._link is not None:
            if counter_id is None:
                return 0
            stmt = stmt.where(self._m.reserved_by_counter_id == counter_id)
        with self._db.unit_of_work() as session:
            ids = session.scalars(stmt.values(**_released(now)).returning(self._m.id)).all()
            audit_ended(
                session,
                now,
                self._pool.entity,
                ids,
                action="number.reservation_expired",
                was="reserved",
            )
            return len(ids)

    def _view(self, n: Any, t: PrettyTier | None) -> NumberView:
        return _view(n, t, self._pool.display(n.number))

    def check_eligibility(self, actor: Actor, customer_id: uuid.UUID) -> Eligibility:
        """May this customer open a new mobile number here, and on what conditions?"""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as session:
            return self.eligibility_in(session, customer_id, self._clock())

    def eligibility_in(
        self, session: Session, customer_id: uuid.UUID, now: datetime
    ) -> Eligibility:
        """The eligibility check inside a caller's transaction. Order completion calls it after
        locking the customer row, so two counters cannot both pass the card limit."""
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound("该客户不存在", "客户")
        if customer.id_number is None:
            raise ValidationError("政企客户请按政企流程办理", "客户")
        parsed = parse_resident_id(customer.id_number, today=business_date(now))
        since = now - timedelta(days=self._rules.recent_open_window_days)
        mobile_active = (
            Subscription.customer_id == customer_id,
            Subscription.kind == SubscriptionKind.MOBILE,
            Subscription.status.in_([SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED]),
        )
        active = session.scalar(select(func.count()).where(*mobile_active)) or 0
        recent = (
            session.scalar(
                select(func.count()).where(*mobile_active, Subscription.activated_at >= since)
            )
            or 0
        )
        return check_mobile_eligibility(
            age=parsed.age_on(business_date(now)),
            active_numbers=active,
            recent_opens=recent,
            rules=self._rules.eligibility(),
        )


def _released(now: datetime) -> dict[str, object]:
    return {
        "status": NumberStatus.AVAILABLE,
        "reserved_until": None,
        "reserved_by_counter_id": None,
        "updated_at": now,
    }


def _view(n: Any, t: PrettyTier | None, display: str) -> NumberView:
    return NumberView(
        number=n.number,
        tier_code=t.code if t else None,
        tier_name=t.name if t else "普通号码",
        prepayment_fen=t.prepayment_fen if t else 0,
        min_monthly_fen=t.min_monthly_fen if t else 0,
        lock_in_months=t.lock_in_months if t else 0,
        has_four=getattr(n, "has_four", False),
        display=display,
    )


def _audit_release(
    session: Session,
    now: datetime,
    actor: Actor,
    number_id: uuid.UUID,
    entity: str,
    replaced_by: str | None = None,
) -> None:
    """The audit entry of a reservation given back (for another number, if ``replaced_by``)."""
    after: dict[str, str] = {"status": "available"}
    if replaced_by is not None:
        after["replaced_by"] = replaced_by
    audit.record(
        session,
        at=now,
        actor=actor,
        action="number.release",
        entity=entity,
        entity_id=number_id,
        before={"status": "reserved"},
        after=after,
    )
