"""终端入库: scanned IMEIs and delivery files (CSV in UTF-8/BOM/GBK, .xlsx), every row checked,
only the valid rows imported in one transaction, nothing half-saved."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Device
from hall_app.domain.enums import DeviceStatus
from hall_app.domain.errors import PermissionDenied, StorageError, ValidationError
from hall_app.services.actor import Actor
from hall_app.services.stock import CHUNK, STOCKROOM, HandsetStockService, ImportReport
from tests.conftest import FakeClock
from tests.stock_fixtures import (
    handset_codes,
    imei,
    plan_code,
    stocked_imei,
    write_csv,
    write_xlsx,
    wrong_digit,
)


@pytest.fixture
def stock(hall: HallApp, clock: FakeClock) -> HandsetStockService:
    return HandsetStockService(hall.db, clock)


def _devices(hall: HallApp, imeis: list[str]) -> list[Device]:
    with hall.db.read() as s:
        units = list(s.scalars(select(Device).where(Device.imei.in_(imeis))))
        s.expunge_all()  # read as they are, after the read session ends
        return units


def _count(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Device)) or 0


def _audits(hall: HallApp, action: str) -> list[AuditEntry]:
    with hall.db.read() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        s.expunge_all()
        return entries


# -- scanned one by one -------------------------------------------------------------------------
def test_receive_saves_the_scanned_units_and_counts_them(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, clock: FakeClock
) -> None:
    before = {m.code: m for m in stock.models(supervisor)}
    model = next(iter(before.values()))
    scanned = [imei(1), f" {imei(2)} ", imei(3)]
    done = stock.receive(supervisor, model.product_id, scanned)
    assert done.count == 3 and done.imeis == (imei(1), imei(2), imei(3))
    units = _devices(hall, list(done.imeis))
    assert {(u.product_id, u.status, u.location, u.hall_id) for u in units} == {
        (model.product_id, DeviceStatus.IN_STOCK, STOCKROOM, supervisor.hall_id)
    }
    assert all(u.received_at == clock.now for u in units)
    after = {m.code: m for m in stock.models(supervisor)}
    assert after[model.code].in_stock == before[model.code].in_stock + 3
    (entry,) = _audits(hall, "stock.receive")
    assert entry.actor_name == "super1" and entry.after is not None
    assert entry.after["count"] == 3 and entry.after["code"] == model.code


@pytest.mark.parametrize(
    ("scanned", "expected"),
    [
        ([imei(1), wrong_digit(imei(2))], "第 2 条"),
        ([imei(1), imei(2), imei(1)], "第 3 条 " + imei(1) + " 与第 1 条重复"),
        ([imei(1), "12345"], "15 位"),
    ],
)
def test_receive_refuses_the_whole_list_naming_the_bad_imei(
    hall: HallApp,
    stock: HandsetStockService,
    supervisor: Actor,
    scanned: list[str],
    expected: str,
) -> None:
    model = stock.models(supervisor)[0]
    total = _count(hall)
    with pytest.raises(ValidationError) as err:
        stock.receive(supervisor, model.product_id, scanned)
    assert err.value.field == "IMEI" and expected in err.value.message
    assert _count(hall) == total and not _audits(hall, "stock.receive")


def test_receive_refuses_an_imei_already_in_stock(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor
) -> None:
    model = stock.models(supervisor)[0]
    old = stocked_imei(hall)
    with pytest.raises(ValidationError, match=f"第 2 条 {old} 已入库"):
        stock.receive(supervisor, model.product_id, [imei(7), old])
    assert not _devices(hall, [imei(7)])
    with pytest.raises(ValidationError, match="已入库"):
        stock.check_imei(supervisor, old)
    with pytest.raises(ValidationError, match="已在本次入库列表中（第 2 条）"):
        stock.check_imei(supervisor, imei(7), [imei(6), imei(7)])
    assert stock.check_imei(supervisor, f"{imei(8)}\n", [imei(7)]) == imei(8)


def test_a_clerk_cannot_receive_stock(
    hall: HallApp, stock: HandsetStockService, clerk: Actor, supervisor: Actor
) -> None:
    model = stock.models(supervisor)[0]
    with pytest.raises(PermissionDenied, match="终端入库"):
        stock.receive(clerk, model.product_id, [imei(1)])
    with pytest.raises(PermissionDenied):
        stock.check_file(clerk, "whatever.csv")


# -- delivery files -----------------------------------------------------------------------------
def _mixed_rows(hall: HallApp) -> list[tuple[str, str, str]]:
    a, b = handset_codes(hall)[:2]
    return [
        (imei(10), a, "首批"),  # row 2: valid
        (imei(11), b, ""),  # row 3: valid
        (wrong_digit(imei(12)), a, ""),  # row 4: check digit
        (imei(10), b, "重复"),  # row 5: duplicate of row 2
        (stocked_imei(hall), a, ""),  # row 6: already in stock
        (imei(13), "NO_SUCH", ""),  # row 7: unknown model
        (imei(14), plan_code(hall), ""),  # row 8: not a handset
        ("8.60123E+14", a, ""),  # row 9: Excel's scientific notation
        (imei(15), "", ""),  # row 10: no model
        (imei(16), a, "到货"),  # row 11: valid
    ]


def _assert_mixed(report: ImportReport, hall: HallApp) -> None:
    a, b = handset_codes(hall)[:2]
    assert report.rows_total == 10 and report.valid == 3
    assert report.per_model == {a: 2, b: 1}
    got = [(e.row_no, e.field) for e in report.errors]
    assert got == [
        (4, "IMEI"),
        (5, "IMEI"),
        (6, "IMEI"),
        (7, "型号编码"),
        (8, "型号编码"),
        (9, "IMEI"),
        (10, "型号编码"),
    ]
    by_row = {e.row_no: e for e in report.errors}
    assert "校验位错误" in by_row[4].message
    assert by_row[5].message == f"{imei(10)} 与第 2 行重复"
    assert "已入库" in by_row[6].message
    assert "NO_SUCH" in by_row[7].message
    assert "不是手机终端" in by_row[8].message
    assert "科学计数法" in by_row[9].message
    assert by_row[10].message == "不能为空"
    assert report.error_rows == 7 and report.error_count == 7


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_check_file_reports_every_bad_row_in_any_encoding(
    hall: HallApp,
    stock: HandsetStockService,
    supervisor: Actor,
    tmp_path: Path,
    encoding: str,
) -> None:
    path = write_csv(tmp_path / "到货.csv", _mixed_rows(hall), encoding=encoding)
    total = _count(hall)
    _assert_mixed(stock.check_file(supervisor, path), hall)
    assert _count(hall) == total  # a check writes nothing


def test_check_file_reads_an_xlsx_with_imeis_stored_as_numbers(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    rows: list[tuple[object, ...]] = [
        (int(r[0]), r[1], r[2]) if r[0].isdigit() else r for r in _mixed_rows(hall)
    ]
    path = write_xlsx(tmp_path / "到货.xlsx", rows)
    _assert_mixed(stock.check_file(supervisor, path), hall)


def test_import_file_inserts_only_the_valid_rows_once(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "到货.csv", _mixed_rows(hall), encoding="gbk")
    total = _count(hall)
    done = stock.import_file(supervisor, path)
    assert (done.imported, done.skipped, done.rows_total) == (3, 7, 10)
    assert _count(hall) == total + 3
    assert {d.imei for d in _devices(hall, [imei(n) for n in range(10, 17)])} == {
        imei(10),
        imei(11),
        imei(16),
    }
    (entry,) = _audits(hall, "stock.import")
    assert entry.after is not None and entry.after["imported"] == 3
    assert entry.after["skipped"] == 7 and entry.after["file"] == "到货.csv"
    # The same file again: every row is now a duplicate or an error; nothing is written.
    report = stock.check_file(supervisor, path)
    assert report.valid == 0 and "已入库" in report.errors[0].message
    with pytest.raises(ValidationError, match="没有可导入的有效行") as err:
        stock.import_file(supervisor, path)
    assert err.value.field == "导入文件"
    assert _count(hall) == total + 3 and len(_audits(hall, "stock.import")) == 1


def test_a_failure_in_the_second_chunk_leaves_nothing_half_saved(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    code = handset_codes(hall)[0]
    path = write_csv(tmp_path / "大批.csv", ((imei(n), code, "") for n in range(CHUNK + 500)))
    inserts = 0

    def fail_second_insert(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        nonlocal inserts
        if statement.lstrip().upper().startswith("INSERT INTO DEVICES"):
            inserts += 1
            if inserts == 2:
                raise RuntimeError("disk full")

    total = _count(hall)
    event.listen(hall.db.engine, "before_cursor_execute", fail_second_insert)
    try:
        with pytest.raises((RuntimeError, StorageError)):
            stock.import_file(supervisor, path)
    finally:
        event.remove(hall.db.engine, "before_cursor_execute", fail_second_insert)
    assert inserts == 2
    assert _count(hall) == total and not _audits(hall, "stock.import")


@pytest.mark.parametrize(
    ("name", "content", "field", "expected"),
    [
        ("空.csv", b"", "导入文件", "文件为空"),
        ("空白.csv", b"\xef\xbb\xbf\r\n\r\n", "导入文件", "文件为空"),
        ("图片.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "导入文件", "二进制"),
        ("旧.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "导入文件", ".xls"),
        ("坏.xlsx", b"PK\x03\x04garbage", "导入文件", "不是有效的 .xlsx"),
        ("无串号.csv", "型号编码,备注\r\nHW,x\r\n".encode(), "IMEI", "缺少“IMEI”列"),
        ("无型号.csv", b"IMEI\r\n1\r\n", "型号编码", "缺少“型号编码”列"),
        ("只有表头.csv", "IMEI,型号编码\r\n".encode("gbk"), "导入文件", "没有数据行"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_or_column(
    stock: HandsetStockService,
    supervisor: Actor,
    tmp_path: Path,
    name: str,
    content: bytes,
    field: str,
    expected: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationError) as err:
        stock.check_file(supervisor, path)
    assert err.value.field == field and expected in err.value.message
    assert name in err.value.message


def test_a_missing_file_is_a_clear_error(
    stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="不存在"):
        stock.check_file(supervisor, tmp_path / "nowhere.csv")


@pytest.mark.slow
def test_100000_rows_stream_in_flat_memory_with_progress(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    codes = handset_codes(hall)
    n = 100_000
    path = write_csv(
        tmp_path / "十万.csv",
        ((imei(k), codes[k % len(codes)], "") for k in range(n)),
        encoding="gbk",
    )
    seen: list[tuple[int, int]] = []
    tracemalloc.start()
    try:
        report = stock.check_file(supervisor, path, lambda done, total: seen.append((done, total)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows_total == n and report.valid == n and not report.errors
    assert seen[-1] == (n, n) and len(seen) >= n // CHUNK
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # The rows are never all held: the IMEIs seen (to name a duplicate's first row) are the
    # only thing that grows; the whole file as rows would take well over 60 MB.
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    total = _count(hall)
    done = stock.import_file(supervisor, path)
    assert done.imported == n and _count(hall) == total + n


def test_a_unit_received_elsewhere_meanwhile_refuses_all_with_a_clear_message(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    """Between the check and the insert another window receives one of the units: the unique
    IMEI refuses the insert, nothing is saved, and the supervisor is told to check again."""
    code = handset_codes(hall)[0]
    path = write_csv(tmp_path / "到货.csv", [(imei(n), code, "") for n in range(5)])
    model = next(m for m in stock.models(supervisor) if m.code == code)

    def sneak_in(_conn, cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO devices"):
            cursor.connection.execute(
                "INSERT INTO devices (id, created_at, updated_at, product_id, imei, status, "
                "location) VALUES ('0' || hex(randomblob(15)), '2026-11-24 02:00:00', "
                "'2026-11-24 02:00:00', ?, ?, 'in_stock', '营业厅库房')",
                (model.product_id.hex, imei(3)),
            )

    total = _count(hall)
    event.listen(hall.db.engine, "before_cursor_execute", sneak_in)
    try:
        with pytest.raises(ValidationError, match="刚刚被其他窗口入库") as err:
            stock.import_file(supervisor, path)
    finally:
        event.remove(hall.db.engine, "before_cursor_execute", sneak_in)
    assert err.value.field == "IMEI"
    assert "UNIQUE constraint failed: devices.imei" in str(err.value.__cause__.__cause__)
    assert _count(hall) == total and not _audits(hall, "stock.import")


def test_a_too_long_location_is_refused(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor
) -> None:
    model = stock.models(supervisor)[0]
    with pytest.raises(ValidationError, match="不能超过 32 个字") as err:
        stock.receive(supervisor, model.product_id, [imei(1)], location="库" * 33)
    assert err.value.field == "存放位置" and not _devices(hall, [imei(1)])


def test_a_file_changed_after_the_check_imports_nothing(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    code = handset_codes(hall)[0]
    path = write_csv(tmp_path / "到货.csv", [(imei(n), code, "") for n in range(3)])
    accepted = stock.check_file(supervisor, path)
    write_csv(path, [(imei(n), code, "") for n in range(5)])  # edited after the check
    total = _count(hall)
    with pytest.raises(ValidationError, match="与确认时的检查结果不同") as err:
        stock.import_file(supervisor, path, accepted=accepted)
    assert err.value.field == "导入文件" and _count(hall) == total
    again = stock.check_file(supervisor, path)
    assert stock.import_file(supervisor, path, accepted=again).imported == 5


def test_the_same_counts_with_two_units_swapped_between_models_import_nothing(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    # Rows, valid rows and the count per model all stay the same; only which unit is which
    # model changed: the digest of the valid rows tells it.
    a, b = handset_codes(hall)[:2]
    path = write_csv(tmp_path / "到货.csv", [(imei(1), a, ""), (imei(2), b, "")])
    accepted = stock.check_file(supervisor, path)
    write_csv(path, [(imei(1), b, ""), (imei(2), a, "")])
    assert stock.check_file(supervisor, path).per_model == accepted.per_model
    total = _count(hall)
    with pytest.raises(ValidationError, match="串号或型号已不同") as err:
        stock.import_file(supervisor, path, accepted=accepted)
    assert err.value.field == "导入文件" and _count(hall) == total
    assert not _audits(hall, "stock.import")


def test_the_digest_is_that_of_the_valid_rows(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    code = handset_codes(hall)[0]
    rows = [(imei(1), code, ""), (wrong_digit(imei(2)), code, ""), (imei(3), code, "")]
    first = stock.check_file(supervisor, write_csv(tmp_path / "a.csv", rows))
    # The same valid units, a different note and a different bad row: the same digest.
    other = [(imei(1), code, "箱 7"), ("123", code, ""), (imei(3), code, "")]
    assert stock.check_file(supervisor, write_csv(tmp_path / "b.csv", other)).digest == (
        first.digest
    )
    swapped = [(imei(1), code, ""), (imei(4), code, ""), (imei(3), code, "")]
    assert stock.check_file(supervisor, write_csv(tmp_path / "c.csv", swapped)).digest != (
        first.digest
    )


def test_a_workbook_saved_under_a_csv_name_is_read_as_a_workbook(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    code = handset_codes(hall)[0]
    book = write_xlsx(tmp_path / "到货.xlsx", [(imei(n), code, "") for n in range(1, 4)])
    path = book.rename(tmp_path / "到货.csv")
    accepted = stock.check_file(supervisor, path)
    assert (accepted.rows_total, accepted.valid) == (3, 3)
    assert stock.import_file(supervisor, path, accepted=accepted).imported == 3
    assert len(_devices(hall, [imei(n) for n in range(1, 4)])) == 3


@pytest.mark.parametrize(
    "name, members, says",
    [
        ("到货.xlsx", {"word/document.xml": b"<w/>"}, "这是 Word 文档，不是 .xlsx 表格"),
        ("到货.zip", {"到货/a.csv": b"IMEI\n"}, "这是一个压缩包（zip），不是 .xlsx 表格"),
        ("到货.xlsx", {"xl/workbook.xml": b"<not-closed", "[Content_Types].xml": b"<"}, "无法"),
    ],
)
def test_a_zip_that_is_no_readable_workbook_says_what_it_is(
    stock: HandsetStockService,
    supervisor: Actor,
    tmp_path: Path,
    name: str,
    members: dict[str, bytes],
    says: str,
) -> None:
    import zipfile

    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        for member, data in members.items():
            z.writestr(member, data)
    with pytest.raises(ValidationError) as err:
        stock.check_file(supervisor, path)
    assert err.value.field == "导入文件"
    assert err.value.message.startswith(f"{name}：") and says in err.value.message


# -- the type code (TAC): an IMEI's first 8 digits name its model ------------------------------
def _tac_case(hall: HallApp, stock: HandsetStockService, supervisor: Actor) -> tuple[str, ...]:
    """A TAC in the demo stock, a product of its model in another colour or storage (if any),
    and a product of another model: (tac, same-model product code, other-model product code)."""
    old = stocked_imei(hall)
    with hall.db.read() as s:
        owner = s.scalars(select(Device.product_id).where(Device.imei == old)).one()
    models = stock.models(supervisor)
    mine = next(m for m in models if m.product_id == owner)
    same = next(
        (m for m in models if (m.brand, m.model) == (mine.brand, mine.model) and m is not mine),
        mine,
    )
    other = next(m for m in models if (m.brand, m.model) != (mine.brand, mine.model))
    return (
        old[:8],
        same.code,
        other.code,
        f"{mine.brand} {mine.model}",
        f"{other.brand} {other.model}",
    )


def test_an_imei_of_another_models_tac_is_refused_when_scanned_and_received(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor
) -> None:
    tac, same, other, family, other_family = _tac_case(hall, stock, supervisor)
    ids = {m.code: m.product_id for m in stock.models(supervisor)}
    wrong = imei(901, tac)
    with pytest.raises(ValidationError) as refused:
        stock.check_imei(supervisor, wrong, (), ids[other])
    assert refused.value.field == "IMEI"
    assert refused.value.message.startswith(f"型号核准码（TAC，前 8 位）{tac} ")
    assert f"属于 {family}，不是 {other_family}" in refused.value.message
    total = _count(hall)
    with pytest.raises(ValidationError) as refused:
        stock.receive(supervisor, ids[other], [imei(902), wrong])
    assert refused.value.message.startswith(f"第 2 条 {wrong}：型号核准码")
    assert _count(hall) == total  # nothing half-saved
    # its own model (another colour or storage shares the TAC) and a TAC never seen are fine
    assert stock.check_imei(supervisor, wrong, (), ids[same]) == wrong
    assert stock.check_imei(supervisor, imei(903), (), ids[other]) == imei(903)
    assert stock.receive(supervisor, ids[same], [wrong]).count == 1


def test_a_delivery_row_of_another_models_tac_is_refused_by_row(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    tac, same, other, family, _other_family = _tac_case(hall, stock, supervisor)
    path = write_csv(
        tmp_path / "到货.csv",
        [(imei(911, tac), other, ""), (imei(912, tac), same, ""), (imei(913), other, "")],
    )
    report = stock.check_file(supervisor, path)
    assert report.valid == 2 and [(e.row_no, e.field) for e in report.errors] == [(2, "IMEI")]
    assert f"属于 {family}" in report.errors[0].message
    done = stock.import_file(supervisor, path, accepted=report)
    assert done.imported == 2
    assert {u.imei for u in _devices(hall, [imei(911, tac), imei(912, tac), imei(913)])} == {
        imei(912, tac),
        imei(913),
    }
