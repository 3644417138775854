"""An unknown user name, an inactive or locked account and a wrong password take the same time
(argon2 verification against a dummy hash), so user names cannot be found by timing."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable

import pytest

from hall_app.app import HallApp
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.errors import AuthenticationError
from hall_app.services.auth import AuthService

ATTEMPTS = 15


def _seconds(attempt: Callable[[], object]) -> float:
    start = time.perf_counter()
    with pytest.raises(AuthenticationError):
        attempt()
    return time.perf_counter() - start


def _medians(attempts: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Interleaved, so a busy machine slows every kind alike."""
    for attempt in attempts.values():  # warm up: the dummy hash, the pool, the statements
        _seconds(attempt)
    times: dict[str, list[float]] = {name: [] for name in attempts}
    for _ in range(ATTEMPTS):
        for name, attempt in attempts.items():
            times[name].append(_seconds(attempt))
    return {name: statistics.median(values) for name, values in times.items()}


def test_unknown_names_and_wrong_passwords_take_the_same_time(hall: HallApp) -> None:
    # No lock within the measurement: each kind keeps answering as itself.
    rules = dataclasses.replace(hall.settings.rules, login_max_failures=10_000)
    auth = AuthService(hall.db, rules, hall.clock)
    admin = hall.auth.log_in("admin1", DEMO_PASSWORD)
    clerk2 = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    hall.staff.deactivate(admin, clerk2.staff_id)

    medians = _medians(
        {
            "wrong password": lambda: auth.log_in("clerk1", "wrong-password"),
            "unknown name": lambda: auth.log_in("nobody-here", "wrong-password"),
            "inactive account": lambda: auth.log_in("clerk2", DEMO_PASSWORD),
        }
    )
    reference = medians["wrong password"]
    print({name: f"{value * 1000:.1f} ms" for name, value in medians.items()})
    assert reference > 0.005  # a real argon2 verification, not a short cut
    for name, value in medians.items():
        assert 0.7 <= value / reference <= 1.4, (name, medians)


def test_a_locked_account_answers_as_slowly_as_an_unknown_name(hall: HallApp) -> None:
    rules = dataclasses.replace(hall.settings.rules, login_max_failures=2)
    auth = AuthService(hall.db, rules, hall.clock)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            auth.log_in("clerk1", "wrong-password")
    with pytest.raises(AuthenticationError, match="已锁定"):
        auth.log_in("clerk1", "wrong-password")
    # The unknown name locks in memory after two failures too: the same answer, the same time.
    medians = _medians(
        {
            "locked account": lambda: auth.log_in("clerk1", "wrong-password"),
            "unknown name": lambda: auth.log_in("nobody-here", "wrong-password"),
        }
    )
    print({name: f"{value * 1000:.1f} ms" for name, value in medians.items()})
    ratio = medians["locked account"] / medians["unknown name"]
    assert 0.7 <= ratio <= 1.4, medians


def test_the_dummy_hash_has_the_hashers_parameters(hall: HallApp) -> None:
    from argon2 import PasswordHasher, extract_parameters

    from hall_app.services.auth import _DEFAULT_DUMMY_HASH, default_hasher

    auth = AuthService(hall.db, hall.settings.rules, hall.clock)
    assert auth._dummy() == _DEFAULT_DUMMY_HASH  # no hashing on the first unknown name
    assert extract_parameters(_DEFAULT_DUMMY_HASH) == extract_parameters(default_hasher().hash("x"))
    light = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    other = AuthService(hall.db, hall.settings.rules, hall.clock, light)
    assert extract_parameters(other._dummy()).memory_cost == 8  # another hasher: its own
