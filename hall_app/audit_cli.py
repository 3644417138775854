"""``hall-app audit verify [--central] [--last N]``: recompute the audit chains of this counter's
database (or of the central one) and name the first entry altered, deleted, inserted or
reordered. Exit 0: every chain whole; 1: a break; 2: the database cannot be checked."""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from sqlalchemy import Engine, select

from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import current_revision, head_revision
from hall_app.db.models import Counter
from hall_app.services import audit_chain


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="the tamper-evident audit chain (审计链)")
    audit.add_argument("action", choices=["verify"], help="verify: recompute every chain")
    audit.add_argument(
        "--central",
        action="store_true",
        help="check the central database (HALL_CENTRAL_URL) instead of this counter's",
    )
    audit.add_argument(
        "--last", type=int, metavar="N", help="only each chain's last N entries (default: all)"
    )


def audit_command(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    if args.last is not None and args.last <= 0:
        print("错误：--last 应为正整数", file=sys.stderr)
        return 2
    target = engine
    if args.central:
        if not settings.central_url:
            print("错误：中心数据库：请设置 HALL_CENTRAL_URL", file=sys.stderr)
            return 2
        target = make_engine(settings.central_url)
    where = "中心数据库" if args.central else "本机数据库"
    try:
        if current_revision(target) != head_revision():
            print(f"错误：{where}尚未升级到最新版本，请先运行 hall-app migrate", file=sys.stderr)
            return 2
        started = time.perf_counter()
        with target.connect() as conn:
            report = audit_chain.verify(conn, last=args.last)
            heads = audit_chain.chain_heads(conn)
            names: dict[uuid.UUID | None, str] = {
                i: code for i, code in conn.execute(select(Counter.id, Counter.code))
            }
            alerts = audit_chain.open_alerts(conn)
        seconds = time.perf_counter() - started
    finally:
        if target is not engine:
            target.dispose()
    scope = f"各链最后 {args.last} 条" if args.last else "全部"

    def label(key: tuple[uuid.UUID | None, uuid.UUID | None]) -> str:
        counter_id, origin = key
        if counter_id is not None:
            return f"窗口 {names.get(counter_id, str(counter_id))}"
        if origin is not None:
            return f"无窗口（窗口 {names.get(origin, str(origin))} 推送）"
        return "无窗口"

    for key, (seq, digest) in sorted(heads.items(), key=lambda h: label(h[0])):
        print(f"{label(key)}：链头第 {seq} 条，哈希 {digest[:16]}")
    for alert in alerts:
        when = alert.detected_at.strftime("%Y-%m-%d %H:%M")
        print(f"待处理的审计警告（{alert.kind_label}，{when}）：{alert.detail}")
    if not report.ok:
        print(f"{where}审计链断裂：{report.problem}", file=sys.stderr)
        return 1
    print(
        f"{where}审计链完整：{report.chains} 条链，核对{scope}记录 {report.checked:,} 条，"
        f"用时 {seconds:.1f} 秒"
    )
    return 0
