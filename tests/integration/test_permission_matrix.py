"""The permission matrix: every public method of every service in ``HallApp`` that takes an
``actor`` is called with each role's actor (clerk, supervisor, admin) and dummy arguments.

``Actor.require`` and ``Actor.can`` are recorded. The test fails if a method checks no
permission, if its first check is not the one declared in ``DECLARED`` (a new service method
must be added there), or if a role without the declared permission gets anything but a
``PermissionDenied`` before any change (no audit entry, nothing queued for sync)."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import typing
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.clock import HALL_TZ
from hall_app.db.models import AuditEntry, SyncOutbox
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import Role
from hall_app.domain.errors import PermissionDenied
from hall_app.domain.permissions import ROLE_PERMISSIONS, Permission
from hall_app.services.actor import Actor

P = Permission

# Methods deliberately open to any logged-in account, and why.
OPEN: dict[str, str] = {
    "auth.log_out": "records that one leaves the counter: refusing it would keep a login open",
    "staff.change_own_password": "a reset password must be changed before any other work",
    "auth.lock_session": "locking the counter must never be refused (it only hides the screen)",
    "auth.unlock_session": "the staff member's own password decides, as at login",
}

# What each method checks first (all its checks are recorded; the first decides).
DECLARED: dict[str, Permission] = {
    "account_changes.change_customer_data": P.CUSTOMER_EDIT,
    "account_changes.quote_customer_data": P.CUSTOMER_EDIT,
    "account_changes.quote_number_change": P.ORDER_CREATE,
    "account_changes.read_id_card": P.ORDER_CREATE,
    "account_changes.reinstate": P.ORDER_CREATE,
    "account_changes.report_loss": P.ORDER_CREATE,
    "account_changes.resume": P.ORDER_CREATE,
    "account_changes.suspend": P.ORDER_CREATE,
    "approvals.decide": P.APPROVE,
    "audit_chain.acknowledge": P.APPROVE,
    "audit_chain.alerts": P.APPROVE,
    "audit_chain.desk_alerts": P.APPROVE,
    "approvals.decided_today": P.APPROVE,
    "approvals.get": P.ORDER_CREATE,
    "approvals.inbox": P.APPROVE,
    "approvals.receive": P.ORDER_CREATE,
    "approvals.request": P.ORDER_CREATE,
    "approvals.withdraw": P.ORDER_CREATE,
    "billing.run_billing": P.CATALOG_ADMIN,
    "billing.suspend_for_arrears": P.CATALOG_ADMIN,
    "bills.bill_history": P.CUSTOMER_VIEW,
    "bills.pay_bills": P.ORDER_CREATE,
    "bills.quote_bill_payment": P.CUSTOMER_VIEW,
    "bills.unpaid_bills": P.CUSTOMER_VIEW,
    "calendar.calendar": P.ORDER_CREATE,
    "calendar.day": P.ORDER_CREATE,
    "calendar.promised_install_date": P.ORDER_CREATE,
    "cancellations.cancel": P.ORDER_CREATE,
    "cancellations.check_cancellation": P.ORDER_CREATE,
    "cash.check_hall_close": P.CASH_RECONCILE,
    "cash.close_hall_day": P.CASH_RECONCILE,
    "cash.close_session": P.PAYMENT_TAKE,
    "cash.closed_today": P.PAYMENT_TAKE,
    "cash.current_session": P.PAYMENT_TAKE,
    "cash.day_sessions": P.CASH_RECONCILE,
    "cash.hall_day": P.CASH_RECONCILE,
    "cash.hall_x_report": P.CASH_RECONCILE,
    "cash.move_cash": P.PAYMENT_TAKE,
    "cash.open_session": P.PAYMENT_TAKE,
    "cash.preview_z_report": P.PAYMENT_TAKE,
    "cash.print_z_report": P.PAYMENT_TAKE,
    "cash.record_count": P.PAYMENT_TAKE,
    "cash.till_to_count": P.PAYMENT_TAKE,
    "cash.x_report": P.PAYMENT_TAKE,
    "cash.z_report": P.PAYMENT_TAKE,
    "catalog.list_addons": P.ORDER_CREATE,
    "catalog.list_plans": P.ORDER_CREATE,
    "coverage.lookup": P.ORDER_CREATE,
    "customers.get_customer_record": P.CUSTOMER_VIEW,
    "customers.register_individual": P.CUSTOMER_EDIT,
    "customers.search_customers": P.CUSTOMER_SEARCH,
    "documents.document_kinds": P.ORDER_CREATE,
    "documents.preview_document": P.ORDER_CREATE,
    "documents.print_document": P.ORDER_CREATE,
    "documents.ticket_slip": P.QUEUE_WORK,
    "evaluations.alerts": P.APPROVE,
    "evaluations.get": P.QUEUE_WORK,
    "evaluations.give_reason": P.QUEUE_WORK,
    "evaluations.no_answer": P.QUEUE_WORK,
    "evaluations.rate": P.QUEUE_WORK,
    "fixed_line.bundles": P.ORDER_CREATE,
    "fixed_line.check_equipment": P.ORDER_CREATE,
    "fixed_line.check_relocatable": P.ORDER_CREATE,
    "fixed_line.check_relocation": P.ORDER_CREATE,
    "fixed_line.coverage": P.ORDER_CREATE,
    "fixed_line.customer_address": P.CUSTOMER_VIEW,
    "fixed_line.demands": P.REPORTS_VIEW,
    "fixed_line.equipment_products": P.ORDER_CREATE,
    "fixed_line.follow_up_demand": P.REPORTS_VIEW,
    "fixed_line.install": P.ORDER_CREATE,
    "fixed_line.landline_numbers": P.ORDER_CREATE,
    "fixed_line.plans": P.ORDER_CREATE,
    "fixed_line.quote": P.ORDER_CREATE,
    "fixed_line.quote_relocation": P.ORDER_CREATE,
    "fixed_line.register_demand": P.ORDER_CREATE,
    "fixed_line.release_landline": P.ORDER_CREATE,
    "fixed_line.relocatable": P.ORDER_CREATE,
    "fixed_line.relocate": P.ORDER_CREATE,
    "fixed_line.reserve_landline": P.ORDER_CREATE,
    "handset_returns.return_handset": P.ORDER_CREATE,
    "handset_returns.returnable": P.ORDER_CREATE,
    "handsets.approve_credit": P.ORDER_CREATE,
    "handsets.assess_credit": P.ORDER_CREATE,
    "handsets.check_device": P.ORDER_CREATE,
    "handsets.contract_clawback": P.CUSTOMER_VIEW,
    "handsets.models": P.ORDER_CREATE,
    "handsets.plan_choices": P.ORDER_CREATE,
    "handsets.quote": P.ORDER_CREATE,
    "handsets.sell": P.ORDER_CREATE,
    "instalments.commitments": P.CUSTOMER_VIEW,
    "instalments.contract": P.CUSTOMER_VIEW,
    "instalments.contracts": P.CUSTOMER_VIEW,
    "instalments.pay_instalments": P.ORDER_CREATE,
    "instalments.pay_off": P.ORDER_CREATE,
    "invoices.issue_red_letter": P.APPROVE,
    "numbers.check_eligibility": P.ORDER_CREATE,
    "numbers.find_numbers": P.ORDER_CREATE,
    "numbers.list_tiers": P.ORDER_CREATE,
    "numbers.release_number": P.ORDER_CREATE,
    "numbers.reserve_number": P.ORDER_CREATE,
    "orders.check_sim": P.ORDER_CREATE,
    "orders.open_mobile_number": P.ORDER_CREATE,
    "orders.prepare_open": P.ORDER_CREATE,
    "orders.quote": P.ORDER_CREATE,
    "performance.appraisal": P.QUEUE_WORK,
    "performance.clerk": P.QUEUE_WORK,
    "performance.hall": P.REPORTS_VIEW,
    "plan_changes.change_plan": P.ORDER_CREATE,
    "plan_changes.plan_options": P.CUSTOMER_VIEW,
    "plan_changes.quote_plan_change": P.CUSTOMER_VIEW,
    "plan_changes.subscribe_vas": P.ORDER_CREATE,
    "plan_changes.unsubscribe_vas": P.ORDER_CREATE,
    "plan_changes.value_added": P.CUSTOMER_VIEW,
    "plan_changes.vas_refusal": P.CUSTOMER_VIEW,
    "plan_changes.vas_terms": P.CUSTOMER_VIEW,
    "porting.check_porting": P.CUSTOMER_VIEW,
    "porting.issue_port_code": P.ORDER_CREATE,
    "queue.call_next": P.QUEUE_WORK,
    "queue.current_ticket": P.QUEUE_WORK,
    "queue.finish": P.QUEUE_WORK,
    "queue.issue_ticket": P.QUEUE_WORK,
    "queue.mark_no_show": P.QUEUE_WORK,
    "queue.recall": P.QUEUE_WORK,
    "queue.serve_walk_in": P.QUEUE_WORK,
    "queue.service_types": P.QUEUE_WORK,
    "queue.start_service": P.QUEUE_WORK,
    "queue.transfer": P.QUEUE_WORK,
    "queue.transfer_targets": P.QUEUE_WORK,
    "queue.waiting_counts": P.QUEUE_WORK,
    "reports.day": P.REPORTS_VIEW,
    "reports.filters": P.REPORTS_VIEW,
    "reports.month": P.REPORTS_VIEW,
    "sim_swaps.check_new_sim": P.ORDER_CREATE,
    "sim_swaps.quote_sim_swap": P.ORDER_CREATE,
    "sim_swaps.replace_sim": P.ORDER_CREATE,
    "sim_swaps.verify_owner": P.ORDER_CREATE,
    "sensitive_views.viewers": P.REPORTS_VIEW,
    "sensitive_views.views": P.REPORTS_VIEW,
    "slots.ensure_slots": P.CATALOG_ADMIN,
    "slots.free_slots": P.ORDER_CREATE,
    "staff.counters": P.STAFF_UNLOCK,
    "staff.create": P.STAFF_ADMIN,
    "staff.deactivate": P.STAFF_ADMIN,
    "staff.get": P.STAFF_UNLOCK,
    "staff.list_staff": P.STAFF_UNLOCK,
    "staff.next_employee_no": P.STAFF_ADMIN,
    "staff.reactivate": P.STAFF_ADMIN,
    "staff.reset_password": P.STAFF_UNLOCK,
    "staff.set_default_counter": P.STAFF_ADMIN,
    "staff.set_role": P.STAFF_ADMIN,
    "staff.unlock": P.STAFF_UNLOCK,
    "stock.check_file": P.STOCK_RECEIVE,
    "stock.check_imei": P.STOCK_RECEIVE,
    "stock.import_file": P.STOCK_RECEIVE,
    "stock.models": P.STOCK_RECEIVE,
    "stock.receive": P.STOCK_RECEIVE,
    "sync.clashes": P.APPROVE,
    "sync.quarantined": P.APPROVE,
    "sync.resolve_clash": P.APPROVE,
    "sync.retry_quarantined": P.APPROVE,
    "top_up.find_number": P.ORDER_CREATE,
    "top_up.offers": P.ORDER_CREATE,
    "top_up.quote_top_up": P.ORDER_CREATE,
    "top_up.target": P.ORDER_CREATE,
    "top_up.top_up": P.ORDER_CREATE,
    "transfers.check_transfer": P.ORDER_CREATE,
    "transfers.transfer": P.ORDER_CREATE,
    "work_orders.cancel": P.APPROVE,
    "work_orders.dispatch": P.ORDER_CREATE,
    "work_orders.find": P.CUSTOMER_VIEW,
    "work_orders.for_customer": P.CUSTOMER_VIEW,
    "work_orders.get": P.CUSTOMER_VIEW,
    "work_orders.open_work_orders": P.REPORTS_VIEW,
    "work_orders.report_failed": P.ORDER_CREATE,
    "work_orders.report_installed": P.ORDER_CREATE,
    "work_orders.reschedule": P.ORDER_CREATE,
}

SERVICE_PACKAGES = ("hall_app.services", "hall_app.sync")
ROLES = {Role.CLERK: "clerk1", Role.SUPERVISOR: "super1", Role.ADMIN: "admin1"}


def _services() -> Iterator[tuple[str, type]]:
    hints = typing.get_type_hints(HallApp)
    for f in dataclasses.fields(HallApp):
        cls = hints[f.name]
        cls = next((a for a in typing.get_args(cls) if inspect.isclass(a)), cls)
        if inspect.isclass(cls) and cls.__module__.startswith(
            ("hall_app.services", "hall_app.sync")
        ):
            yield f.name, cls


def _methods() -> list[tuple[str, str]]:
    found = []
    for attr, cls in _services():
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and "actor" in inspect.signature(fn).parameters:
                found.append((attr, name))
    return sorted(found)


def _dummy(annotation: Any) -> Any:
    """A value of the parameter's type that names nothing real."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args:
        annotation = args[0]
    origin = typing.get_origin(annotation) or annotation
    if origin is uuid.UUID:
        return uuid.uuid4()
    if origin is str:
        return "矩阵测试"
    if origin is bool:
        return False
    if origin is int:
        return 1
    if origin is datetime:
        return datetime(2026, 3, 2, 10, 0, tzinfo=HALL_TZ)
    if origin is date:
        return date(2026, 3, 2)
    if inspect.isclass(origin) and issubclass(origin, enum.Enum):
        return next(iter(origin))
    if origin in (list, tuple, set, frozenset):
        return origin()
    return object()  # a request object: the method must refuse before reading it


def _arguments(fn: Callable[..., Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(fn)
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name in ("self", "actor") or param.default is not inspect.Parameter.empty:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        kwargs[name] = _dummy(hints.get(name))
    return kwargs


@dataclasses.dataclass
class _Call:
    checks: list[tuple[str, Permission]]
    error: BaseException | None
    changed: bool


def _changes(hall: HallApp) -> tuple[int, int]:
    with hall.db.read() as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
        queued = s.scalar(select(func.count()).select_from(SyncOutbox)) or 0
    return audits, queued


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Permission]]:
    seen: list[tuple[str, Permission]] = []
    require, can = Actor.require, Actor.can

    def recorded_require(self: Actor, permission: Permission) -> None:
        seen.append(("require", permission))
        require(self, permission)

    def recorded_can(self: Actor, permission: Permission) -> bool:
        seen.append(("can", permission))
        return can(self, permission)

    monkeypatch.setattr(Actor, "require", recorded_require)
    monkeypatch.setattr(Actor, "can", recorded_can)
    return seen


def _call(
    hall: HallApp, seen: list[tuple[str, Permission]], attr: str, name: str, actor: Actor
) -> _Call:
    method = getattr(getattr(hall, attr), name)
    kwargs = _arguments(getattr(type(getattr(hall, attr)), name))
    before = _changes(hall)
    seen.clear()
    error: BaseException | None = None
    try:
        method(actor, **kwargs)
    except Exception as exc:  # dummy arguments: any failure once the check is passed
        error = exc
    checks = list(seen)
    return _Call(checks, error, _changes(hall) != before)


def _first_check(call: _Call) -> Permission | None:
    return call.checks[0][1] if call.checks else None


def test_every_actor_method_checks_its_declared_permission_for_every_role(
    hall: HallApp, recorder: list[tuple[str, Permission]]
) -> None:
    actors = {role: hall.auth.log_in(user, DEMO_PASSWORD) for role, user in ROLES.items()}
    methods = _methods()
    assert len(methods) > 150  # the enumeration found the services
    problems: list[str] = []
    discovered: dict[str, Permission | None] = {}
    for attr, name in methods:
        key = f"{attr}.{name}"
        if key in OPEN:
            continue
        declared = DECLARED.get(key)
        for role in (Role.CLERK, Role.SUPERVISOR, Role.ADMIN):
            call = _call(hall, recorder, attr, name, actors[role])
            first = _first_check(call)
            if role is Role.ADMIN:
                discovered[key] = first
            if first is None:
                problems.append(f"{key} ({role.value}): no permission checked")
                continue
            if declared is None:
                continue
            if first is not declared:
                problems.append(f"{key} ({role.value}): first checks {first}, declared {declared}")
            if declared not in ROLE_PERMISSIONS[role]:
                if not isinstance(call.error, PermissionDenied):
                    problems.append(f"{key} ({role.value}): ran without {declared}: {call.error!r}")
                if call.changed:
                    problems.append(f"{key} ({role.value}): changed data without {declared}")
    missing = sorted(k for k in discovered if k not in DECLARED)
    stale = sorted(k for k in DECLARED if k not in discovered)
    if missing:
        problems.append(
            "not declared (add to DECLARED):\n"
            + "\n".join(f'    "{k}": {discovered[k]!s},' for k in missing)
        )
    if stale:
        problems.append(f"declared but gone: {stale}")
    gone = sorted(set(OPEN) - {f"{a}.{n}" for a, n in methods})
    if gone:
        problems.append(f"open but gone: {gone}")
    assert not problems, "\n".join(problems)
