"""The queue daily report from a script: ``hall-app report daily`` on a small demo database,
its PDF read back with pdftotext and its workbook with openpyxl, figures held against the
service's own report; the charts drawn with Chinese; an empty day says so."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from hall_app.app import HallApp
from hall_app.cli import main
from hall_app.documents.charts import CHARTS, figure_png, setup_cjk_font
from hall_app.domain.queue_report import fmt_duration, fmt_pct
from hall_app.services.actor import Actor

HISTORY_DAY = date(2026, 11, 23)  # the demo's history (DEMO_DAYS before its today)


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_cli_pdf_holds_the_days_figures(
    demo_url: str,
    hall: HallApp,
    supervisor: Actor,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = hall.reports.day(supervisor, HISTORY_DAY)
    assert expected.total.arrivals > 0
    out = tmp_path / "daily.pdf"
    assert (
        main(["--db", demo_url, "report", "daily", "--date", "2026-11-23", "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert f"取号 {expected.total.arrivals} 张" in printed and str(out) in printed
    text = pdf_text(out)
    flat = " ".join(text.split())
    t = expected.total
    assert f"{supervisor.hall_name} 排队日报" in flat and "日期：2026-11-23" in flat
    assert f"取号 {t.arrivals} 张，完成 {t.served} 张，过号 {t.no_shows} 张" in flat
    assert f"平均等候 {fmt_duration(t.wait_avg_s)}" in flat
    assert f"达标率 {fmt_pct(t.within_target_pct)}" in flat
    for f in expected.by_service:  # a figures row per service type, in the table's order
        row = f"{f.label} {f.arrivals} {f.served} {f.no_shows} {fmt_pct(f.no_show_pct)}"
        assert row in flat, row
    for heading in ("按业务类型", "按营业员", "分时段", "营业员空闲", "业务量"):
        assert heading in flat
    for b in expected.business:
        assert b.label in flat
    # the charts are images in the PDF (four of them)
    images = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True)
    assert len(images.stdout.strip().splitlines()) - 2 == 4


def test_cli_xlsx_reads_back(
    demo_url: str, hall: HallApp, supervisor: Actor, tmp_path: Path
) -> None:
    expected = hall.reports.day(supervisor, HISTORY_DAY, service_code="billing")
    out = tmp_path / "daily.xlsx"
    argv = ["--db", demo_url, "report", "daily", "--date", "2026-11-23", "--out", str(out)]
    assert main([*argv, "--service", "billing"]) == 0
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["指标", "排队明细"]
    figures = [list(r) for r in wb["指标"].iter_rows(values_only=True)]
    assert figures[0][0] == "排队日报 2026-11-23"
    assert figures[1][0] == "筛选：业务类型：B 缴费业务"
    total = next(r for r in figures if r[0] == "全部")
    t = expected.total
    assert total[1:4] == [t.arrivals, t.served, t.no_shows]
    assert total[5] == pytest.approx(t.wait_avg_s, abs=0.1)
    assert total[12:16] == list(t.wait_buckets)
    tickets = list(wb["排队明细"].iter_rows(values_only=True))
    assert tickets[0][:4] == ("排队号", "业务类型", "目标(分钟)", "状态")
    assert len(tickets) - 1 == t.arrivals
    by_no = {r[0]: r for r in tickets[1:]}
    for facts in expected.tickets:
        row = by_no[facts.ticket_no]
        assert row[1] == "缴费业务" and row[3] == facts.status.label
        assert row[8] == (None if facts.wait_s is None else pytest.approx(facts.wait_s, abs=0.1))
    wb.close()


def test_cli_empty_day_and_refusals(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "empty.pdf"
    assert (
        main(["--db", demo_url, "report", "daily", "--date", "2025-06-01", "--out", str(out)]) == 0
    )
    assert "当日无排队记录" in capsys.readouterr().out
    assert "当日无排队记录" in pdf_text(out)
    future = tmp_path / "future.pdf"
    argv = ["--db", demo_url, "report", "daily", "--date", "2099-01-01", "--out", str(future)]
    assert main(argv) == 1
    assert "不能查询未来的日期" in capsys.readouterr().err and not future.exists()
    early = ["--db", demo_url, "report", "daily", "--date", "2024-01-01", "--out", str(future)]
    assert main(early) == 1 and "2025-01-01" in capsys.readouterr().err
    csv = ["--db", demo_url, "report", "daily", "--date", "2026-11-23", "--out", "x.csv"]
    assert main(csv) == 1 and ".pdf 或 .xlsx" in capsys.readouterr().err
    assert list(tmp_path.glob(".*.tmp")) == []


def test_charts_draw_chinese_and_an_empty_day(hall: HallApp, supervisor: Actor) -> None:
    family = setup_cjk_font()
    assert "WenQuanYi" in family or "Hei" in family or "YaHei" in family
    day = hall.reports.day(supervisor, HISTORY_DAY)
    empty = hall.reports.day(supervisor, date(2025, 6, 1))
    for _name, draw in CHARTS:
        for report in (day, empty):
            png = figure_png(draw, report, (400, 240))
            image = Image.open(io.BytesIO(png))
            assert image.size == (400, 240)
            # dark ink drawn on the white background
            extrema = image.convert("L").getextrema()
            assert image.mode == "RGB" and extrema == (extrema[0], 255)
            assert isinstance(extrema[0], int) and extrema[0] < 128
