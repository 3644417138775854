"""Reading a handset delivery file (终端入库文件) row by row: CSV in UTF-8 (with or without a
BOM) or GBK/GB18030, detected, or an ``.xlsx`` sheet (openpyxl, read-only). Columns are found
by their header: ``IMEI``, ``型号编码`` and an optional ``备注``. Nothing here touches the
database; ``hall_app.services.stock`` checks the rows.

The file is streamed: one pass to detect the encoding and count the lines (bytes only), then
the rows one at a time, so a 100,000-row file never sits in memory."""

from __future__ import annotations

import codecs
import csv
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from hall_app.domain.errors import ValidationError

FILE_FIELD: Final = "导入文件"
IMEI_COLUMN: Final = "IMEI"
MODEL_COLUMN: Final = "型号编码"
NOTE_COLUMN: Final = "备注"
# Headers suppliers also write for the same columns.
_ALIASES: Final = {
    "imei": IMEI_COLUMN,
    "imei号": IMEI_COLUMN,
    "串号": IMEI_COLUMN,
    "型号编码": MODEL_COLUMN,
    "型号代码": MODEL_COLUMN,
    "产品编码": MODEL_COLUMN,
    "备注": NOTE_COLUMN,
}
_BLOCK = 1 << 16
_ZIP_MAGIC = b"PK\x03\x04"
_SNIFF = 8192
_ZIP_METHODS: Final = (
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
)


def _xlsx_errors() -> tuple[type[BaseException], ...]:
    """What openpyxl and the zip and XML layers beneath it raise on a file that is a zip but
    no readable workbook (openpyxl's InvalidFileException is a plain Exception, so listed by
    name; XML parse errors of ElementTree and lxml alike are SyntaxErrors; a bad CRC or a
    truncated member is BadZipFile, zlib.error or EOFError; a member whose header bytes say
    encrypted or an unknown compression is RuntimeError or NotImplementedError). openpyxl is
    imported only when a workbook is read: it is slow to import."""
    from openpyxl.utils.exceptions import InvalidFileException

    return (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        OSError,
        SyntaxError,
        RuntimeError,
        NotImplementedError,
        InvalidFileException,
    )


@dataclass(frozen=True, slots=True)
class FileRow:
    """One data row: its number as the clerk sees it in Excel (the header is row 1)."""

    row_no: int
    imei: str
    model_code: str
    note: str


def _cell(value: Any) -> str:
    """A cell as text; an IMEI Excel stored as a number comes back as its digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


class DeliveryFile:
    """Open with ``with DeliveryFile(path) as f:``; ``f.total`` is the number of data lines
    (an estimate for CSV: blank lines included), ``f.rows()`` yields the non-blank rows."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.total = 0
        self.encoding = ""
        self._xlsx = False
        self._closers: list[Any] = []
        self._records: Iterator[tuple[int, list[Any]]] = iter(())
        self._columns: dict[str, int] = {}
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------
    def _bad(self, message: str) -> ValidationError:
        return ValidationError(f"{self.name}：{message}", FILE_FIELD)

    def _open(self) -> None:
        try:
            with self.path.open("rb") as raw:
                head = raw.read(_SNIFF)
        except FileNotFoundError:
            raise self._bad("文件不存在") from None
        except IsADirectoryError:
            raise self._bad("这是一个文件夹，不是文件") from None
        except OSError as exc:
            raise self._bad(f"无法读取文件（{exc.strerror or type(exc).__name__}）") from None
        if not head.strip(b" \t\r\n\xef\xbb\xbf"):
            raise self._bad("文件为空")
        suffix = self.path.suffix.lower()
        if suffix == ".xls" and not head.startswith(_ZIP_MAGIC):
            raise self._bad("不支持旧版 Excel（.xls），请另存为 .xlsx 或 CSV 后再导入")
        if head.startswith(_ZIP_MAGIC):
            self._open_xlsx()
        else:
            if b"\x00" in head:
                raise self._bad("不是文本格式的 CSV 文件，也不是 .xlsx 表格（疑似二进制文件）")
            self._open_csv()
        self._read_header()

    def _open_csv(self) -> None:
        self.encoding, lines = self._detect()
        text = self.path.open(encoding=self.encoding, newline="", errors="strict")
        self._closers.append(text)
        first = text.readline()
        text.seek(0)
        delimiter = "\t" if "\t" in first and "," not in first else ","
        reader = csv.reader(text, delimiter=delimiter)
        self._records = ((n, row) for n, row in enumerate(reader, start=1))
        self.total = max(lines - 1, 0)

    def _detect(self) -> tuple[str, int]:
        """UTF-8 (a BOM tells it; else the whole file must decode) or GB18030 (a superset of
        GBK and GB2312); also counts the lines, in the same pass over the bytes."""
        utf8 = codecs.getincrementaldecoder("utf-8")()
        is_utf8, lines, last = True, 0, b"\n"
        with self.path.open("rb") as raw:
            bom = raw.read(3) == codecs.BOM_UTF8
            raw.seek(0)
            while block := raw.read(_BLOCK):
                lines += block.count(b"\n")
                last = block[-1:]
                if is_utf8:
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:
                        is_utf8 = False
            if is_utf8:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    is_utf8 = False
        if last != b"\n":
            lines += 1
        if bom:
            return "utf-8-sig", lines
        if is_utf8:
            return "utf-8", lines
        gb = codecs.getincrementaldecoder("gb18030")()
        with self.path.open("rb") as raw:
            try:
                while block := raw.read(_BLOCK):
                    gb.decode(block)
                gb.decode(b"", final=True)
            except UnicodeDecodeError:
                raise self._bad("文字编码无法识别（应为 UTF-8 或 GBK）") from None
        return "gb18030", lines

    def _open_xlsx(self) -> None:
        """A zip file: read as a workbook when it is one, whatever its name ends with (Excel's
        workbook saved as 到货.csv is still the supplier's delivery); any other zip (a Word
        document, a zipped folder of CSV files, a broken download) is named and refused."""
        from openpyxl import load_workbook

        self._check_workbook_zip()
        raw = self.path.open("rb")
        self._closers.append(raw)
        try:
            # A file object, not the path: openpyxl would refuse the name's suffix (.csv).
            book = load_workbook(raw, read_only=True, data_only=True)
        except _xlsx_errors() as exc:
            raise self._bad(f"不是有效的 .xlsx 表格，无法打开（{type(exc).__name__}）") from None
        self._closers.insert(0, book)
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise self._bad("表格中没有工作表")
        self.encoding = "xlsx"
        self._xlsx = True
        self.total = max((sheet.max_row or 1) - 1, 0)
        self._records = (
            (n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )

    def _check_workbook_zip(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as archive:
                names = {name.lower() for name in archive.namelist()}
            members = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            detail = type(exc).__name__
            raise self._bad(f"压缩文件已损坏，不是有效的 .xlsx 表格（{detail}）") from None
        if any(m.flag_bits & 0x1 for m in members):  # zipfile raises RuntimeError reading it
            raise self._bad(
                "压缩文件设有密码（已加密），无法读取；请导入未加密的 .xlsx 或 CSV 文件"
            )
        if any(m.compress_type not in _ZIP_METHODS for m in members):  # NotImplementedError
            raise self._bad(
                "压缩方式不受支持，不是 Excel 保存的 .xlsx 表格；请用 Excel 另存后再导入"
            )
        if "xl/workbook.bin" in names:
            raise self._bad("这是二进制 Excel 表格（.xlsb），请另存为 .xlsx 或 CSV 后再导入")
        if any(n.startswith("xl/workbook") for n in names):  # xl/workbook.xml
            return
        advice = "请导入 Excel 表格（.xlsx）或 CSV 文件"
        if any(n.startswith("word/") for n in names):
            kind = "这是 Word 文档"
        elif any(n.startswith("ppt/") for n in names):
            kind = "这是 PowerPoint 演示文稿"
        else:
            kind = "这是一个压缩包（zip）"
            advice = "请先解压，再导入其中的 Excel 表格（.xlsx）或 CSV 文件"
        raise self._bad(f"{kind}，不是 .xlsx 表格；{advice}")

    def _read_header(self) -> None:
        try:
            for _n, row in self._records:
                cells = [_cell(v).lstrip("\ufeff") for v in row]
                if not any(cells):
                    continue  # blank lines before the header
                self._columns = {}
                for i, name in enumerate(cells):
                    column = _ALIASES.get(name.replace(" ", "").lower())
                    if column is not None and column not in self._columns:
                        self._columns[column] = i
                break
            else:
                raise self._bad("文件为空，没有表头和数据")
        except (UnicodeDecodeError, csv.Error) as exc:
            raise self._bad(f"无法按 CSV 读取（{type(exc).__name__}）") from None
        except _xlsx_errors() as exc:
            if not self._xlsx:
                raise
            raise self._bad(f"表格内容已损坏，无法读取（{type(exc).__name__}）") from None
        for column in (IMEI_COLUMN, MODEL_COLUMN):
            if column not in self._columns:
                shown = "、".join(c for c in cells if c)[:60] or "（空）"
                raise ValidationError(
                    f"{self.name}：缺少“{column}”列（表头应含 IMEI、型号编码，可选 备注；"
                    f"文件的表头为：{shown}）",
                    column,
                )

    # -- rows ---------------------------------------------------------------------------------
    def rows(self) -> Iterator[FileRow]:
        imei, model = self._columns[IMEI_COLUMN], self._columns[MODEL_COLUMN]
        note = self._columns.get(NOTE_COLUMN)
        try:
            for n, row in self._records:
                width = len(row)
                values = (
                    _cell(row[imei]) if imei < width else "",
                    _cell(row[model]) if model < width else "",
                    _cell(row[note]) if note is not None and note < width else "",
                )
                if any(values) or any(_cell(v) for v in row):
                    yield FileRow(n, values[0], values[1], values[2])
        except (UnicodeDecodeError, csv.Error) as exc:
            raise self._bad(f"文件在读取中途出错（{type(exc).__name__}）") from None
        except _xlsx_errors() as exc:
            if not self._xlsx:
                raise
            raise self._bad(f"表格在读取中途出错，内容已损坏（{type(exc).__name__}）") from None

    def close(self) -> None:
        for closer in self._closers:
            closer.close()
        self._closers.clear()

    def __enter__(self) -> DeliveryFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_delivery(path: Path | str) -> DeliveryFile:
    return DeliveryFile(Path(path))
