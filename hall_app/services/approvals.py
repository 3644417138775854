"""Approvals (审批): a clerk asks, a duty supervisor decides, the clerk's order goes on.

A supervisor may still type their credentials at the clerk's counter (``record_inline``: an
approval row decided on the spot). Or the clerk sends a request (``ApprovalService.request``)
that waits in the inbox of the hall's duty supervisors; on a synced hall it lives on the
central database (through the ``CentralLink``), so a supervisor on another counter sees and
decides it, and each counter mirrors the row it touched. The clerk's service then redeems
the approval in its own transaction (``redeem``): approved, unused, asked by this clerk for
this very kind and subject; it is used once.

Four-eyes: the requester never decides their own request. A request left undecided past
``expires_at`` (``approval_expiry_minutes``) is expired and can no longer be decided. Every
request, decision, withdrawal and use is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.orm import Session

from hall_app.clock import HALL_TZ, Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db.central import CentralLink, Offline, Row, fetch_with_parents, mirror
from hall_app.db.engine import Database
from hall_app.db.models import Approval, Counter, Customer, Order, Staff
from hall_app.db.text_limits import check_text
from hall_app.domain.approvals import kind_label, kind_of
from hall_app.domain.enums import ApprovalState
from hall_app.domain.errors import NotFound, PermissionDenied, ValidationError
from hall_app.domain.masking import mask_id_number, mask_name
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.services import audit
from hall_app.services.actor import Actor

APPROVAL_FIELD = "审批"
REASON_FIELD = "审批理由"
APPROVALS: Table = Approval.__table__  # type: ignore[assignment]
OFFLINE_REQUEST = "与中心数据库断开：暂时不能发送远程审批申请，请主管到窗口现场授权，或稍后重试"
OFFLINE_INBOX = "与中心数据库断开：暂时看不到各窗口的审批申请，请稍后重试"
EXPIRED = "该申请已过期，请营业员重新发起"
T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class ApprovalRequest:
    kind: str  # a code declared in hall_app.domain.approvals
    subject_ref: str  # what exactly is to be approved (an assessment id, an invoice number…)
    request_reason: str  # why the clerk asks
    summary: str  # what, e.g. "30天内再次开户 189****1234"
    customer_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    amount_fen: int | None = None


@dataclass(frozen=True)
class ApprovalView:
    id: uuid.UUID
    kind: str
    kind_label: str
    state: ApprovalState  # PENDING past its expiry shows as EXPIRED
    inline: bool
    requested_by_id: uuid.UUID
    requested_by_name: str
    counter_name: str
    customer_label: str  # masked at request time
    summary: str
    request_reason: str
    amount_fen: int | None
    requested_at: datetime | None
    expires_at: datetime | None
    approver_name: str
    reason: str  # the decision's reason
    decided_at: datetime | None
    used_at: datetime | None
    subject_ref: str

    def minutes_left(self, now: datetime) -> int:
        """Whole minutes (rounded up) before a pending request expires; 0 once it has."""
        if self.state is not ApprovalState.PENDING or self.expires_at is None:
            return 0
        seconds = (self.expires_at - now).total_seconds()
        return max(0, -int(-seconds // 60))


def effective_state(approval: Approval, now: datetime) -> ApprovalState:
    """A pending request past its expiry is expired, whether or not the row says so yet."""
    if (
        approval.state is ApprovalState.PENDING
        and approval.expires_at is not None
        and now >= approval.expires_at
    ):
        return ApprovalState.EXPIRED
    return approval.state


def customer_label(session: Session, customer_id: uuid.UUID | None) -> str:
    """The customer as a supervisor reads them in the inbox: masked name and ID number."""
    if customer_id is None:
        return ""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return ""
    parts = [mask_name(customer.name)]
    if customer.id_number:
        parts.append(mask_id_number(customer.id_number))
    return " ".join(p for p in parts if p)[:64]


# -- inside another service's transaction ---------------------------------------------------
def redeem(
    session: Session,
    actor: Actor,
    approval_id: uuid.UUID,
    *,
    kind: str,
    subject_ref: str,
    now: datetime,
    amount_fen: int | None = None,
) -> uuid.UUID:
    """Use a remote approval inside the caller's transaction: it must be approved (that same
    business day), unused, asked by ``actor``, of ``kind`` and for ``subject_ref`` (and, when
    ``amount_fen`` is given, for that very amount: a till's variance recounted since is not
    the one approved). Marks it used (``used_at``) and returns the approver's staff id;
    refuses clearly otherwise (nothing is used then, the caller's transaction rolls back)."""
    approval = session.execute(
        select(Approval).where(Approval.id == approval_id).with_for_update()
    ).scalar_one_or_none()
    if approval is None:
        raise NotFound("找不到该审批，请重新发起审批申请", APPROVAL_FIELD)
    if approval.requested_by_id != actor.staff_id:
        raise ValidationError("该审批不是您发起的，不能使用", APPROVAL_FIELD)
    if approval.kind != kind:
        raise ValidationError(
            f"该审批是“{kind_label(approval.kind)}”，不能用于“{kind_label(kind)}”", APPROVAL_FIELD
        )
    if approval.subject_ref != subject_ref:
        raise ValidationError("该审批批准的不是本笔业务，请重新发起审批申请", APPROVAL_FIELD)
    if amount_fen is not None and approval.amount_fen != amount_fen:
        then = "未写明金额" if approval.amount_fen is None else format_yuan(approval.amount_fen)
        raise ValidationError(
            f"金额已变化（审批时 {then}，现在 {format_yuan(amount_fen)}），请重新申请审批",
            APPROVAL_FIELD,
        )
    if approval.used_at is not None:
        raise ValidationError("该审批已使用", APPROVAL_FIELD)
    state = effective_state(approval, now)
    if state is ApprovalState.EXPIRED:
        raise ValidationError("审批已过期，请重新发起审批申请", APPROVAL_FIELD)
    if state is ApprovalState.REJECTED:
        why = f"：{approval.reason}" if approval.reason else ""
        raise ValidationError(f"审批未通过{why}", APPROVAL_FIELD)
    if state is ApprovalState.WITHDRAWN:
        raise ValidationError("该审批申请已撤回", APPROVAL_FIELD)
    if state is ApprovalState.PENDING:
        raise ValidationError("主管尚未审批，请等待审批结果", APPROVAL_FIELD)
    assert approval.approver_id is not None
    if approval.decided_at is not None and business_date(approval.decided_at) != business_date(now):
        raise ValidationError("审批已过期（批准当天有效），请重新发起审批申请", APPROVAL_FIELD)
    approval.used_at = now
    approval.updated_at = now
    audit.record(
        session,
        at=now,
        actor=actor,
        action="approval.redeem",
        entity="approval",
        entity_id=approval.id,
        after={"kind": kind, "subject_ref": subject_ref},
    )
    return approval.approver_id


def record_inline(
    session: Session,
    actor: Actor,
    supervisor: Actor,
    *,
    kind: str,
    subject_ref: str,
    customer_id: uuid.UUID | None,
    order_id: uuid.UUID | None,
    reason: str,
    now: datetime,
    amount_fen: int | None = None,
) -> uuid.UUID:
    """The row of an approval a supervisor gave at the clerk's counter (their credentials
    checked by ``AuthService.authorize``), in the caller's transaction. Four-eyes: the clerk
    never approves their own work. Returns the approval's id."""
    declared = kind_of(kind)
    if supervisor.must_change_password:  # a reset password is known to whoever reset it
        raise PermissionDenied(
            f"{supervisor.full_name} 的密码已被重置，须先登录并修改密码后才能授权", "主管授权"
        )
    if not supervisor.can(declared.permission):
        raise PermissionDenied(
            f"{supervisor.full_name}（{supervisor.role.label}）无权审批“{declared.label}”",
            "主管授权",
        )
    if supervisor.staff_id == actor.staff_id:
        raise ValidationError("不能为自己受理的业务授权，请另一位值班主管授权", "主管授权")
    check_text(Approval.reason, reason)
    check_text(Approval.subject_ref, subject_ref)
    approval = Approval(
        kind=kind,
        order_id=order_id,
        customer_id=customer_id,
        requested_by_id=actor.staff_id,
        approver_id=supervisor.staff_id,
        state=ApprovalState.APPROVED,
        reason=reason,
        decided_at=now,
        hall_id=actor.hall_id,
        counter_id=actor.counter_id,
        inline=True,
        requested_at=now,
        customer_label=customer_label(session, customer_id),
        subject_ref=subject_ref,
        amount_fen=amount_fen,
        used_at=now,
    )
    session.add(approval)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="approval.inline",
        entity="approval",
        entity_id=approval.id,
        after={"kind": kind, "subject_ref": subject_ref, "approver": supervisor.username},
    )
    return approval.id


# -- the inbox -------------------------------------------------------------------------------
class ApprovalService:
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

    # The database that holds the hall's requests: the central one on a synced hall.
    def _on_hall(self, work: Callable[[Session], T], offline: str) -> T:
        if self._link is None:
            with self._db.unit_of_work() as session:
                return work(session)
        try:
            return self._link.run(work)
        except Offline:
            raise ValidationError(offline, APPROVAL_FIELD) from None

    def _change(
        self,
        work: Callable[[Session], T],
        offline: str,
        after: Callable[[Session, T], U],
    ) -> U:
        """A change to the hall's requests, then ``after`` (the audit entry, and the mirror of
        a central change) on this counter. Standalone both run in one transaction, so nothing
        is kept unaudited; on a synced hall the central change commits first."""
        if self._link is None:
            with self._db.unit_of_work() as session:
                return after(session, work(session))
        result = self._on_hall(work, offline)
        with self._db.unit_of_work() as session:
            return after(session, result)

    def _mirror(self, rows: list[tuple[Table, Row]]) -> None:
        with self._db.unit_of_work() as session:
            mirror(session, rows)

    @staticmethod
    def _rows(session: Session, approval_id: uuid.UUID) -> list[tuple[Table, Row]]:
        row = session.execute(select(APPROVALS).where(APPROVALS.c.id == approval_id)).mappings()
        return fetch_with_parents(session, APPROVALS, dict(row.one()))

    def request(self, actor: Actor, req: ApprovalRequest) -> ApprovalView:
        """A clerk asks the hall's duty supervisors (the inbox) to approve ``req``."""
        actor.require(Permission.ORDER_CREATE)
        declared = kind_of(req.kind)
        reason = req.request_reason.strip()
        if not reason:
            raise ValidationError("请填写申请原因，主管据此审批", "申请原因")
        check_text(Approval.request_reason, reason)
        summary = req.summary.strip() or declared.label
        check_text(Approval.summary, summary)
        if not req.subject_ref:
            raise ValidationError("审批对象不能为空", "审批对象")
        check_text(Approval.subject_ref, req.subject_ref)
        if req.amount_fen is not None and req.amount_fen < 0:
            raise ValidationError("金额不能为负数", "金额")
        now = self._clock()
        with self._db.read() as session:  # the customer as this counter knows them
            label = customer_label(session, req.customer_id)
        approval_id = uuid.uuid4()

        def work(session: Session) -> list[tuple[Table, Row]]:
            pending = session.scalars(
                select(Approval).where(
                    Approval.requested_by_id == actor.staff_id,
                    Approval.kind == req.kind,
                    Approval.subject_ref == req.subject_ref,
                    Approval.state == ApprovalState.PENDING,
                )
            ).all()
            if any(effective_state(a, now) is ApprovalState.PENDING for a in pending):
                raise ValidationError("该事项已有待审批的申请，请等待主管审批", APPROVAL_FIELD)
            # A customer or order this counter has not pushed yet is named by the label only.
            customer_id = req.customer_id
            if customer_id is not None and session.get(Customer, customer_id) is None:
                customer_id = None
            order_id = req.order_id
            if order_id is not None and session.get(Order, order_id) is None:
                order_id = None
            session.add(
                Approval(
                    id=approval_id,
                    kind=req.kind,
                    order_id=order_id,
                    customer_id=customer_id,
                    requested_by_id=actor.staff_id,
                    state=ApprovalState.PENDING,
                    hall_id=actor.hall_id,
                    counter_id=actor.counter_id,
                    inline=False,
                    requested_at=now,
                    expires_at=now + timedelta(minutes=self._rules.approval_expiry_minutes),
                    request_reason=reason,
                    summary=summary,
                    customer_label=label,
                    subject_ref=req.subject_ref,
                    amount_fen=req.amount_fen,
                    created_at=now,
                    updated_at=now,
                )
            )
            session.flush()
            return self._rows(session, approval_id)

        def after(session: Session, rows: list[tuple[Table, Row]]) -> ApprovalView:
            if self._link is not None:
                mirror(session, rows)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="approval.request",
                entity="approval",
                entity_id=approval_id,
                after={"kind": req.kind, "subject_ref": req.subject_ref, "reason": reason},
            )
            return _views(session, [session.get_one(Approval, approval_id)], now)[0]

        return self._change(work, OFFLINE_REQUEST, after)

    def get(self, actor: Actor, approval_id: uuid.UUID) -> ApprovalView:
        """One request as it stands now (the clerk's dialog asks every 2 s, on the read lane):
        its requester or a supervisor of the hall. On a synced hall it is read centrally;
        nothing is written (``receive`` takes the decided request into this counter)."""
        actor.require(Permission.ORDER_CREATE)  # a requester; another's needs 审批 too
        view, _rows = self._read_one(actor, approval_id, with_rows=False)
        return view

    def receive(self, actor: Actor, approval_id: uuid.UUID) -> ApprovalView:
        """The request as ``get`` reads it, now also written into this counter's database (on
        a synced hall it was decided centrally), so the clerk's order can redeem it here. A
        write: the clerk's dialog calls it once the decision has come."""
        actor.require(Permission.ORDER_CREATE)  # a requester; another's needs 审批 too
        view, rows = self._read_one(actor, approval_id, with_rows=True)
        if rows:
            self._mirror(rows)
        return view

    def _read_one(
        self, actor: Actor, approval_id: uuid.UUID, *, with_rows: bool
    ) -> tuple[ApprovalView, list[tuple[Table, Row]]]:
        now = self._clock()

        def work(session: Session) -> tuple[ApprovalView, list[tuple[Table, Row]]]:
            approval = session.get(Approval, approval_id)
            if approval is None or approval.hall_id not in (None, actor.hall_id):
                raise NotFound("找不到该审批申请", APPROVAL_FIELD)
            if approval.requested_by_id != actor.staff_id:
                actor.require(Permission.APPROVE)
            view = _views(session, [approval], now)[0]
            wanted = with_rows and self._link is not None
            return view, (self._rows(session, approval_id) if wanted else [])

        if self._link is None:
            with self._db.read() as session:
                return work(session)
        return self._on_hall(work, OFFLINE_INBOX)

    def withdraw(self, actor: Actor, approval_id: uuid.UUID) -> ApprovalView:
        """The requester takes back a request still pending (the customer left, the clerk
        found another way). A request already decided is left as it is."""
        actor.require(Permission.ORDER_CREATE)  # as when it was requested
        now = self._clock()

        def work(session: Session) -> tuple[ApprovalView, list[tuple[Table, Row]]]:
            approval = _locked(session, approval_id, actor)
            if approval.requested_by_id != actor.staff_id:
                raise ValidationError("只能撤回自己发起的审批申请", APPROVAL_FIELD)
            if effective_state(approval, now) is ApprovalState.PENDING:
                approval.state = ApprovalState.WITHDRAWN
                approval.decided_at = now
                approval.updated_at = now
                session.flush()
            view = _views(session, [approval], now)[0]
            return view, (self._rows(session, approval_id) if self._link is not None else [])

        def after(
            session: Session, done: tuple[ApprovalView, list[tuple[Table, Row]]]
        ) -> ApprovalView:
            view, rows = done
            mirror(session, rows)
            if view.state is ApprovalState.WITHDRAWN and view.decided_at == now:
                audit.record(
                    session,
                    at=now,
                    actor=actor,
                    action="approval.withdraw",
                    entity="approval",
                    entity_id=approval_id,
                    after={"state": ApprovalState.WITHDRAWN.value},
                )
            return view

        return self._change(work, OFFLINE_INBOX, after)

    def inbox(self, actor: Actor) -> list[ApprovalView]:
        """The hall's pending requests, oldest first (the duty supervisors' inbox)."""
        actor.require(Permission.APPROVE)
        now = self._clock()

        def work(session: Session) -> list[ApprovalView]:
            rows = session.scalars(
                select(Approval)
                .where(
                    Approval.hall_id == actor.hall_id,
                    Approval.state == ApprovalState.PENDING,
                    Approval.expires_at > now,
                )
                .order_by(Approval.requested_at)
            ).all()
            return _views(session, rows, now)

        if self._link is None:
            with self._db.read() as session:
                return work(session)
        return self._on_hall(work, OFFLINE_INBOX)

    def decided_today(self, actor: Actor) -> list[ApprovalView]:
        """Today's decided, expired and withdrawn requests of the hall, latest first (inline
        approvals given at a counter included)."""
        actor.require(Permission.APPROVE)
        now = self._clock()
        start = datetime.combine(business_date(now), datetime.min.time(), HALL_TZ)

        def work(session: Session) -> list[ApprovalView]:
            rows = session.scalars(
                select(Approval).where(
                    Approval.hall_id == actor.hall_id,
                    or_(
                        Approval.decided_at >= start,
                        and_(
                            Approval.decided_at.is_(None),
                            Approval.state.in_((ApprovalState.PENDING, ApprovalState.EXPIRED)),
                            Approval.expires_at >= start,
                            Approval.expires_at <= now,
                        ),
                    ),
                )
            ).all()
            ended = sorted(rows, key=lambda a: a.decided_at or a.expires_at or now, reverse=True)
            return _views(session, ended, now)

        if self._link is None:
            with self._db.read() as session:
                return work(session)
        return self._on_hall(work, OFFLINE_INBOX)

    def decide(
        self, actor: Actor, approval_id: uuid.UUID, approve: bool, reason: str
    ) -> ApprovalView:
        """A duty supervisor approves or rejects (with a reason) a pending request of the
        hall. Never their own; never once it has expired."""
        actor.require(Permission.APPROVE)
        reason = reason.strip()
        if not approve and not reason:
            raise ValidationError("驳回须填写理由", REASON_FIELD)
        check_text(Approval.reason, reason)
        now = self._clock()
        expired: list[bool] = []

        def work(session: Session) -> tuple[ApprovalView, list[tuple[Table, Row]]]:
            approval = _locked(session, approval_id, actor)
            if not actor.can(kind_of(approval.kind).permission):
                actor.require(kind_of(approval.kind).permission)
            if approval.requested_by_id == actor.staff_id:
                raise ValidationError(
                    "不能审批自己发起的申请，请另一位值班主管审批", APPROVAL_FIELD
                )
            state = effective_state(approval, now)
            if state is ApprovalState.EXPIRED:
                if approval.state is ApprovalState.PENDING:
                    approval.state = ApprovalState.EXPIRED  # recorded, then refused
                    approval.updated_at = now
                    session.flush()
                expired.append(True)
            elif state is not ApprovalState.PENDING:
                raise ValidationError(f"该申请{state.label}，不能再审批", APPROVAL_FIELD)
            else:
                approval.state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
                approval.approver_id = actor.staff_id
                approval.reason = reason
                approval.decided_at = now
                approval.updated_at = now
                session.flush()
            view = _views(session, [approval], now)[0]
            return view, (self._rows(session, approval_id) if self._link is not None else [])

        def after(
            session: Session, done: tuple[ApprovalView, list[tuple[Table, Row]]]
        ) -> ApprovalView:
            view, rows = done
            mirror(session, rows)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="approval.expire" if expired else "approval.decide",
                entity="approval",
                entity_id=approval_id,
                after={"state": view.state.value, "reason": reason, "kind": view.kind},
            )
            return view

        view = self._change(work, OFFLINE_INBOX, after)
        if expired:
            raise ValidationError(EXPIRED, APPROVAL_FIELD)
        return view


def _locked(session: Session, approval_id: uuid.UUID, actor: Actor) -> Approval:
    approval = session.execute(
        select(Approval).where(Approval.id == approval_id).with_for_update()
    ).scalar_one_or_none()
    if approval is None or approval.hall_id not in (None, actor.hall_id):
        raise NotFound("找不到该审批申请", APPROVAL_FIELD)
    return approval


def _views(session: Session, approvals: Iterable[Approval], now: datetime) -> list[ApprovalView]:
    approvals = list(approvals)
    staff_ids = {a.requested_by_id for a in approvals} | {
        a.approver_id for a in approvals if a.approver_id is not None
    }
    counter_ids = {a.counter_id for a in approvals if a.counter_id is not None}
    names: dict[uuid.UUID, str] = {}
    if staff_ids:
        names = {
            i: n
            for i, n in session.execute(
                select(Staff.id, Staff.full_name).where(Staff.id.in_(staff_ids))
            )
        }
    counters: dict[uuid.UUID, str] = {}
    if counter_ids:
        counters = {
            i: n
            for i, n in session.execute(
                select(Counter.id, Counter.name).where(Counter.id.in_(counter_ids))
            )
        }
    return [
        ApprovalView(
            id=a.id,
            kind=a.kind,
            kind_label=kind_label(a.kind),
            state=effective_state(a, now),
            inline=a.inline,
            requested_by_id=a.requested_by_id,
            requested_by_name=names.get(a.requested_by_id, ""),
            counter_name=counters.get(a.counter_id, "") if a.counter_id else "",
            customer_label=a.customer_label,
            summary=a.summary,
            request_reason=a.request_reason,
            amount_fen=a.amount_fen,
            requested_at=a.requested_at,
            expires_at=a.expires_at,
            approver_name=names.get(a.approver_id, "") if a.approver_id else "",
            reason=a.reason,
            decided_at=a.decided_at,
            used_at=a.used_at,
            subject_ref=a.subject_ref,
        )
        for a in approvals
    ]
