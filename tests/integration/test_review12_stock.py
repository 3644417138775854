"""Review of issue 12: receiving stock (each test fails on main)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Device
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.stock import HandsetStockService
from tests.conftest import FakeClock
from tests.stock_fixtures import handset_codes, imei, write_csv


@pytest.fixture
def stock(hall: HallApp, clock: FakeClock) -> HandsetStockService:
    return HandsetStockService(hall.db, clock)


def test_an_edited_file_with_the_same_counts_imports_nothing(
    hall: HallApp, stock: HandsetStockService, supervisor: Actor, tmp_path: Path
) -> None:
    # "What the clerk accepted is what goes in" (commit 55d9631): the file is edited after the
    # check, one IMEI replaced by another valid one of the same model. The counts compared by
    # import_file(accepted=…) are the same, so units the clerk never saw are received.
    code = handset_codes(hall)[0]
    path = write_csv(tmp_path / "到货.csv", [(imei(n), code, "") for n in range(3)])
    accepted = stock.check_file(supervisor, path)
    write_csv(path, [(imei(n), code, "") for n in (0, 1, 777)])  # row 4 now another unit
    try:
        stock.import_file(supervisor, path, accepted=accepted)
    except HallError:
        pass
    with hall.db.read() as s:
        got = set(s.scalars(select(Device.imei).where(Device.imei == imei(777))))
    assert not got, "a unit that was not in the checked file was received"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "name, members",
    [
        ("到货.xlsx", {"readme.txt": b"not a workbook"}),
        ("到货.docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
        ("到货.zip", {"a.csv": b"IMEI,\xe5\x9e\x8b\xe5\x8f\xb7\xe7\xbc\x96\xe7\xa0\x81\n"}),
    ],
)
def test_a_zip_that_is_no_workbook_is_a_clear_error(
    stock: HandsetStockService,
    supervisor: Actor,
    tmp_path: Path,
    name: str,
    members: dict[str, bytes],
) -> None:
    path = _zip(tmp_path / name, members)
    with pytest.raises(HallError) as err:
        stock.check_file(supervisor, path)
    assert path.name in str(err.value)


def test_a_utf16_csv_is_a_clear_error(
    stock: HandsetStockService, supervisor: Actor, tmp_path: Path, hall: HallApp
) -> None:
    # Excel's "Unicode text" export: UTF-16 with a BOM. The NUL bytes say "binary"; fine, as long
    # as it is a HallError naming the file.
    code = handset_codes(hall)[0]
    path = tmp_path / "到货.csv"
    path.write_text(f"IMEI\t型号编码\r\n{imei(5)}\t{code}\r\n", encoding="utf-16")
    with pytest.raises(HallError) as err:
        stock.check_file(supervisor, path)
    assert path.name in str(err.value)


def test_a_nul_byte_late_in_a_csv_is_a_clear_error(
    stock: HandsetStockService, supervisor: Actor, tmp_path: Path, hall: HallApp
) -> None:
    code = handset_codes(hall)[0]
    path = write_csv(tmp_path / "到货.csv", [(imei(n), code, "x" * 200) for n in range(100)])
    with path.open("ab") as f:
        f.write(imei(999).encode() + b"," + code.encode() + b",\x00\r\n")
    try:
        report = stock.check_file(supervisor, path)
    except HallError:
        return
    assert report.rows_total == 101


def test_a_workbook_saved_under_a_csv_name_is_read_or_clearly_refused(
    stock: HandsetStockService, supervisor: Actor, tmp_path: Path, hall: HallApp
) -> None:
    from tests.stock_fixtures import write_xlsx

    code = handset_codes(hall)[0]
    book = write_xlsx(tmp_path / "到货.xlsx", [(imei(n), code, "") for n in range(2)])
    path = book.rename(tmp_path / "到货.csv")
    try:
        report = stock.check_file(supervisor, path)
    except HallError as err:
        assert path.name in str(err)
        return
    assert report.valid == 2
