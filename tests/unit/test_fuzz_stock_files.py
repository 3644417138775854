"""Fuzzing the handset delivery file reader (终端入库文件, services/stock_files.py; issue 15
§5 "import rows"): any bytes, any CSV cells in any encoding the reader accepts, any xlsx cells,
a workbook cut short or with bytes changed: only a ``ValidationError`` naming the file or the
column comes out, or rows of text."""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from hall_app.domain.errors import ValidationError
from hall_app.services.stock_files import FileRow, open_delivery
from tests.fuzz_support import ANY_CHAR, CONTROLS, FULL_WIDTH_DIGITS, fuzz, luhn_digits

HEADERS = ["IMEI", "型号编码", "备注", "imei号", "串号", "产品编码", " I M E I ", "\ufeffIMEI", ""]


@contextmanager
def _file(name: str, data: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


def _read(path: Path) -> list[FileRow] | ValidationError:
    try:
        with open_delivery(path) as delivery:
            assert delivery.total >= 0
            rows = list(delivery.rows())
    except ValidationError as exc:
        assert exc.field in ("导入文件", "IMEI", "型号编码") and exc.message
        return exc
    for row in rows:
        assert row.row_no >= 2
        assert all(isinstance(v, str) for v in (row.imei, row.model_code, row.note))
    return rows


cell_text = st.one_of(
    st.text(ANY_CHAR.filter(lambda c: not "\ud800" <= c <= "\udfff"), max_size=30),
    st.text(st.sampled_from('0123456789,"\r\n\t;' + FULL_WIDTH_DIGITS + CONTROLS), max_size=20),
    luhn_digits(15, "35209900"),
    st.sampled_from(["8.6123456789012E+14", "=1+1", "'861234567890123", "HW-P60", "—"]),
)
csv_rows = st.lists(st.lists(cell_text, max_size=5), max_size=8)


@fuzz(100)
@given(st.binary(max_size=600), st.sampled_from(["到货.csv", "到货.xlsx", "到货.xls", "a.txt"]))
@example(b"PK\x03\x04garbage", "到货.xlsx")
@example(b"\xef\xbb\xbf", "到货.csv")
@example(b"\xff\xfe" + "IMEI,型号编码".encode("utf-16-le"), "到货.csv")
@example(b'IMEI,\xe5\x9e\x8b\xe5\x8f\xb7\xe7\xbc\x96\xe7\xa0\x81\n"unterminated', "到货.csv")
def test_any_bytes(data: bytes, name: str) -> None:
    with _file(name, data) as path:
        _read(path)


@fuzz(60)
@given(
    st.lists(st.sampled_from(HEADERS), min_size=1, max_size=4),
    csv_rows,
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    st.sampled_from([",", "\t"]),
)
def test_csv_cells(header: list[str], rows: list[list[str]], encoding: str, sep: str) -> None:
    text = io.StringIO()
    csv.writer(text, delimiter=sep).writerows([header, *rows])
    with _file("到货.csv", text.getvalue().encode(encoding)) as path:
        result = _read(path)
    if isinstance(result, list) and result:
        assert len(result) <= len(rows)


_XLSX_ILLEGAL = set(CONTROLS[:32]) - set("\t\n\r")
xlsx_cell = st.one_of(
    st.none(),
    st.text(
        ANY_CHAR.filter(lambda c: c not in _XLSX_ILLEGAL and not "\ud800" <= c <= "\udfff"),
        max_size=30,
    ),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.datetimes(datetime.datetime(1901, 1, 1), datetime.datetime(9000, 1, 1)),
    st.sampled_from(["=1/0", "=A1", "#N/A"]),
)


def _xlsx(header: list[object], rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("到货清单")
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@fuzz(25)
@given(
    st.lists(st.sampled_from(HEADERS) | xlsx_cell, min_size=1, max_size=4),
    st.lists(st.lists(xlsx_cell, max_size=5), max_size=6),
    st.sampled_from(["到货.xlsx", "到货.csv"]),
)
def test_xlsx_cells(header: list[object], rows: list[list[object]], name: str) -> None:
    with _file(name, _xlsx(header, rows)) as path:
        _read(path)


def _repacked(
    book: bytes, *, flag_bits: int = 0, compress_type: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """The workbook with fixed timestamps (the same bytes every run, so a failing example
    replays), optionally with every member marked encrypted or compressed by another method."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT[\d:]+Z", b"2026-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(item.filename, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    raw = bytearray(out.getvalue())
    if flag_bits or compress_type != zipfile.ZIP_DEFLATED:
        # local headers (PK\3\4: flags at +6, method at +8), central ones (PK\1\2: +8, +10)
        for magic, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = 0
            while (start := raw.find(magic, start)) >= 0:
                raw[start + at : start + at + 2] = flag_bits.to_bytes(2, "little")
                raw[start + at + 2 : start + at + 4] = compress_type.to_bytes(2, "little")
                start += 4
    return bytes(raw)


_GOOD_BOOK = _repacked(_xlsx(["IMEI", "型号编码", "备注"], [[861234567890123, "HW-P60", "x"]] * 5))


_CENTRAL = _GOOD_BOOK.rfind(b"PK\x01\x02")  # the last central header: [Content_Types].xml


def test_an_encrypted_or_oddly_compressed_workbook_is_named() -> None:
    for data, said in (
        (_repacked(_GOOD_BOOK, flag_bits=1), "设有密码"),
        (_repacked(_GOOD_BOOK, compress_type=99), "压缩方式不受支持"),  # AES
        (_repacked(_GOOD_BOOK, compress_type=zipfile.ZIP_BZIP2), "不是有效的 .xlsx"),
    ):
        with _file("到货.xlsx", data) as path:
            result = _read(path)
        assert isinstance(result, ValidationError) and said in result.message, result
    with _file("到货.xlsx", _GOOD_BOOK) as path:
        assert len(_read(path)) == 5  # type: ignore[arg-type]


@fuzz(60)
@given(
    st.integers(0, len(_GOOD_BOOK) - 1),
    st.binary(min_size=0, max_size=8),
    st.booleans(),
)
@example(_CENTRAL + 8, b"\x01", False)  # a member's flags: encrypted (RuntimeError)
@example(_CENTRAL + 10, b"c", False)  # its compression method: 99, AES (NotImplementedError)
@example(_CENTRAL + 8, b"\x01", True)
def test_a_workbook_cut_short_or_with_bytes_changed(at: int, patch: bytes, cut: bool) -> None:
    data = _GOOD_BOOK[:at] if cut else _GOOD_BOOK[:at] + patch + _GOOD_BOOK[at + len(patch) :]
    with _file("到货.xlsx", data) as path:
        _read(path)
