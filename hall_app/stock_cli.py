"""``hall-app import handsets FILE [--yes]``: the 终端入库 file check from a script. Prints the
same per-row report the dialog shows (row, IMEI, field, message) and the totals; imports the
valid rows only with ``--yes``. Exit code 0 when every row is valid, 1 when any has an error."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from typing import Any

from sqlalchemy import Engine, select
from tqdm import tqdm

from hall_app.clock import system_clock
from hall_app.db.engine import Database
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Hall
from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor, system_actor
from hall_app.services.stock import HandsetStockService, ImportReport, Progress


def import_handsets(engine: Engine, args: argparse.Namespace) -> int:
    upgrade_to_head(engine)
    db = Database(engine)
    try:
        actor = _actor(db, args.hall)
        service = HandsetStockService(db, system_clock)
        with tqdm(unit="行", desc="检查", disable=args.quiet, file=sys.stderr) as bar:
            report = service.check_file(actor, args.file, _progress(bar))
        print(report_text(report))
        if not args.yes:
            if report.valid:
                print(f"试运行，未导入。加 --yes 导入有效的 {report.valid:,} 行")
            return 1 if report.error_count else 0
        if report.valid:
            with tqdm(unit="行", desc="导入", disable=args.quiet, file=sys.stderr) as bar:
                done = service.import_file(actor, args.file, _progress(bar), accepted=report)
            models = "，".join(f"{code} {n:,} 台" for code, n in done.per_model.items())
            print(f"已导入 {done.imported:,} 台（{models}），未导入有误的 {done.skipped:,} 行")
        else:
            print("没有可导入的有效行，未导入任何内容")
        return 1 if report.error_count else 0
    finally:
        db.dispose()


def report_text(report: ImportReport) -> str:
    """The per-row errors, one a line, then the totals."""
    lines = [_line("行号", "IMEI", "字段", "说明")]
    lines += [_line(str(e.row_no), e.imei, e.field, e.message) for e in report.errors]
    if report.unlisted:
        lines.append(f"…… 另有 {report.unlisted:,} 处错误未列出")
    if not report.errors:
        lines = ["全部数据行检查通过"]
    lines.append(
        f"共 {report.rows_total:,} 行：有效 {report.valid:,} 行，有误 {report.error_rows:,} 行"
        f"（错误 {report.error_count:,} 处）"
    )
    if report.per_model:
        lines.append(
            "有效行按型号：" + "，".join(f"{c} {n:,} 台" for c, n in report.per_model.items())
        )
    return "\n".join(lines)


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character (wide or fullwidth) two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """``text`` padded to ``columns`` terminal columns (``str.ljust`` counts characters, so a
    column after Chinese text, such as 型号编码, came out misaligned)."""
    fill = " " * max(columns - width(text), 0)
    return fill + text if right else text + fill


def _line(row: str, imei: str, field: str, message: str) -> str:
    return f"{pad(row, 8, right=True)}  {pad(imei, 16)}  {pad(field, 8)}  {message}"


def _progress(bar: tqdm[Any]) -> Progress:
    def tell(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return tell


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
        raise ValidationError(f"有多个营业厅（{codes}），请用 --hall 指明入库的营业厅", "营业厅")
    hall = halls[0]
    return system_actor(
        "stockimport",
        "终端入库脚本",
        hall.id,
        hall.name,
        frozenset({Permission.STOCK_RECEIVE}),
    )
