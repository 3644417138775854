"""Rights follow the staff record, not the login: an account deactivated or demoted while
logged in is refused at its next check, without logging out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Invoice
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import InvoiceStatus, Role
from hall_app.domain.errors import PermissionDenied
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from tests.integration.test_open_mobile import _request


def _audit_count(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_a_demoted_supervisors_open_session_cannot_red_letter(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    done = hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    assert done.invoice_no is not None
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    assert supervisor.can(Permission.APPROVE)
    hall.staff.set_role(admin, supervisor.staff_id, Role.CLERK)

    before = _audit_count(hall)
    with pytest.raises(PermissionDenied, match="角色已变更为营业员") as err:
        hall.invoices.issue_red_letter(supervisor, done.invoice_no, "开错抬头")
    assert err.value.field == "权限"
    assert not supervisor.can(Permission.APPROVE)
    assert not supervisor.can(Permission.VIEW_SENSITIVE)  # no unmasked numbers either
    assert supervisor.can(Permission.ORDER_CREATE)  # a clerk's work goes on
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == done.invoice_no)).one()
        assert blue.status is InvoiceStatus.ISSUED
    assert _audit_count(hall) == before

    hall.staff.set_role(admin, supervisor.staff_id, Role.SUPERVISOR)  # promoted back: at once
    red = hall.invoices.issue_red_letter(supervisor, done.invoice_no, "开错抬头")
    assert red.original_invoice_no == done.invoice_no


def test_a_deactivated_clerk_is_refused_at_once(hall: HallApp, clerk: Actor) -> None:
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    hall.staff.deactivate(admin, clerk.staff_id)
    before = _audit_count(hall)
    with pytest.raises(PermissionDenied, match="账号已停用"):
        hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    with pytest.raises(PermissionDenied, match="账号已停用"):
        hall.customers.search_customers(clerk, "13800000000")
    assert not clerk.can(Permission.CUSTOMER_VIEW)
    assert _audit_count(hall) == before
    hall.staff.reactivate(admin, clerk.staff_id)
    hall.orders.open_mobile_number(clerk, _request(hall, clerk))


def test_a_login_never_gets_more_than_it_was_given(hall: HallApp, clerk: Actor) -> None:
    import dataclasses

    narrowed = dataclasses.replace(clerk, permissions=frozenset({Permission.QUEUE_WORK}))
    with pytest.raises(PermissionDenied):
        narrowed.require(Permission.ORDER_CREATE)
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    hall.staff.set_role(admin, clerk.staff_id, Role.SUPERVISOR)
    assert not clerk.can(Permission.APPROVE)  # a promotion waits for the next login
    assert hall.auth.log_in("clerk1", DEMO_PASSWORD).can(Permission.APPROVE)


def test_the_rights_are_read_once_per_version(hall: HallApp, clerk: Actor) -> None:
    rights = hall.auth.rights
    first = rights.current(clerk.staff_id)
    assert first is not None and first.role is Role.CLERK and first.active
    assert rights.current(clerk.staff_id) is first  # unchanged row: the cached rights
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    hall.staff.set_role(admin, clerk.staff_id, Role.SUPERVISOR)
    now = rights.current(clerk.staff_id)
    assert now is not None and now is not first and now.role is Role.SUPERVISOR
    assert now.version > first.version


def test_actors_without_a_rights_source_keep_their_login_rights(
    hall: HallApp, clerk: Actor
) -> None:
    import dataclasses

    fixed = dataclasses.replace(clerk, rights=None)
    assert fixed == clerk  # the source is no part of the actor's identity
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    hall.staff.deactivate(admin, clerk.staff_id)
    fixed.require(Permission.ORDER_CREATE)  # the login's fixed rights, as before
    with pytest.raises(PermissionDenied):
        clerk.require(Permission.ORDER_CREATE)
