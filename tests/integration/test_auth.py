"""Login: argon2 hashes, one message for a wrong user name or password, five failures lock for
15 minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Staff
from hall_app.demo.reference import DEMO_PASSWORD, DEMO_STAFF
from hall_app.domain.enums import Role
from hall_app.domain.errors import AuthenticationError, ValidationError
from hall_app.domain.permissions import Permission
from tests.conftest import FakeClock


def test_demo_login_gives_actor_with_counter(hall: HallApp) -> None:
    actor = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    assert actor.full_name == "林晓燕"
    assert actor.role is Role.CLERK
    assert actor.counter_name == "1号窗口"
    assert actor.hall_name == "福州鼓楼五四路营业厅"
    assert actor.can(Permission.CUSTOMER_SEARCH)
    assert not actor.can(Permission.VIEW_SENSITIVE)
    assert hall.auth.log_in("super1", DEMO_PASSWORD).can(Permission.VIEW_SENSITIVE)


def test_passwords_are_argon2_hashes(hall: HallApp) -> None:
    with hall.db.read() as s:
        hashes = s.scalars(select(Staff.password_hash)).all()
    assert len(hashes) == len(DEMO_STAFF)
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert all(DEMO_PASSWORD not in h for h in hashes)


def test_wrong_password_gives_one_message(hall: HallApp) -> None:
    with pytest.raises(AuthenticationError) as err:
        hall.auth.log_in("clerk1", "wrong")
    assert err.value.text == "密码：用户名或密码错误"


def _failures(hall: HallApp, username: str, password: str, times: int) -> list[str]:
    texts = []
    for _ in range(times):
        with pytest.raises(AuthenticationError) as err:
            hall.auth.log_in(username, password)
        texts.append(err.value.text)
    return texts


def test_an_unknown_and_a_known_user_get_the_same_text_every_time(
    hall: HallApp, clock: FakeClock
) -> None:
    """Seven tries each: the plain failures, the warning before the lock, the lock, and the
    refusals while locked read the same, so the messages never tell which user names exist."""
    known = _failures(hall, "clerk2", "bad", 7)
    unknown = _failures(hall, "nobody", "bad", 7)
    assert known == unknown
    assert known[:3] == ["密码：用户名或密码错误"] * 3
    assert known[3] == "密码：用户名或密码错误，再错 1 次将锁定 15 分钟"
    assert known[4].startswith("密码：用户名或密码错误，已连续错误 5 次，锁定 15 分钟")
    assert known[5] == known[6] and "已锁定至 10:15" in known[5]
    # The right password of a locked account reads like any other try.
    assert _failures(hall, "clerk2", DEMO_PASSWORD, 1) == _failures(hall, "nobody", "x", 1)
    clock.now += timedelta(minutes=16)  # both locks have run out
    assert _failures(hall, "clerk2", "bad", 1) == _failures(hall, "nobody", "bad", 1)


@pytest.mark.parametrize(
    ("username", "password", "field"), [("", "x", "用户名"), ("a", "", "密码")]
)
def test_empty_fields_are_named(hall: HallApp, username: str, password: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        hall.auth.log_in(username, password)
    assert err.value.field == field


def test_five_failures_lock_for_fifteen_minutes(hall: HallApp, clock: FakeClock) -> None:
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            hall.auth.log_in("clerk2", "bad")
        clock.now += timedelta(seconds=1)
    with pytest.raises(AuthenticationError, match="锁定 15 分钟"):
        hall.auth.log_in("clerk2", "bad")
    # Even the right password is refused while locked.
    clock.now += timedelta(minutes=14, seconds=59)
    with pytest.raises(AuthenticationError, match="已锁定至") as err:
        hall.auth.log_in("clerk2", DEMO_PASSWORD)
    assert err.value.field == "密码"
    clock.now += timedelta(seconds=2)
    assert hall.auth.log_in("clerk2", DEMO_PASSWORD).username == "clerk2"
    with hall.db.read() as s:
        actions = s.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.actor_name == "clerk2")
            .order_by(AuditEntry.at)
        ).all()
    assert actions == ["auth.login_failed"] * 4 + [
        "auth.locked",
        "auth.login_refused_locked",
        "auth.login",
    ]


def test_success_resets_the_failure_count(hall: HallApp) -> None:
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            hall.auth.log_in("clerk1", "bad")
    hall.auth.log_in("clerk1", DEMO_PASSWORD)
    # Four more failures before the lock: the warning comes on the fourth, not the first.
    texts = _failures(hall, "clerk1", "bad", 4)
    assert texts[:3] == ["密码：用户名或密码错误"] * 3 and "再错 1 次" in texts[3]


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [("a\ud800", "x", "用户名"), ("clerk1", "\ud800", "密码"), ("nobody", "pw\udfff", "密码")],
)
def test_a_lone_surrogate_at_login_is_a_validation_error(
    hall: HallApp, username: str, password: str, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        hall.auth.log_in(username, password)
    assert err.value.field == field and "无法保存的字符" in err.value.message


def test_overlong_user_name_is_refused_before_any_lookup(hall: HallApp) -> None:
    with pytest.raises(ValidationError, match="最长 32"):
        hall.auth.log_in("x" * 33, "pw")


def test_unknown_user_name_is_not_stored_as_typed(hall: HallApp) -> None:
    typed = "hall1234-wrong-field"
    with pytest.raises(AuthenticationError):
        hall.auth.log_in(typed, "x")
    with hall.db.read() as s:
        names = s.scalars(select(AuditEntry.actor_name)).all()
    assert typed not in names
    assert any(n.startswith("unknown:") for n in names)


def test_logout_is_audited(hall: HallApp) -> None:
    actor = hall.auth.log_in("clerk1", DEMO_PASSWORD)
    hall.auth.log_out(actor)
    with hall.db.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "auth.logout")).one()
        assert entry.staff_id == actor.staff_id


@pytest.mark.postgres
def test_concurrent_failures_all_count_on_postgres(pg_url: str) -> None:
    """Two counters guessing at once: every failure counts, so exactly five get through."""
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    from hall_app.app import build_app
    from hall_app.config import Settings
    from hall_app.db.engine import make_engine
    from hall_app.db.migrate import upgrade_to_head
    from hall_app.demo.builder import DemoBuilder
    from tests.conftest import DEMO_TODAY

    engine = make_engine(pg_url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=3, today=DEMO_TODAY, chunk=50, workers=1).build(50, 0)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=pg_url))
    try:

        def attempt(i: int) -> str:
            try:
                hall.auth.log_in("clerk1", f"wrong{i}")
            except AuthenticationError as exc:
                return exc.message
            return "ok"

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(attempt, range(12)))
        with hall.db.read() as s:
            actions = Counter(
                s.scalars(select(AuditEntry.action).where(AuditEntry.actor_name == "clerk1"))
            )
        assert actions["auth.login_failed"] == 4
        assert actions["auth.locked"] == 1
        assert actions["auth.login_refused_locked"] == 7
    finally:
        hall.close()


def test_old_hash_parameters_are_upgraded_at_login(hall: HallApp) -> None:
    from argon2 import PasswordHasher

    heavy = PasswordHasher(time_cost=3, memory_cost=65_536, parallelism=4).hash(DEMO_PASSWORD)
    with hall.db.unit_of_work() as s:
        s.scalars(select(Staff).where(Staff.username == "admin2")).one().password_hash = heavy
    hall.auth.log_in("admin2", DEMO_PASSWORD)
    with hall.db.read() as s:
        stored = s.scalars(select(Staff.password_hash).where(Staff.username == "admin2")).one()
    assert stored != heavy
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
