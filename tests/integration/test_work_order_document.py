"""The install work order (装机工单) PDF: what the installer needs, read back from the PDF, the
provisional promise, and reprints."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import PrintRecord
from hall_app.domain.enums import OrderType
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.fixed_line_fixtures import ADDRESS, COMMUNITY, make_work_order

SHOTS = os.environ.get("HALL_SHOTS")  # a folder: the document is saved there as PNG too


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _flat(text: str) -> str:
    return "".join(text.split())


def test_the_work_order_holds_what_the_installer_needs(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    built = make_work_order(hall, clerk, landline=True)
    printed = hall.documents.print_document(clerk, built.order_id, DocumentKind.WORK_ORDER)
    assert printed.copy_no == 1 and printed.filename.startswith(built.work_order_no)
    text = _text(printed.pdf, tmp_path, "wo")
    if SHOTS:  # docs/work-order.png comes from a real order: test_fixed_line_documents.py
        png = Path(SHOTS) / "work-order-rows"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "110", "-singlefile", str(tmp_path / "wo.pdf"), str(png)],
            check=True,
        )
    flat = _flat(text)
    assert "装机工单（新装）" in flat
    assert f"工单号：{built.work_order_no}" in flat and f"受理单号：{built.order_no}" in flat
    assert "宽带账号：KD0591" in flat
    assert "林晓峰" in flat and "133****1234" in flat and "13305911234" not in flat
    assert _flat(ADDRESS) in flat and COMMUNITY in flat and "FTTH" in flat
    assert "2026-11-26（周四）上午09:00–12:00" in flat
    assert "承诺装机日期：2026-11-27" in flat and "暂按周一至周五计算" not in flat
    assert "鼓楼装维一班（班长陈师傅）" in flat
    assert "押金借用" in flat and "合约免费借用" in flat and "¥100.00" in flat
    assert "HWTC" in flat and "TPWR" in flat
    for box in ("装维人员签字", "完工时间", "客户签字"):
        assert box in flat
    assert "固话号码：0591-8" in flat


def test_a_provisional_promise_says_so_and_a_reprint_needs_a_reason(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    built = make_work_order(
        hall,
        clerk,
        promised=date(2027, 1, 8),
        window_day=date(2027, 1, 6),
        provisional=True,
        with_equipment=False,
    )
    kind = DocumentKind.WORK_ORDER
    preview = hall.documents.preview_document(clerk, built.order_id, kind)
    assert "2027-01-08（暂按周一至周五计算）" in _flat(_text(preview.pdf, tmp_path, "preview"))
    assert "无（客户自备）" in _flat(_text(preview.pdf, tmp_path, "preview"))
    hall.documents.print_document(clerk, built.order_id, kind)
    with pytest.raises(ValidationError, match="装机工单已打印过"):
        hall.documents.print_document(clerk, built.order_id, kind)
    again = hall.documents.print_document(clerk, built.order_id, kind, "客户改约后重打")
    assert again.copy_no == 2 and "重打第2次" in _flat(_text(again.pdf, tmp_path, "again"))
    with hall.db.read() as s:
        refs = s.scalars(
            select(PrintRecord.document_ref).where(PrintRecord.order_id == built.order_id)
        ).all()
    assert refs == [built.work_order_no, built.work_order_no]


def test_an_order_without_a_work_order_has_no_such_document(hall: HallApp, clerk: Actor) -> None:
    with hall.db.read() as s:
        from hall_app.db.models import Order

        order_id = s.scalars(
            select(Order.id).where(Order.order_type == OrderType.OPEN_MOBILE).limit(1)
        ).one()
    with pytest.raises(ValidationError, match="没有装机工单"):
        hall.documents.preview_document(clerk, order_id, DocumentKind.WORK_ORDER)
