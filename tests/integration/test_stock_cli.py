"""``hall-app import handsets FILE [--yes]``: the same per-row report as the dialog, a dry run
without --yes, exit code 1 when any row has an error."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select

import main as entry
from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Device
from tests.stock_fixtures import handset_codes, imei, stocked_imei, write_csv, wrong_digit


def _count(hall: HallApp) -> int:
    with hall.db.read() as s:
        return s.scalar(select(func.count()).select_from(Device)) or 0


def test_dry_run_prints_every_bad_row_and_imports_nothing(
    hall: HallApp, demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = handset_codes(hall)[0]
    old = stocked_imei(hall)
    path = write_csv(
        tmp_path / "到货.csv",
        [
            (imei(1), code, ""),
            (wrong_digit(imei(2)), code, ""),
            (old, code, ""),
            (imei(1), code, ""),
        ],
        encoding="gbk",
    )
    total = _count(hall)
    assert entry.main(["--db", demo_url, "import", "handsets", str(path), "--quiet"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.split()[:3] == ["3", wrong_digit(imei(2)), "IMEI"] for line in lines)
    assert any("校验位错误" in line for line in lines)
    assert any(line.split()[:2] == ["4", old] and "已入库" in line for line in lines)
    assert any(line.split()[:2] == ["5", imei(1)] and "与第 2 行重复" in line for line in lines)
    assert "共 4 行：有效 1 行，有误 3 行" in out and "试运行，未导入" in out
    assert _count(hall) == total


def test_yes_imports_the_valid_rows_and_exits_1_when_some_were_bad(
    hall: HallApp, demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = handset_codes(hall)[0]
    path = write_csv(
        tmp_path / "到货.csv", [(imei(1), code, ""), (imei(2), code, ""), ("123", code, "")]
    )
    total = _count(hall)
    assert entry.main(["--db", demo_url, "import", "handsets", str(path), "--yes", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"已导入 2 台（{code} 2 台），未导入有误的 1 行" in out
    assert _count(hall) == total + 2
    with hall.db.read() as s:
        entry_row = s.scalars(select(AuditEntry).where(AuditEntry.action == "stock.import")).one()
        assert entry_row.actor_name == "stockimport" and entry_row.staff_id is None


def test_a_clean_file_exits_0_and_a_malformed_one_names_the_column(
    hall: HallApp, demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = handset_codes(hall)[0]
    clean = write_csv(tmp_path / "ok.csv", [(imei(5), code, "")], encoding="utf-8-sig")
    assert entry.main(["--db", demo_url, "import", "handsets", str(clean), "--quiet"]) == 0
    assert "全部数据行检查通过" in capsys.readouterr().out
    bad = write_csv(tmp_path / "bad.csv", [("x", "y")], header=("串", "型号编码"))
    assert entry.main(["--db", demo_url, "import", "handsets", str(bad), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "错误：IMEI：bad.csv：缺少“IMEI”列" in err


def width(text: str) -> int:
    """Terminal columns, counted here and not by the code under test: a wide character two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_the_report_columns_line_up_by_display_width_next_to_chinese(
    hall: HallApp, demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = handset_codes(hall)[0]
    path = write_csv(
        tmp_path / "到货.csv", [(wrong_digit(imei(6)), code, ""), (imei(7), "NO_SUCH", "")]
    )
    assert entry.main(["--db", demo_url, "import", "handsets", str(path), "--quiet"]) == 1
    lines = capsys.readouterr().out.splitlines()
    rows = [lines[0], *(line for line in lines if imei(7) in line or "校验位" in line)]
    assert len(rows) == 3 and "型号编码" in rows[2]
    # where the 说明 column starts, in terminal columns (a Chinese character takes two)
    words = ("说明", "校验位", "没有")
    starts = [width(line[: line.index(w)]) for line, w in zip(rows, words, strict=True)]
    assert starts[0] == starts[1] == starts[2]
