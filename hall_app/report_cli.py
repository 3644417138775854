"""``hall-app report daily --date YYYY-MM-DD --out FILE.pdf|FILE.xlsx``: the queue daily
report (排队日报) from a script (cron, e-mail), on the same code as the supervisor's desk:
``QueueReportService.day`` as a report script with only ``REPORTS_VIEW``, the hall taken from
the database (``--hall`` when it holds several)."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from hall_app.clock import system_clock
from hall_app.config import Settings
from hall_app.db.engine import Database
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Hall
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor, system_actor
from hall_app.services.reports import QueueReportService

OUT_FIELD = "输出文件"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="the queue daily report (排队日报) as PDF or xlsx")
    report.add_argument("what", choices=["daily"], help="daily: one business day")
    report.add_argument(
        "--date", type=date.fromisoformat, required=True, help="the business day, YYYY-MM-DD"
    )
    report.add_argument("--out", required=True, help="FILE.pdf or FILE.xlsx")
    report.add_argument("--service", help="only this service type (its code, e.g. billing)")
    report.add_argument("--counter", help="only this counter (its code, e.g. 01)")
    report.add_argument("--hall", help="the hall (its code; default: the only one)")


def daily_report(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    # Here, not at the top: every other command would import matplotlib with them.
    from hall_app.documents.queue_daily import render_daily_pdf
    from hall_app.documents.report_xlsx import write_queue_xlsx

    out = Path(args.out)
    kind = out.suffix.lower()
    if kind not in (".pdf", ".xlsx"):
        raise ValidationError(f"输出文件应为 .pdf 或 .xlsx：{out.name}", OUT_FIELD)
    upgrade_to_head(engine)
    db = Database(engine)
    try:
        actor = _actor(db, args.hall)
        service = QueueReportService(db, system_clock, settings.rules)
        report = service.day(actor, args.date, service_code=args.service, counter_code=args.counter)
    finally:
        db.dispose()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        if kind == ".pdf":
            tmp.write_bytes(
                render_daily_pdf(report, hall_name=actor.hall_name, made_at=system_clock())
            )
        else:
            write_queue_xlsx(report, tmp)
        tmp.replace(out)  # never a half-written report where a script looks for it
    except OSError as exc:
        raise ValidationError(f"无法写入 {out}：{exc.strerror or exc}", OUT_FIELD) from exc
    finally:
        tmp.unlink(missing_ok=True)
    what = (
        report.empty_text
        if report.empty
        else (f"取号 {report.total.arrivals} 张，完成 {report.total.served} 张")
    )
    print(f"{actor.hall_name} 排队日报 {args.date.isoformat()}：{what}；已写入 {out}")
    return 0


def _actor(db: Database, hall_code: str | None) -> Actor:
    with db.read() as session:
        query = select(Hall.id, Hall.code, Hall.name).order_by(Hall.code)
        if hall_code:
            query = query.where(Hall.code == hall_code)
        halls = session.execute(query).all()
    if not halls:
        what = f"没有编码为 “{hall_code}” 的营业厅" if hall_code else "数据库中还没有营业厅"
        raise ValidationError(what, "营业厅")
    if len(halls) > 1:
        codes = "、".join(h.code for h in halls)
        raise ValidationError(f"有多个营业厅（{codes}），请用 --hall 指明营业厅", "营业厅")
    hall = halls[0]
    return system_actor(
        "reportcli", "报表脚本", hall.id, hall.name, frozenset({Permission.REPORTS_VIEW})
    )
