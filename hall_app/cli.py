"""Command line: ``hall-app demo``, ``hall-app migrate``, ``hall-app keys`` …  (The GUI starts
from main.py.) Every command but ``keys`` starts with the data keys of ``Settings.key_file``."""

from __future__ import annotations

import argparse
import sys
import traceback
from datetime import date

from sqlalchemy import Engine
from tqdm import tqdm

from hall_app.clock import business_date, system_clock
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.domain.errors import HallError
from hall_app.logs import redacted_output

COMMANDS = (
    "demo",
    "migrate",
    "central",
    "sync",
    "calendar",
    "slots",
    "workorder",
    "import",
    "report",
    "backup",
    "restore",
    "keys",
    "audit",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hall-app", description="营业厅前台受理系统")
    parser.add_argument("--db", help="database URL (default: HALL_DB_URL or the user data dir)")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="fill an empty database with realistic demo data")
    demo.add_argument("--customers", type=int, default=20_000)
    demo.add_argument("--days", type=int, default=30, help="past business days of history")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--today", type=date.fromisoformat, help="anchor date (default: today)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.add_argument(
        "--no-queue", action="store_true", help="no queue for today (tickets of the past days only)"
    )
    sub.add_parser("migrate", help="upgrade the database schema to the latest version")
    central = sub.add_parser("central", help="the hall's central PostgreSQL")
    central.add_argument("action", choices=["init"], help="init: create or upgrade its schema")
    central.add_argument("--central", help="central database URL (default: HALL_CENTRAL_URL)")
    sync = sub.add_parser("sync", help="push this counter's waiting records once, for scripts")
    sync.add_argument("--central", help="central database URL (default: HALL_CENTRAL_URL)")
    sync.add_argument("--full", action="store_true", help="queue every record first (first load)")
    sync.add_argument("--retry-quarantined", action="store_true", help="queue refused rows again")
    sync.add_argument("--batch", type=int, default=500)
    cal = sub.add_parser("calendar", help="the holiday calendar (working days) as data")
    cal.add_argument("action", choices=["seed"], help="seed: fill it from chinese-calendar")
    cal.add_argument(
        "--years", type=_years, required=True, help="a year or a range, e.g. 2025-2026"
    )
    wo = sub.add_parser("workorder", help="install work orders, for the installers' back office")
    wo.add_argument(
        "action",
        choices=["dispatch", "done", "fail"],
        help="dispatch: 派单; done: 装机完成 (the service starts); fail: 装机失败 (--reason)",
    )
    wo.add_argument("ref", metavar="ORDER_NO", help="the order number (SL…) or work-order number")
    wo.add_argument("--reason", default="", help="why the install failed (fail only)")
    slots = sub.add_parser("slots", help="install appointment slots (装机预约时段)")
    slots.add_argument("action", choices=["make"], help="make: add the coming days' slots")
    slots.add_argument("--days", type=int, default=14, help="working days from today")
    slots.add_argument("--hall", help="only this hall (its code; default: every hall)")
    slots.add_argument(
        "--central",
        help="make them at the central database (default: HALL_CENTRAL_URL when set, "
        "else the --db database)",
    )
    imp = sub.add_parser("import", help="import a delivery file (终端入库)")
    imp.add_argument("what", choices=["handsets"], help="handsets: IMEI list (CSV or .xlsx)")
    imp.add_argument("file", metavar="FILE", help="columns IMEI, 型号编码 (备注 optional)")
    imp.add_argument(
        "--yes", action="store_true", help="import the valid rows (without it: a dry run)"
    )
    imp.add_argument("--hall", help="the receiving hall (its code; default: the only one)")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    from hall_app.report_cli import add_parser as add_report_parser

    add_report_parser(sub)
    from hall_app.billing_cli import add_parser as add_billing_parser

    add_billing_parser(sub)
    from hall_app.backup_cli import add_parsers as add_backup_parsers

    add_backup_parsers(sub)
    from hall_app.keys_cli import add_parser as add_keys_parser

    add_keys_parser(sub)
    from hall_app.audit_cli import add_parser as add_audit_parser

    add_audit_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a command. Whatever it prints (its errors, a rejected row, the traceback of a bug)
    shows ID and mobile numbers masked, as the log does."""
    with redacted_output():
        try:
            return _command(argv)
        except Exception:  # a bug: its traceback, redacted (not Python's own, in plaintext)
            traceback.print_exc()
            return 1


def _command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load(db_url=args.db)
    except (OSError, ValueError) as exc:
        print(f"配置有误：{exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings.db_url)
    try:
        if args.command == "keys":
            from hall_app.keys_cli import keys_command

            return keys_command(engine, settings, args)
        if args.command == "restore":
            # Keys from the key file only: the database it replaces may be unreadable, and
            # nothing may hold it open.
            from hall_app.backup_cli import restore_file

            return restore_file(settings, args)
        if args.command and crypto.installed() is None:
            # Before any migration: one seals customers' data with these keys.
            from hall_app.db.models import Base
            from hall_app.keyfile import keys_at_start

            keys_at_start(
                settings.key_file, engine, Base.metadata, synced=bool(settings.central_url)
            )
        if args.command == "migrate":
            ran = upgrade_to_head(engine)
            print("数据库已升级到最新版本" if ran else "数据库已是最新版本")
            return 0
        if args.command == "demo":
            return _demo(engine, args)
        if args.command in ("central", "sync"):
            return _central(engine, settings, args)
        if args.command == "calendar":
            return _calendar(engine, args)
        if args.command == "workorder":
            return _workorder(engine, settings, args)
        if args.command == "slots":
            return _slots(engine, settings, args)
        if args.command == "import":
            from hall_app.stock_cli import import_handsets

            return import_handsets(engine, args)
        if args.command == "report":
            from hall_app.report_cli import daily_report

            return daily_report(engine, settings, args)
        if args.command == "backup":
            from hall_app.backup_cli import backup

            return backup(engine, settings, args)
        if args.command == "billing":
            from hall_app.billing_cli import billing

            return billing(engine, settings, args)
        if args.command == "audit":
            from hall_app.audit_cli import audit_command

            return audit_command(engine, settings, args)
        build_parser().print_help()
        return 2
    except HallError as exc:
        print(f"错误：{exc.text}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def _years(text: str) -> range:
    first, _, last = text.partition("-")
    try:
        years = range(int(first), int(last or first) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"年份应为 2026 或 2025-2026，实际为 “{text}”") from None
    if not years:
        raise argparse.ArgumentTypeError(f"年份范围为空：“{text}”")
    return years


def _calendar(engine: Engine, args: argparse.Namespace) -> int:
    from hall_app.db.engine import Database
    from hall_app.services.calendar import covered_years, seed_calendar

    upgrade_to_head(engine)
    db = Database(engine)
    try:
        with db.unit_of_work() as s:
            report = seed_calendar(s, args.years, system_clock())
        with db.read() as s:
            years = covered_years(s)
    finally:
        db.dispose()
    print(
        f"节假日日历已导入（{report.source}）：{report.years[0]}–{report.years[-1]} 年，"
        f"{report.days} 天，其中法定节假日 {report.holidays} 天、调休上班 {report.makeup_days} 天；"
        f"日历现有年份：{'、'.join(map(str, years))}"
    )
    return 0


def _workorder(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    """Report a work order's step as the installers' back office (audited as "backoffice")."""
    from hall_app.db.engine import Database
    from hall_app.domain.money import format_yuan
    from hall_app.services.calendar import CalendarService
    from hall_app.services.workorders import WorkOrderService

    upgrade_to_head(engine)
    db = Database(engine)
    try:
        rules = settings.rules
        service = WorkOrderService(db, system_clock, rules, CalendarService(db, rules))
        actor = service.back_office_actor(args.ref)
        wo = service.find(actor, args.ref)
        if args.action == "dispatch":
            done = service.dispatch(actor, wo.id)
            print(f"工单 {done.work_order_no}（受理单 {done.order_no}）已派单：{done.team_name}")
        elif args.action == "fail":
            done = service.report_failed(actor, wo.id, args.reason)
            print(
                f"工单 {done.work_order_no}（受理单 {done.order_no}）已登记装机失败："
                f"{done.status_reason}"
            )
        else:
            report = service.report_installed(actor, wo.id)
            started = "、".join(report.activated) or "—"
            moved = "、".join(report.relocated)
            line = f"工单 {report.work_order_no}（受理单 {wo.order_no}）装机完成；"
            line += f"移机至新地址：{moved}" if moved else f"已开通计费：{started}"
            if report.credit_fen:
                credit = format_yuan(report.credit_fen)
                line += f"；超期 {report.late_days} 天，已补偿 {credit} 至账户余额"
            print(line)
    finally:
        db.dispose()
    return 0


def _slots(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    """Slots are made where they are decided: at the central database when the hall has one
    (the counters pull them), else in this database."""
    from sqlalchemy import select

    from hall_app.db.engine import Database
    from hall_app.db.models import Hall
    from hall_app.services import audit
    from hall_app.services.installs import ensure_slots

    url = args.central or settings.central_url
    target = make_engine(url) if url else engine
    if not url:
        upgrade_to_head(target)
    db = Database(target)
    now = system_clock()
    today = business_date(now)
    done: list[str] = []
    try:
        with db.unit_of_work() as s:
            query = select(Hall.id, Hall.code, Hall.name).order_by(Hall.code)
            if args.hall:
                query = query.where(Hall.code == args.hall)
            halls = s.execute(query).all()
            if not halls:
                print(f"错误：营业厅：没有编码为 “{args.hall}” 的营业厅", file=sys.stderr)
                return 1
            for hall in halls:
                added = ensure_slots(s, hall.id, today, args.days, settings.rules, None, now)
                audit.record(
                    s,
                    at=now,
                    actor=None,
                    action="install_slots.made",
                    entity="install_slots",
                    entity_id=hall.id,
                    after={"from": today.isoformat(), "working_days": args.days, "added": added},
                )
                done.append(f"{hall.name}（{hall.code}）：新增装机预约时段 {added} 个")
    finally:
        db.dispose()
    print(f"自 {today} 起 {args.days} 个工作日：")
    print("\n".join(done))
    return 0


def _demo(engine: Engine, args: argparse.Namespace) -> int:
    from hall_app.demo.builder import DemoBuilder

    upgrade_to_head(engine)
    from hall_app.demo.today import demo_moment

    now = system_clock()
    today = args.today or business_date(now)
    queue_until = None if args.no_queue else demo_moment(today, now)
    builder = DemoBuilder(engine, seed=args.seed, today=today, queue_until=queue_until)
    with tqdm(
        total=args.customers, unit="客户", desc="生成演示数据", disable=args.quiet, file=sys.stderr
    ) as bar:

        def progress(n: int) -> None:
            bar.update(n)

        summary = builder.build(args.customers, args.days, progress=progress)
    print(
        f"演示数据已生成：客户 {summary.customers:,}，业务号码 {summary.subscriptions:,}，"
        f"号池 {summary.numbers:,}，SIM 卡 {summary.sims:,}，排队票 {summary.tickets:,}，"
        f"受理单 {summary.orders:,}，装机工单 {summary.work_orders:,}，"
        f"手机 {summary.devices:,} 台（合约机 {summary.commitments:,}，"
        f"分期合同 {summary.instalment_contracts:,} 份）；"
        f"用时 {summary.seconds:.1f} 秒"
    )
    if summary.today.issued:
        print(
            f"今日排队：已取号 {summary.today.issued} 张，"
            f"其中 {summary.today.waiting} 张仍在等候叫号（按 F2 叫号）"
        )
    return 0


def _central(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    url = args.central or settings.central_url
    if not url:
        print("错误：中心数据库：请用 --central 或 HALL_CENTRAL_URL 指定", file=sys.stderr)
        return 2
    central = make_engine(url)
    try:
        from hall_app.db.models import Base
        from hall_app.db.rekey import check_keys

        # The hall's central database holds what its counters sealed: the same key opens it.
        check_keys(central, Base.metadata, crypto.active(), settings.key_file)
        if args.command == "central":
            ran = upgrade_to_head(central)
            print("中心数据库已建立或升级到最新版本" if ran else "中心数据库已是最新版本")
            return 0
        from hall_app.db.engine import Database
        from hall_app.sync.push import Pusher
        from hall_app.sync.service import SyncService

        if not settings.counter_code:
            print("错误：同步需要用 HALL_COUNTER 指明本机是哪个窗口", file=sys.stderr)
            return 2
        upgrade_to_head(engine)
        local = Database(engine)
        service = SyncService(local, url, system_clock, settings.counter_code)
        try:
            pusher = Pusher(local, central, system_clock, batch_size=args.batch)
            if args.retry_quarantined:
                print(f"已重新排队被拒记录 {pusher.retry_quarantined():,} 条")
            if args.full:
                print(f"已排队全部记录 {pusher.enqueue_all():,} 条")
            # The same round as the app's: kept claims, push, leases, pull, tickets for here.
            report = service.run_round(batch_size=args.batch)
        finally:
            service.close()
            local.dispose()
        print(
            f"同步完成：发送 {report.sent:,} 条，隔离 {report.quarantined:,} 条，"
            f"资源冲突 {report.clashes:,} 条，仍待发送 {report.pending:,} 条；"
            f"{report.batches} 批，用时 {report.seconds:.1f} 秒"
        )
        return 0 if report.quarantined == 0 else 3
    finally:
        central.dispose()


if __name__ == "__main__":
    sys.exit(main())
