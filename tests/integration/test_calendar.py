"""The holiday calendar as data at the counter: seeded from chinese-calendar (demo and CLI),
read by CalendarService for promised install dates, and maintained centrally and pulled."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from hall_app.app import HallApp
from hall_app.cli import main as cli_main
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, CalendarDay
from hall_app.db.models.calendar import calendar_day_id
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.domain.workdays import DateAnswer
from hall_app.services.actor import Actor
from hall_app.services.calendar import covered_years
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock, synced_counter


def test_the_demo_holds_the_years_the_package_knows(hall: HallApp) -> None:
    with hall.db.read() as s:
        assert covered_years(s) == [2025, 2026]  # 2027 is not in chinese-calendar
        row = s.scalars(select(CalendarDay).where(CalendarDay.day == date(2026, 10, 1))).one()
        assert (row.is_working_day, row.holiday_name, row.kind) == (False, "国庆节", "holiday")
        assert row.source.startswith("chinese-calendar ")
        makeup = s.scalars(select(CalendarDay).where(CalendarDay.day == date(2026, 9, 20))).one()
        assert (makeup.is_working_day, makeup.holiday_name, makeup.kind) == (
            True,
            "国庆节",
            "makeup",
        )


def test_promised_install_date_skips_the_national_day_week(hall: HallApp, clerk: Actor) -> None:
    got = hall.calendar.promised_install_date(clerk, date(2026, 9, 30), "FTTH")
    assert got == DateAnswer(date(2026, 10, 13), False)  # 8, 9, 10 (make-up Saturday), 12, 13
    assert hall.calendar.day(clerk, date(2026, 10, 10)).working is True


def test_promised_install_date_in_a_year_the_table_lacks(hall: HallApp, clerk: Actor) -> None:
    # Ordered on 2026-12-28 (Monday): 29, 30, 31 known, then 2027 counted Monday to Friday.
    got = hall.calendar.promised_install_date(clerk, date(2026, 12, 28), "FTTH")
    assert got == DateAnswer(date(2027, 1, 4), True)
    # Entirely within a known stretch: not provisional.
    assert (
        hall.calendar.promised_install_date(clerk, date(2026, 12, 1), "FTTB").provisional is False
    )


def test_the_promise_is_configurable_and_checked(hall: HallApp, clerk: Actor) -> None:
    from hall_app.services.calendar import CalendarService

    rules = replace(hall.settings.rules, install_promise_ftth_days=2)
    service = CalendarService(hall.db, rules)
    assert service.promised_install_date(clerk, date(2026, 9, 30), "FTTH").day == date(2026, 10, 9)
    with pytest.raises(ValidationError) as err:
        service.promised_install_date(clerk, date(2026, 9, 30), "ADSL")
    assert err.value.field == "接入方式"
    nobody = replace(clerk, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        service.promised_install_date(nobody, date(2026, 9, 30), "FTTH")


def test_cli_seeds_a_counter_database_and_refuses_unknown_years(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cal.sqlite3'}"
    assert cli_main(["--db", url, "calendar", "seed", "--years", "2026"]) == 0
    assert cli_main(["--db", url, "calendar", "seed", "--years", "2025-2026"]) == 0  # again: fine
    assert cli_main(["--db", url, "calendar", "seed", "--years", "2026-2027"]) == 1
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(CalendarDay)) == 730
            assert (
                conn.scalar(
                    select(func.count()).where(
                        CalendarDay.day >= date(2027, 1, 1)  # nothing half-written
                    )
                )
                == 0
            )
            seeded = conn.scalar(select(func.count()).where(AuditEntry.action == "calendar.seeded"))
            assert seeded == 2
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_year_published_centrally_reaches_the_counter(
    central_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    assert cli_main(["--db", central_url, "calendar", "seed", "--years", "2026"]) == 0
    counter = synced_counter(demo_template, tmp_path, central_url, clock)
    central = make_engine(central_url)
    try:
        with central.connect() as conn:  # stamped by the central clock, for the pull
            assert (
                conn.scalar(select(func.count()).where(CalendarDay.central_at.is_not(None))) == 365
            )
        Pusher(counter.db, central, clock).enqueue_all()
        counter.sync.run_round()
        clerk = counter.auth.log_in("clerk1", "hall1234")
        before = counter.calendar.promised_install_date(clerk, date(2026, 12, 28), "FTTH")
        assert before == DateAnswer(date(2027, 1, 4), True)
        # The 2027 notice is published and the central team enters the year (invented for the
        # test: 1 and 4 January off, Saturday 9 January a make-up working day).
        with central.begin() as conn:
            now = conn.scalar(select(func.now()))
            rows = []
            d = date(2027, 1, 1)
            while d.year == 2027:
                off = d in (date(2027, 1, 1), date(2027, 1, 4))
                working = (d.weekday() < 5 and not off) or d == date(2027, 1, 9)
                name = "元旦" if off or d == date(2027, 1, 9) else None
                kind = (
                    "holiday"
                    if off
                    else "makeup"
                    if d == date(2027, 1, 9)
                    else ("workday" if working else "weekend")
                )
                rows.append(
                    {
                        "id": calendar_day_id(d), "created_at": now, "updated_at": now,
                        "day": d, "is_working_day": working, "holiday_name": name,
                        "kind": kind, "source": "国务院办公厅通知（测试）",
                    }
                )  # fmt: skip
                d += timedelta(days=1)
            conn.execute(insert(CalendarDay), rows)
        counter.sync.run_round()
        after = counter.calendar.promised_install_date(clerk, date(2026, 12, 28), "FTTH")
        # 29, 30, 31 Dec; 1 Jan off, 2-3 weekend, 4 off; then 5 and 6 Jan.
        assert after == DateAnswer(date(2027, 1, 6), False)
        # A correction to a year the counter has already read (31 Dec 2026 made a holiday)
        # reaches the promise after the next round, without a restart.
        with central.begin() as conn:
            conn.execute(
                update(CalendarDay)
                .where(CalendarDay.day == date(2026, 12, 31))
                .values(is_working_day=False, holiday_name="元旦", kind="holiday")
            )
        counter.sync.run_round()
        corrected = counter.calendar.promised_install_date(clerk, date(2026, 12, 28), "FTTH")
        assert corrected == DateAnswer(date(2027, 1, 7), False)
        with counter.db.read() as s:
            assert covered_years(s) == [2025, 2026, 2027]
            assert (
                s.scalar(
                    select(func.count()).where(
                        AuditEntry.action == "sync.pulled_new",
                        AuditEntry.entity == "calendar_days",
                    )
                )
                == 365
            )
    finally:
        central.dispose()
        counter.close()
