"""``hall-app keys show|export FILE|import FILE|rotate|retire``: the hall's data keys, for an admin.

A synced hall's counters and central database share one key set: it is exported from one
machine and imported on the others. A rotation makes a new current key (saved to the key file
before anything is re-sealed), then re-seals every encrypted value batch by batch; run again
after a kill, it continues. Old keys keep opening until ``retire`` drops them, which it does only
once no value uses them. Import, rotation and retirement are audited (as the system); the keys
themselves are never printed, logged or audited: only their ids and fingerprint.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, delete, insert, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from tqdm import tqdm

from hall_app.clock import system_clock
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.db.crypto import DataKeyError, DataKeys
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Base, SyncState
from hall_app.db.outbox import PULLING
from hall_app.db.rekey import check_keys, count_stale, has_sealed_values, key_usage, rotate
from hall_app.keyfile import FIELD, load_keys, read_keys, save_keys
from hall_app.services import audit

ACTOR_NAME = "hall-app keys"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="the hall's data keys (encryption of personal data)")
    actions = keys.add_subparsers(dest="action", required=True)
    actions.add_parser("show", help="key ids, the current one, fingerprint, file (never a key)")
    export = actions.add_parser("export", help="write the keys to FILE for the hall's machines")
    export.add_argument("file", metavar="FILE", type=Path)
    imp = actions.add_parser("import", help="take the hall's keys from FILE (an export)")
    imp.add_argument("file", metavar="FILE", type=Path)
    imp.add_argument(
        "--replace", action="store_true", help="replace a different key set (no data sealed yet)"
    )
    rot = actions.add_parser("rotate", help="a new current key; re-seal every value (resumable)")
    rot.add_argument("--batch", type=int, default=1000, help="rows a transaction")
    rot.add_argument("--quiet", action="store_true", help="no progress bar")
    actions.add_parser("retire", help="drop old keys once no value uses them")


def keys_command(
    engine: Engine, settings: Settings, args: argparse.Namespace, metadata: MetaData | None = None
) -> int:
    """Run one ``keys`` action on the database of ``engine``, over the encrypted columns of
    ``metadata`` (the app's models unless told otherwise)."""
    md = Base.metadata if metadata is None else metadata
    path = settings.key_file
    if args.action == "show":
        return _show(engine, md, path)
    if args.action == "import":
        return _import(engine, md, settings, args.file, replace=args.replace)
    keys = load_keys(path, create=False)
    check_keys(engine, md, keys, path)
    crypto.install(keys)
    upgrade_to_head(engine)
    if args.action == "export":
        return _export(engine, keys, args.file)
    if args.action == "rotate":
        return _rotate(engine, md, settings, keys, args.batch, quiet=args.quiet)
    return _retire(engine, md, settings, keys)


def _describe(keys: DataKeys) -> dict[str, Any]:
    return {"current": keys.current, "key_ids": sorted(keys.keys), "fingerprint": keys.fingerprint}


def _audit(engine: Engine, action: str, keys: DataKeys, **details: Any) -> None:
    with Session(engine) as s, s.begin():  # one short transaction; no app machinery needed
        audit.record(
            s,
            at=system_clock(),
            actor=None,
            actor_name=ACTOR_NAME,
            action=action,
            entity="data_keys",
            entity_id=keys.fingerprint,
            after={**_describe(keys), **details},
        )


def _show(engine: Engine, metadata: MetaData, path: Path) -> int:
    keys = load_keys(path, create=False)
    print(f"数据密钥文件：{path}")
    print(f"指纹：{keys.fingerprint}")
    try:
        usage = key_usage(engine, metadata)
    except SQLAlchemyError as exc:
        usage = {}
        print(f"（无法读取数据库，未统计各密钥加密的数据：{type(exc).__name__}）")
    for kid in sorted(keys.keys):
        mark = "（当前）" if kid == keys.current else ""
        print(f"密钥 {kid}{mark}：本数据库中 {usage.get(kid, 0):,} 个加密值")
    for kid in sorted(set(usage) - set(keys.keys)):
        print(f"密钥 {kid}（本文件中没有，无法解密）：{usage[kid]:,} 个加密值")
    return 0


def _export(engine: Engine, keys: DataKeys, target: Path) -> int:
    if target.exists():
        raise DataKeyError(f"目标文件 {target} 已存在，未覆盖；请换一个文件名", FIELD)
    save_keys(target, keys)
    _audit(engine, "data_keys.exported", keys, to=str(target))
    print(f"已导出数据密钥（指纹 {keys.fingerprint}，当前密钥 {keys.current}）到 {target}")
    print("请只用可信的介质带到本厅的其他窗口和中心数据库，导入后删除该文件")
    return 0


def _compatible(mine: DataKeys, incoming: DataKeys) -> bool:
    """The incoming set is ours, perhaps with newer keys (a rotation started elsewhere)."""
    return mine.index_key == incoming.index_key and all(
        incoming.keys.get(kid) == key for kid, key in mine.keys.items()
    )


def _import(
    engine: Engine, metadata: MetaData, settings: Settings, source: Path, *, replace: bool
) -> int:
    path = settings.key_file
    incoming = read_keys(source)
    mine = load_keys(path, create=False) if path.exists() else None
    if mine == incoming:
        print(f"本机已是这套数据密钥（指纹 {incoming.fingerprint}），无需导入")
        return 0
    replaced: Path | None = None
    if mine is not None and not _compatible(mine, incoming):
        if not replace:
            raise DataKeyError(
                f"本机已有另一套数据密钥（指纹 {mine.fingerprint}），与导入的"
                f"（指纹 {incoming.fingerprint}）不同；确需替换请加 --replace",
                FIELD,
            )
        if has_sealed_values(engine, metadata):
            raise DataKeyError(
                "本机数据库中已有用原密钥加密的客户资料，替换密钥后将无法读取，已拒绝替换",
                FIELD,
            )
        stamp = datetime.now().strftime("%Y%m%d%H%M%S")
        replaced = path.with_name(f"{path.name}.replaced-{stamp}")
        save_keys(replaced, mine)
    check_keys(engine, metadata, incoming, source)
    save_keys(path, incoming)
    crypto.install(incoming)
    upgrade_to_head(engine)
    _audit(engine, "data_keys.imported", incoming, replaced=replaced is not None)
    print(
        f"已导入数据密钥（指纹 {incoming.fingerprint}，当前密钥 {incoming.current}，"
        f"共 {len(incoming.keys)} 个）到 {path}"
    )
    if replaced is not None:
        print(f"原密钥文件已保留为 {replaced}")
    if count_stale(engine, metadata, incoming.current):
        print("本机还有用旧密钥加密的数据：请运行 hall-app keys rotate 完成轮换")
    print(f"请删除导入用的文件 {source}")
    return 0


def _next_key_id(keys: DataKeys) -> str:
    numbers = [int(m.group(1)) for kid in keys.keys if (m := re.fullmatch(r"k(\d+)", kid))]
    n = max(numbers, default=0) + 1
    while f"k{n}" in keys.keys:
        n += 1
    return f"k{n}"


@contextmanager
def _not_queued(conn: Connection) -> Iterator[None]:
    """A counter's re-sealed rows are not queued for the central database, which rotates its
    own copy (pushing them would also raise last-writer-wins clashes for nothing)."""
    if conn.dialect.name != "sqlite" or not inspect(conn).has_table(SyncState.__tablename__):
        yield
        return
    conn.execute(insert(SyncState).values(key=PULLING, value="1"))
    yield
    conn.execute(delete(SyncState).where(SyncState.key == PULLING))


def _rotate(
    engine: Engine,
    metadata: MetaData,
    settings: Settings,
    keys: DataKeys,
    batch: int,
    *,
    quiet: bool,
) -> int:
    if batch < 1:
        raise DataKeyError("--batch 应为正整数", FIELD)
    stale = count_stale(engine, metadata, keys.current)
    if stale:
        print(f"继续密钥轮换：{stale:,} 行仍用旧密钥加密，改用当前密钥 {keys.current}")
    else:
        if settings.central_url:
            raise DataKeyError(
                "本机与中心数据库同步，全厅共用一套密钥：新密钥须在一处生成"
                "（在中心数据库上：hall-app --db 中心数据库地址 keys rotate），"
                "导出后在各窗口 keys import，再在各窗口运行 keys rotate",
                FIELD,
            )
        keys = keys.with_new_key(_next_key_id(keys))
        save_keys(settings.key_file, keys)  # first: a value sealed with it must find it
        crypto.install(keys)
        _audit(engine, "data_keys.rotation_started", keys)
        stale = count_stale(engine, metadata, keys.current)
        print(f"已生成新密钥 {keys.current} 并写入 {settings.key_file}；{stale:,} 行需重新加密")
    with tqdm(total=stale, unit="行", desc="重新加密", disable=quiet, file=sys.stderr) as bar:
        report = rotate(engine, metadata, keys, batch, progress=bar.update, within=_not_queued)
    left = count_stale(engine, metadata, keys.current)
    _audit(
        engine,
        "data_keys.rotated",
        keys,
        values=report.values,
        rows=report.rows,
        left=left,
    )
    print(
        f"重新加密 {report.values:,} 个值（{report.rows:,} 行，{report.batches} 批），"
        f"用时 {report.seconds:.1f} 秒；当前密钥 {keys.current}"
    )
    if left:
        print(f"仍有 {left:,} 行用旧密钥（轮换期间被修改）：请再运行一次 hall-app keys rotate")
        return 3
    print(
        "本机数据已全部改用新密钥。同步的营业厅：请导出密钥，在中心和各窗口导入并运行 "
        "keys rotate；全部完成后再运行 keys retire 退役旧密钥"
    )
    return 0


def _retire(engine: Engine, metadata: MetaData, settings: Settings, keys: DataKeys) -> int:
    old = sorted(set(keys.keys) - {keys.current})
    if not old:
        print(f"没有可退役的旧密钥（当前密钥 {keys.current}）")
        return 0
    places = [("本数据库", engine)]
    central = make_engine(settings.central_url) if settings.central_url else None
    if central is not None:
        places.append(("中心数据库", central))
    try:
        for label, place in places:
            try:
                usage = key_usage(place, metadata)
            except SQLAlchemyError as exc:
                raise DataKeyError(
                    f"无法读取{label}（{type(exc).__name__}），不能确认旧密钥已无人使用，未退役",
                    FIELD,
                ) from exc
            busy = {kid: usage[kid] for kid in old if usage.get(kid)}
            if busy:
                counts = "、".join(f"{kid} {n:,} 个值" for kid, n in busy.items())
                raise DataKeyError(
                    f"{label}中仍有数据用旧密钥加密（{counts}），未退役；"
                    "请先在该处运行 hall-app keys rotate 完成轮换",
                    FIELD,
                )
    finally:
        if central is not None:
            central.dispose()
    kept = keys.without(old)
    save_keys(settings.key_file, kept)
    crypto.install(kept)
    _audit(engine, "data_keys.retired", kept, retired=old)
    print(f"已退役旧密钥 {'、'.join(old)}；保留当前密钥 {kept.current}（指纹 {kept.fingerprint}）")
    return 0
