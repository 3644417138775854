"""The supervisor's list of unmasked views (敏感信息查看记录): every time a full ID or phone
number was shown, who saw it, when, whose, at which window and on which screen.

Each unmasked view writes an audit entry with one of ``SENSITIVE_ACTIONS`` (the customer
record, the 预约登记 list, the sync clashes); this lists them by business day."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from hall_app.clock import HALL_TZ, Clock
from hall_app.db.engine import Database
from hall_app.db.models import AuditEntry, Counter, Customer, Staff
from hall_app.domain.masking import mask_id_number, mask_name
from hall_app.domain.permissions import ROLE_PERMISSIONS, Permission
from hall_app.services.actor import Actor

# The audit action of each unmasked view, and the screen it was shown on.
CUSTOMER_VIEW = "customer.view_sensitive"
DEMANDS_VIEW = "demand.view_sensitive"
CLASHES_VIEW = "clash.view_sensitive"
SENSITIVE_ACTIONS: dict[str, str] = {
    CUSTOMER_VIEW: "客户资料",
    DEMANDS_VIEW: "宽带预约登记",
    CLASHES_VIEW: "资源冲突",
}
LIMIT = 2000


@dataclass(frozen=True)
class SensitiveView:
    at: datetime
    staff_name: str  # 姓名（工号）, or the audited account name
    counter_name: str  # the window it was seen at
    screen: str  # the screen that showed it (SENSITIVE_ACTIONS)
    subject: str  # whose numbers, masked: 张*（1101**********1234）, or what list
    customer_id: uuid.UUID | None


@dataclass(frozen=True)
class Viewer:
    """A staff member of the hall, to filter the list by who viewed."""

    staff_id: uuid.UUID
    label: str  # 姓名（工号）, （已停用） when the account no longer logs in


class SensitiveViewService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def viewers(self, actor: Actor) -> list[Viewer]:
        """The hall's staff, those who may see full numbers first, then by 工号 (the
        deactivated too: their views stay listed)."""
        actor.require(Permission.REPORTS_VIEW)
        with self._db.read() as s:
            staff = s.scalars(select(Staff).where(Staff.hall_id == actor.hall_id)).all()
            rows = [
                (
                    Permission.VIEW_SENSITIVE not in ROLE_PERMISSIONS[p.role],
                    p.employee_no,
                    Viewer(
                        p.id,
                        f"{p.full_name}（{p.employee_no}）" + ("" if p.active else "（已停用）"),
                    ),
                )
                for p in staff
            ]
        return [v for *_, v in sorted(rows, key=lambda r: (r[0], r[1]))]

    def views(
        self, actor: Actor, day: date, *, staff_id: uuid.UUID | None = None
    ) -> list[SensitiveView]:
        """The day's unmasked views in this hall, newest first (at most ``LIMIT``); only
        ``staff_id``'s when given (who viewed)."""
        actor.require(Permission.REPORTS_VIEW)
        start = datetime.combine(day, time(0), HALL_TZ)
        end = start + timedelta(days=1)
        stmt = (
            select(AuditEntry, Staff.full_name, Staff.employee_no, Counter.name)
            .outerjoin(Staff, Staff.id == AuditEntry.staff_id)
            .outerjoin(Counter, Counter.id == AuditEntry.counter_id)
            .where(
                AuditEntry.action.in_(SENSITIVE_ACTIONS),
                AuditEntry.at >= start,
                AuditEntry.at < end,
                # This hall's: its staff, or its windows (an account no longer on the roll).
                (Staff.hall_id == actor.hall_id) | (Counter.hall_id == actor.hall_id),
            )
            .order_by(AuditEntry.at.desc())
            .limit(LIMIT)
        )
        if staff_id is not None:
            stmt = stmt.where(AuditEntry.staff_id == staff_id)
        with self._db.read() as s:
            rows = s.execute(stmt).all()
            ids = {
                uuid.UUID(e.entity_id)
                for e, *_ in rows
                if e.action == CUSTOMER_VIEW and e.entity_id is not None
            }
            customers = (
                {c.id: c for c in s.scalars(select(Customer).where(Customer.id.in_(ids)))}
                if ids
                else {}
            )
            out = []
            for e, full_name, employee_no, counter_name in rows:
                customer_id = (
                    uuid.UUID(e.entity_id)
                    if e.action == CUSTOMER_VIEW and e.entity_id is not None
                    else None
                )
                out.append(
                    SensitiveView(
                        at=e.at,
                        staff_name=f"{full_name}（{employee_no}）" if full_name else e.actor_name,
                        counter_name=counter_name or "未分配窗口",
                        screen=SENSITIVE_ACTIONS[e.action],
                        subject=_subject(e, customers.get(customer_id) if customer_id else None),
                        customer_id=customer_id,
                    )
                )
            return out


def _subject(entry: AuditEntry, customer: Customer | None) -> str:
    if entry.action == CUSTOMER_VIEW:
        if customer is None:
            return "（客户已删除）"
        number = mask_id_number(customer.id_number) if customer.id_number else "无证件号码"
        return f"{mask_name(customer.name)}（{number}）"
    shown = (entry.after or {}).get("shown", 0)
    return f"{SENSITIVE_ACTIONS[entry.action]}列表 {shown} 条的完整电话号码"
