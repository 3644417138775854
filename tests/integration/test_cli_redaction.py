"""What ``hall-app`` commands print shows ID and mobile numbers masked, as the log does: a
clerk-facing error that quotes the input, an argument refused by the parser, a rejected row
of an import file, and the traceback of a bug."""

from __future__ import annotations

from pathlib import Path

import pytest

from hall_app.cli import main
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head

ID_NUMBER = "11010519491231002X"  # the standard's own example
PHONE = "13905917731"


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    return url


def test_a_refused_reference_is_printed_masked(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The work-order lookup's error quotes what was typed: here an ID number pasted by
    mistake."""
    assert main(["--db", url, "workorder", "dispatch", ID_NUMBER]) == 1
    err = capsys.readouterr().err
    assert "没有单号为 1101**********002X 的装机工单或受理单" in err
    assert ID_NUMBER not in err


def test_an_argument_refused_by_the_parser_is_printed_masked(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--db", url, "calendar", "seed", "--years", f"{PHONE}-1"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "年份范围为空：“139****7731-1”" in err
    assert PHONE not in err


def test_a_rejected_import_row_is_printed_masked(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A phone typed into the IMEI column: the row is rejected and its value shown masked."""
    assert main(["--db", url, "demo", "--customers", "20", "--days", "1", "--quiet"]) == 0
    capsys.readouterr()
    delivery = tmp_path / "delivery.csv"
    delivery.write_text(f"IMEI,型号编码\n{PHONE},X\n{ID_NUMBER},X\n", encoding="utf-8")
    assert main(["--db", url, "import", "handsets", str(delivery), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "139****7731" in out and "1101**********002X" in out
    assert PHONE not in out and ID_NUMBER not in out


def test_the_traceback_of_a_bug_is_printed_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database folder that cannot be made (a file is in the way): an OSError that is no
    clerk's error, its traceback printed with the path's phone number masked."""
    (tmp_path / "blocker").write_text("")
    url = f"sqlite:///{tmp_path / 'blocker' / PHONE / 'hall.sqlite3'}"
    assert main(["--db", url, "migrate"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "NotADirectoryError" in err and "139****7731" in err
    assert PHONE not in err
