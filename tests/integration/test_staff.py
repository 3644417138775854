"""Staff accounts: supervisors unlock and reset; admins create, deactivate, set roles and
counters; everyone changes their own password. Each rule and each permission."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Staff
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import Role
from hall_app.domain.errors import (
    AuthenticationError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor, system_actor
from hall_app.services.staff import NewStaff, check_password
from tests.conftest import FakeClock


def _id(hall: HallApp, username: str) -> uuid.UUID:
    with hall.db.read() as s:
        return s.scalars(select(Staff.id).where(Staff.username == username)).one()


def _row(hall: HallApp, username: str) -> Staff:
    with hall.db.read() as s:
        row = s.scalars(select(Staff).where(Staff.username == username)).one()
        s.expunge(row)
        return row


def _audits(hall: HallApp, action: str) -> list[AuditEntry]:
    with hall.db.read() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        s.expunge_all()
        return rows


def _lock(hall: HallApp, username: str) -> None:
    for i in range(hall.settings.rules.login_max_failures):
        with pytest.raises(AuthenticationError):
            hall.auth.log_in(username, f"wrong{i}")
    with pytest.raises(AuthenticationError, match="已锁定"):
        hall.auth.log_in(username, DEMO_PASSWORD)


@pytest.fixture
def admin(hall: HallApp) -> Actor:
    return hall.auth.log_in("admin1", DEMO_PASSWORD)


def _new(**kw: object) -> NewStaff:
    values: dict[str, object] = {
        "username": "clerk9",
        "full_name": "赵新员",
        "employee_no": "FZ0099",
        "role": Role.CLERK,
        "default_counter_id": None,
        "password": "start2026a",
        "repeat": "start2026a",
    }
    values.update(kw)
    return NewStaff(**values)  # type: ignore[arg-type]


# -- the password rule ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "repeat", "message"),
    [
        ("", "", "请输入密码"),
        ("abc1234", "abc1234", "至少 8 位"),
        ("abcdefgh", "abcdefgh", "字母和数字"),
        ("12345678", "12345678", "字母和数字"),
        ("xclerk1x99", "xclerk1x99", "不能包含用户名"),
        (" abc12345", " abc12345", "首尾不能有空格"),
        ("abcd1234", "abcd1235", "两次输入的密码不一致"),
        ("a" * 120 + "1" * 9, "a" * 120 + "1" * 9, "最多 128 个字"),
    ],
)
def test_password_rule(password: str, repeat: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_password(password, repeat, "clerk1")


def test_password_rule_accepts_letters_and_digits() -> None:
    check_password("Hall2026x", "Hall2026x", "clerk1")


# -- supervisors ---------------------------------------------------------------------------
def test_supervisor_unlocks_a_locked_clerk(hall: HallApp, supervisor: Actor) -> None:
    _lock(hall, "clerk2")
    clerk2 = _id(hall, "clerk2")
    listed = {v.username: v for v in hall.staff.list_staff(supervisor)}
    assert listed["clerk2"].locked and not listed["clerk1"].locked
    view = hall.staff.unlock(supervisor, clerk2)
    assert not view.locked and view.failed_logins == 0
    assert hall.auth.log_in("clerk2", DEMO_PASSWORD).username == "clerk2"
    (entry,) = _audits(hall, "staff.unlock")
    assert entry.actor_name == "super1" and entry.entity_id == str(clerk2)
    assert entry.after == {"failed_logins": 0, "locked_until": None}


def test_reset_password_twice_typed_must_change_at_next_login(
    hall: HallApp, supervisor: Actor
) -> None:
    _lock(hall, "clerk2")
    clerk2 = _id(hall, "clerk2")
    with pytest.raises(ValidationError, match="不一致"):
        hall.staff.reset_password(supervisor, clerk2, "Reset2026", "Reset2027")
    assert _row(hall, "clerk2").must_change_password is False  # nothing half-saved
    view = hall.staff.reset_password(supervisor, clerk2, "Reset2026", "Reset2026")
    assert view.must_change_password and not view.locked  # a reset also unlocks
    with pytest.raises(AuthenticationError):
        hall.auth.log_in("clerk2", DEMO_PASSWORD)
    actor = hall.auth.log_in("clerk2", "Reset2026")
    assert actor.must_change_password
    (entry,) = _audits(hall, "staff.reset_password")
    text = f"{entry.before} {entry.after}"
    assert "Reset2026" not in text and "argon2" not in text  # never the password or its hash
    # The owner chooses a new one: then the next login is an ordinary one.
    changed = hall.staff.change_own_password(actor, "Reset2026", "Mine2026x", "Mine2026x")
    assert not changed.must_change_password
    assert not hall.auth.log_in("clerk2", "Mine2026x").must_change_password


def test_supervisor_may_not_reset_an_admin_or_their_own(
    hall: HallApp, supervisor: Actor, admin: Actor
) -> None:
    with pytest.raises(PermissionDenied, match="系统管理员"):
        hall.staff.reset_password(supervisor, _id(hall, "admin2"), "Reset2026", "Reset2026")
    with pytest.raises(PermissionDenied, match="自己"):
        hall.staff.reset_password(supervisor, supervisor.staff_id, "Reset2026", "Reset2026")
    with pytest.raises(PermissionDenied, match="系统管理员"):
        hall.staff.unlock(supervisor, _id(hall, "admin2"))
    # A supervisor resets another supervisor's; an admin resets an admin's.
    assert hall.staff.reset_password(
        supervisor, _id(hall, "super2"), "Reset2026", "Reset2026"
    ).must_change_password
    assert hall.staff.reset_password(
        admin, _id(hall, "admin2"), "Reset2026", "Reset2026"
    ).must_change_password


def test_a_clerk_is_refused_every_staff_method(hall: HallApp, clerk: Actor) -> None:
    other = _id(hall, "clerk2")
    calls = [
        lambda: hall.staff.list_staff(clerk),
        lambda: hall.staff.get(clerk, other),
        lambda: hall.staff.counters(clerk),
        lambda: hall.staff.unlock(clerk, other),
        lambda: hall.staff.reset_password(clerk, other, "Reset2026", "Reset2026"),
        lambda: hall.staff.create(clerk, _new()),
        lambda: hall.staff.deactivate(clerk, other),
        lambda: hall.staff.reactivate(clerk, other),
        lambda: hall.staff.set_role(clerk, other, Role.SUPERVISOR),
        lambda: hall.staff.set_default_counter(clerk, other, None),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert _audits(hall, "staff.unlock") == []


def test_a_supervisor_is_refused_the_admins_methods(hall: HallApp, supervisor: Actor) -> None:
    other = _id(hall, "clerk2")
    for call in [
        lambda: hall.staff.create(supervisor, _new()),
        lambda: hall.staff.deactivate(supervisor, other),
        lambda: hall.staff.reactivate(supervisor, other),
        lambda: hall.staff.set_role(supervisor, other, Role.SUPERVISOR),
        lambda: hall.staff.set_default_counter(supervisor, other, None),
    ]:
        with pytest.raises(PermissionDenied, match="员工管理"):
            call()


def test_unknown_staff_is_not_found(hall: HallApp, supervisor: Actor) -> None:
    with pytest.raises(NotFound):
        hall.staff.unlock(supervisor, uuid.uuid4())


# -- admins ---------------------------------------------------------------------------------
def test_admin_creates_staff_who_must_change_the_initial_password(
    hall: HallApp, admin: Actor
) -> None:
    counter = hall.staff.counters(admin)[1]
    view = hall.staff.create(admin, _new(default_counter_id=counter.id, employee_no="fz0099"))
    assert view.employee_no == "FZ0099" and view.default_counter_name == counter.name
    assert view.role is Role.CLERK and view.active and view.must_change_password
    actor = hall.auth.log_in("clerk9", "start2026a")
    assert actor.must_change_password and actor.counter_id == counter.id
    (entry,) = _audits(hall, "staff.create")
    assert entry.after is not None and entry.after["username"] == "clerk9"
    assert "start2026a" not in str(entry.after)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"username": "clerk1"}, "已被使用"),
        ({"username": "CLERK1"}, "已被使用"),
        ({"employee_no": "FZ0001"}, "已被使用"),
        ({"username": "ab"}, "3–32 位"),
        ({"username": "张三"}, "3–32 位"),
        ({"full_name": " "}, "员工姓名"),
        ({"full_name": "名" * 33}, "最多 32 个字"),
        ({"employee_no": "FZ 1"}, "1–16 位"),
        ({"default_counter_id": uuid.uuid4()}, "在用的窗口"),
        ({"password": "short1", "repeat": "short1"}, "至少 8 位"),
        ({"repeat": "start2026b"}, "不一致"),
        ({"password": "clerk9abc1", "repeat": "clerk9abc1"}, "不能包含用户名"),
    ],
)
def test_create_refuses_bad_input(
    hall: HallApp, admin: Actor, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        hall.staff.create(admin, _new(**changes))
    assert _audits(hall, "staff.create") == []


def test_deactivate_and_reactivate(hall: HallApp, admin: Actor) -> None:
    clerk2 = _id(hall, "clerk2")
    assert not hall.staff.deactivate(admin, clerk2).active
    with pytest.raises(AuthenticationError):
        hall.auth.log_in("clerk2", DEMO_PASSWORD)
    with pytest.raises(ValidationError, match="已停用"):
        hall.staff.deactivate(admin, clerk2)
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    with pytest.raises(ValidationError, match="已停用"):
        hall.staff.reset_password(supervisor, clerk2, "Reset2026", "Reset2026")
    assert hall.staff.reactivate(admin, clerk2).active
    assert hall.auth.log_in("clerk2", DEMO_PASSWORD).username == "clerk2"
    with pytest.raises(ValidationError, match="已在使用中"):
        hall.staff.reactivate(admin, clerk2)
    assert len(_audits(hall, "staff.deactivate")) == 1
    assert len(_audits(hall, "staff.reactivate")) == 1


def test_never_yourself(hall: HallApp, admin: Actor) -> None:
    with pytest.raises(PermissionDenied, match="自己"):
        hall.staff.deactivate(admin, admin.staff_id)
    with pytest.raises(PermissionDenied, match="自己"):
        hall.staff.set_role(admin, admin.staff_id, Role.CLERK)
    with pytest.raises(PermissionDenied, match="自己"):
        hall.staff.unlock(admin, admin.staff_id)
    assert _row(hall, "admin1").active and _row(hall, "admin1").role is Role.ADMIN


def test_never_the_halls_last_active_admin(hall: HallApp, admin: Actor) -> None:
    """A script with 员工管理 (no account of its own) is the only way to reach the last admin:
    an admin never acts on themselves."""
    script = system_actor(
        "staff-script",
        "后台脚本",
        admin.hall_id,
        admin.hall_name,
        frozenset({Permission.STAFF_ADMIN, Permission.STAFF_UNLOCK}),
    )
    admin2 = _id(hall, "admin2")
    hall.staff.deactivate(script, admin2)  # admin1 is left
    with pytest.raises(ValidationError, match="最后一位在用的系统管理员"):
        hall.staff.set_role(script, admin.staff_id, Role.SUPERVISOR)
    with pytest.raises(ValidationError, match="最后一位在用的系统管理员"):
        hall.staff.deactivate(script, admin.staff_id)
    hall.staff.reactivate(script, admin2)
    assert hall.staff.set_role(script, admin.staff_id, Role.SUPERVISOR).role is Role.SUPERVISOR


def test_an_account_changed_since_login_acts_no_more(hall: HallApp, admin: Actor) -> None:
    admin2 = hall.auth.log_in("admin2", DEMO_PASSWORD)
    hall.staff.set_role(admin, admin2.staff_id, Role.CLERK)
    with pytest.raises(PermissionDenied, match="角色已变更"):
        hall.staff.create(admin2, _new())
    with pytest.raises(PermissionDenied, match="角色已变更"):
        hall.staff.deactivate(admin2, _id(hall, "clerk2"))
    supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
    hall.staff.deactivate(admin, supervisor.staff_id)
    with pytest.raises(PermissionDenied, match="已停用"):
        hall.staff.unlock(supervisor, _id(hall, "clerk2"))


def test_role_and_default_counter(hall: HallApp, admin: Actor) -> None:
    clerk1 = _id(hall, "clerk1")
    with pytest.raises(ValidationError, match="已是营业员"):
        hall.staff.set_role(admin, clerk1, Role.CLERK)
    assert hall.staff.set_role(admin, clerk1, Role.SUPERVISOR).role is Role.SUPERVISOR
    assert hall.auth.log_in("clerk1", DEMO_PASSWORD).role is Role.SUPERVISOR
    counters = hall.staff.counters(admin)
    view = hall.staff.set_default_counter(admin, clerk1, counters[2].id)
    assert view.default_counter_name == counters[2].name
    with pytest.raises(ValidationError, match="未改变"):
        hall.staff.set_default_counter(admin, clerk1, counters[2].id)
    assert hall.staff.set_default_counter(admin, clerk1, None).default_counter_name is None
    with pytest.raises(ValidationError, match="在用的窗口"):
        hall.staff.set_default_counter(admin, clerk1, uuid.uuid4())
    (entry,) = _audits(hall, "staff.set_role")
    assert entry.before == {"role": "clerk"} and entry.after == {"role": "supervisor"}
    assert len(_audits(hall, "staff.set_default_counter")) == 2


# -- one's own password --------------------------------------------------------------------
def test_change_own_password(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    with pytest.raises(ValidationError, match="原密码不正确"):
        hall.staff.change_own_password(clerk, "wrong-one", "Mine2026x", "Mine2026x")
    with pytest.raises(ValidationError, match="不能与原密码相同"):
        hall.staff.change_own_password(clerk, "Same2026x", "Same2026x", "Same2026x")
    with pytest.raises(ValidationError, match="不一致"):
        hall.staff.change_own_password(clerk, DEMO_PASSWORD, "Mine2026x", "Mine2026y")
    with pytest.raises(ValidationError, match="请输入原密码"):
        hall.staff.change_own_password(clerk, "", "Mine2026x", "Mine2026x")
    hall.staff.change_own_password(clerk, DEMO_PASSWORD, "Mine2026x", "Mine2026x")
    clock.now += timedelta(minutes=1)
    assert hall.auth.log_in("clerk1", "Mine2026x").username == "clerk1"
    with pytest.raises(AuthenticationError):
        hall.auth.log_in("clerk1", DEMO_PASSWORD)
    (entry,) = _audits(hall, "staff.change_own_password")
    assert entry.actor_name == "clerk1" and "Mine2026x" not in str(entry.after)


def test_an_initial_password_refusal_names_its_own_field(hall: HallApp, admin: Actor) -> None:
    with pytest.raises(ValidationError) as short:
        hall.staff.create(admin, _new(password="short1", repeat="short1"))
    assert short.value.field == "初始密码"
    with pytest.raises(ValidationError) as differ:
        hall.staff.create(admin, _new(repeat="start2026b"))
    assert differ.value.field == "确认初始密码"


def test_a_reset_supervisor_authorizes_nothing_until_the_password_is_changed(
    hall: HallApp, admin: Actor
) -> None:
    super2 = _id(hall, "super2")
    hall.staff.reset_password(admin, super2, "Reset2026", "Reset2026")
    with pytest.raises(PermissionDenied, match="须先登录并修改密码"):
        hall.auth.authorize("super2", "Reset2026", Permission.APPROVE)
    actor = hall.auth.log_in("super2", "Reset2026")
    hall.staff.change_own_password(actor, "Reset2026", "Mine2026x", "Mine2026x")
    assert hall.auth.authorize("super2", "Mine2026x", Permission.APPROVE).username == "super2"


def test_the_next_employee_no_is_the_halls_next_free_one(
    hall: HallApp, admin: Actor, supervisor: Actor
) -> None:
    """新建员工's example: the hall's prefix and the number after its highest, never taken."""
    with hall.db.read() as s:
        taken = set(s.scalars(select(Staff.employee_no)))
        own = set(s.scalars(select(Staff.employee_no).where(Staff.hall_id == admin.hall_id)))
    first = hall.staff.next_employee_no(admin)
    assert first not in taken and first.startswith("FZ") and len(first) == 6
    assert int(first[2:]) == max(int(no[2:]) for no in own if no.startswith("FZ")) + 1
    hall.staff.create(admin, _new(employee_no=first))
    second = hall.staff.next_employee_no(admin)
    assert int(second[2:]) == int(first[2:]) + 1
    hall.staff.create(admin, _new(username="clerk10", employee_no=f"FZ{int(second[2:]) + 1:04d}"))
    assert hall.staff.next_employee_no(admin) == f"FZ{int(second[2:]) + 2:04d}"  # after the top
    with pytest.raises(PermissionDenied):
        hall.staff.next_employee_no(supervisor)  # a supervisor opens no accounts
