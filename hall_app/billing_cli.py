"""``hall-app billing run --period 2026-11`` (出账: the period's bills) and ``hall-app billing
arrears [--date 2026-11-26]`` (欠费停机: suspend the numbers with bills unpaid past the grace
days). Both run as the system (no staff member) and are audited; a second run of a period adds
nothing."""

from __future__ import annotations

import argparse
from datetime import date

from sqlalchemy import Engine

from hall_app.clock import business_date, system_clock
from hall_app.config import Settings
from hall_app.db.engine import Database
from hall_app.db.migrate import upgrade_to_head
from hall_app.domain.billing import period_of
from hall_app.domain.money import format_yuan
from hall_app.services.billing_run import BillingRunService


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    billing = sub.add_parser("billing", help="the monthly billing run and arrears suspension")
    billing.add_argument(
        "action", choices=["run", "arrears"], help="run: 出账 (one period); arrears: 欠费停机"
    )
    billing.add_argument("--period", help="the period YYYY-MM (run; default: this month)")
    billing.add_argument(
        "--date", type=date.fromisoformat, help="arrears: the day to judge on (default: today)"
    )


def billing(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    upgrade_to_head(engine)
    db = Database(engine)
    try:
        service = BillingRunService(db, settings.rules, system_clock)
        if args.action == "run":
            period = args.period or period_of(business_date(system_clock()))
            report = service.run_billing(None, period)
            print(
                f"{report.period} 出账：新出账单 {report.bills:,} 张（{report.items:,} 项，"
                f"合计 {format_yuan(report.total_fen)}），已出账跳过 {report.skipped:,} 张，"
                f"次月生效的套餐变更 {report.plan_switches:,} 个，用时 {report.seconds:.1f} 秒"
            )
            return 0
        count = service.suspend_for_arrears(None, args.date)
        print(f"欠费停机：{count:,} 个号码")
        return 0
    finally:
        db.dispose()
