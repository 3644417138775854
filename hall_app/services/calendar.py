"""Working days at the counter: the holiday calendar the central database maintains (pulled
with each sync round), the promised install date, and seeding the calendar from the
``chinese-calendar`` package for the years the package knows.

The package is used only to seed: at run time a year missing from the table is counted Monday
to Friday and marked provisional (the package would raise NotImplementedError for it)."""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import CalendarDay
from hall_app.db.models.calendar import calendar_day_id
from hall_app.domain import workdays
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.workdays import DateAnswer, DayInfo, WorkCalendar
from hall_app.services import audit
from hall_app.services.actor import Actor

TECHNOLOGY_FIELD = "接入方式"
YEARS_FIELD = "年份"
# chinese_calendar's holiday names, as the State Council's notice writes them.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True)
class SeedReport:
    years: tuple[int, ...]
    days: int
    holidays: int
    makeup_days: int
    source: str


def package_years() -> range:
    """The years the installed chinese-calendar package knows."""
    from chinese_calendar.constants import holidays

    return range(min(holidays).year, max(holidays).year + 1)


def seed_calendar(session: Session, years: Iterable[int], at: datetime) -> SeedReport:
    """Write every day of ``years`` from the chinese-calendar package (upserted by date, so
    seeding again is harmless). A year the package does not know is refused, not guessed."""
    import chinese_calendar

    wanted = tuple(sorted(set(years)))
    known = package_years()
    missing = [y for y in wanted if y not in known]
    if not wanted or missing:
        raise ValidationError(
            f"chinese-calendar 只有 {known.start}–{known.stop - 1} 年的节假日数据，"
            f"无法导入 {'、'.join(map(str, missing)) or '（未指定年份）'}",
            YEARS_FIELD,
        )
    source = f"chinese-calendar {version('chinese-calendar')}"
    rows = []
    for year in wanted:
        d = date(year, 1, 1)
        while d.year == year:
            _, name = chinese_calendar.get_holiday_detail(d)
            working = chinese_calendar.is_workday(d)
            shown = HOLIDAY_NAMES.get(name, name) if name else None
            rows.append(
                {
                    "id": calendar_day_id(d),
                    "day": d,
                    "is_working_day": working,
                    "holiday_name": shown,
                    "kind": workdays.kind_of(d, working, shown),
                    "source": source,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            d += timedelta(days=1)
    # The counter's SQLite or the central PostgreSQL (where the calendar is maintained).
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 500):
        upsert = insert(CalendarDay).values(rows[start : start + 500])
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=["id"],
                set_={
                    c: upsert.excluded[c]
                    for c in ("is_working_day", "holiday_name", "kind", "source", "updated_at")
                },
            )
        )
    report = SeedReport(
        wanted,
        len(rows),
        sum(r["kind"] == workdays.HOLIDAY for r in rows),
        sum(r["kind"] == workdays.MAKEUP for r in rows),
        source,
    )
    audit.record(
        session,
        at=at,
        actor=None,
        action="calendar.seeded",
        entity="calendar_days",
        entity_id=None,
        after={"years": list(wanted), "days": report.days, "source": source},
    )
    return report


class CalendarService:
    """Reads the calendar table, a year at a time. A fully covered year is cached (it changes
    only when the central database corrects it: ``forget`` after a pull); a year the table
    lacks is asked again each time, so a year pulled while the app runs is used at once."""

    def __init__(self, db: Database, rules: BusinessRules) -> None:
        self._db = db
        self._rules = rules
        self._years: dict[int, dict[date, tuple[bool, str | None]]] = {}

    def forget(self) -> None:
        self._years.clear()

    def calendar(self, actor: Actor, years: Iterable[int]) -> WorkCalendar:
        actor.require(Permission.ORDER_CREATE)
        return self._calendar(years)

    def day(self, actor: Actor, d: date) -> DayInfo:
        return self.calendar(actor, (d.year,)).info(d)

    def promised_install_date(self, actor: Actor, order_date: date, technology: str) -> DateAnswer:
        """The latest install date promised for an order taken on ``order_date``: the N-th
        working day after it (N configurable per technology; 5 for FTTH)."""
        actor.require(Permission.ORDER_CREATE)
        within = {
            "FTTH": self._rules.install_promise_ftth_days,
            "FTTB": self._rules.install_promise_fttb_days,
        }.get(technology)
        if within is None:
            raise ValidationError(
                f"未知的接入方式 “{technology}”（应为 FTTH 或 FTTB）", TECHNOLOGY_FIELD
            )
        # N working days span about N weeks plus the longest holiday (Spring Festival); should
        # the answer land in a year not yet read, read it too and count again.
        last = (order_date + timedelta(days=7 * within + 21)).year
        while True:
            cal = self._calendar(range(order_date.year, last + 1))
            answer = workdays.add_working_days(cal, order_date, within)
            if answer.day.year <= last:
                return answer
            last = answer.day.year

    def _calendar(self, years: Iterable[int]) -> WorkCalendar:
        wanted = set(years)
        todo = [y for y in wanted if y not in self._years]
        if todo:
            with self._db.read() as s:
                for year in todo:
                    rows = s.execute(
                        select(
                            CalendarDay.day, CalendarDay.is_working_day, CalendarDay.holiday_name
                        ).where(
                            CalendarDay.day >= date(year, 1, 1),
                            CalendarDay.day <= date(year, 12, 31),
                        )
                    ).all()
                    if len(rows) == (366 if gregorian.isleap(year) else 365):
                        self._years[year] = {
                            r.day: (r.is_working_day, r.holiday_name) for r in rows
                        }
        covered = {y for y in wanted if y in self._years}
        days: dict[date, tuple[bool, str | None]] = {}
        for year in covered:
            days.update(self._years[year])
        return WorkCalendar.of(days, covered)


def covered_years(session: Session) -> list[int]:
    """The years the table holds completely."""
    year = func.extract("year", CalendarDay.day)
    rows = session.execute(select(year, func.count()).group_by(year)).all()
    return sorted(int(y) for y, n in rows if n == (366 if gregorian.isleap(int(y)) else 365))
