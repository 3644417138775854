"""The demo builder's fast converters must store exactly what SQLAlchemy would."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from hall_app.db.models import AuditEntry, Customer
from hall_app.demo.bulk import model_table, sqlite_converter
from hall_app.domain.enums import CustomerKind

DIALECT = sqlite.dialect()
CUSTOMERS = model_table(Customer)


def _both(table_col: str, value: object, table=CUSTOMERS) -> tuple[object, object]:  # type: ignore[no-untyped-def]
    type_ = table.c[table_col].type
    fast = sqlite_converter(type_)
    assert fast is not None
    return fast(value), type_._cached_bind_processor(DIALECT)(value)


@settings(max_examples=200, database=None)
@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_timestamps(naive: datetime, offset_minutes: int) -> None:
    aware = naive.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    fast, slow = _both("created_at", aware)
    assert fast == slow


@settings(max_examples=100, database=None)
@given(st.uuids())
def test_uuids(value: uuid.UUID) -> None:
    fast, slow = _both("id", value)
    assert fast == slow


@settings(max_examples=100, database=None)
@given(st.dates())
def test_dates(value: date) -> None:
    fast, slow = _both("birth_date", value)
    assert fast == slow


def test_enums_and_booleans() -> None:
    for kind in CustomerKind:
        assert _both("kind", kind)[0] == _both("kind", kind)[1] == kind.value
    for flag in (True, False):
        fast, slow = _both("is_vip", flag)
        assert fast == slow


def test_strings_use_sqlalchemy() -> None:
    assert sqlite_converter(model_table(AuditEntry).c["action"].type) is None
    assert _both("created_at", datetime(2026, 1, 1, tzinfo=UTC))[0] == "2026-01-01 00:00:00.000000"
