"""``hall-app backup [--list]`` (an encrypted backup of this counter's database now, or the
generations kept) and ``hall-app restore FILE`` (with every counter program closed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine

from hall_app.clock import fmt_local, system_clock
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.engine import Database
from hall_app.db.migrate import upgrade_to_head
from hall_app.keyfile import load_keys
from hall_app.services.backup import BackupService, database_path, restore


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup", help="an encrypted backup of this counter's database now (online)"
    )
    backup.add_argument("--list", action="store_true", help="list the backups kept instead")
    again = sub.add_parser(
        "restore", help="replace this counter's database by a backup (close the app first)"
    )
    again.add_argument("file", metavar="FILE", help="a backup file (.hallbak)")


def _mib(n: int) -> str:
    return f"{n / 1_048_576:,.1f} MB"


def backup(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    database_path(settings.db_url)  # refuses a server database before anything is made
    upgrade_to_head(engine)
    db = Database(engine)
    try:
        service = BackupService(
            db,
            system_clock,
            folder=settings.backup_dir,
            keep=settings.backup_keep,
            counter_code=settings.counter_code,
        )
        if args.list:
            found = service.generations()
            print(f"备份文件夹 {service.folder}：{len(found)} 份（保留 {settings.backup_keep} 份）")
            for info in found:
                print(
                    f"  {info.path.name}  {fmt_local(info.created, with_seconds=True)}  "
                    f"数据库 {_mib(info.size)}  密钥 {info.key_id}  版本 {info.revision}"
                )
            return 0
        made = service.make("manual")
    finally:
        db.dispose()
    print(
        f"备份完成：{made.path}（数据库 {_mib(made.database_bytes)}，"
        f"加密后 {_mib(made.file_bytes)}，用时 {made.seconds:.1f} 秒）"
    )
    if made.pruned:
        print(f"已删除超出保留份数的旧备份 {len(made.pruned)} 份：{'、'.join(made.pruned)}")
    return 0


def restore_file(settings: Settings, args: argparse.Namespace) -> int:
    target = database_path(settings.db_url)
    if crypto.installed() is None:
        crypto.install(load_keys(settings.key_file, create=False))
    report = restore(Path(args.file), target, system_clock)
    print(
        f"已从备份恢复：{report.database}（备份时间 "
        f"{fmt_local(report.created, with_seconds=True)}，数据库版本 {report.revision}"
        f"{'，已升级到最新版本' if report.migrated else ''}；"
        f"完整性检查通过，审计链校验 {report.audit_checked:,} 条无误）"
    )
    if report.kept is not None:
        print(f"被替换的数据库已保留为 {report.kept}")
    if report.recovery_needed:
        print(
            "本窗口曾与中心数据库同步：启动后联网同步一次，自动找回备份之后本窗口办理的业务"
            "和编号；在此之前本窗口不受理、不开票"
        )
    return 0
