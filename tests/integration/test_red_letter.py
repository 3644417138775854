"""A mistaken invoice is cancelled by a red-letter invoice that refers to it; both keep their
numbers, the numbering stays gap-free, and only a supervisor may do it."""

from __future__ import annotations

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Invoice, InvoiceLine
from hall_app.domain.enums import InvoiceKind, InvoiceStatus
from hall_app.domain.errors import HallError, NotFound, PermissionDenied, ValidationError
from hall_app.domain.money import capital_amount
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.integration.test_open_mobile import _request


def _opened(hall: HallApp, clerk: Actor) -> tuple[str, object]:
    done = hall.orders.open_mobile_number(clerk, _request(hall, clerk))
    assert done.invoice_no is not None
    return done.invoice_no, done.order_id


def test_red_letter_cancels_the_invoice_and_keeps_both_numbers(
    hall: HallApp, clerk: Actor, supervisor: Actor, tmp_path: Path
) -> None:
    blue_no, order_id = _opened(hall, clerk)
    with pytest.raises(PermissionDenied):
        hall.invoices.issue_red_letter(clerk, blue_no, "开错抬头")
    with pytest.raises(ValidationError) as err:
        hall.invoices.issue_red_letter(supervisor, blue_no, " ")
    assert err.value.field == "红冲原因"
    red = hall.invoices.issue_red_letter(supervisor, blue_no, "客户要求重开抬头")
    assert red.original_invoice_no == blue_no and red.total_fen < 0
    assert red.red_invoice_no[:5] == blue_no[:5]
    assert int(red.red_invoice_no[5:]) == int(blue_no[5:]) + 1  # the next number, no gap
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == blue_no)).one()
        red_row = s.scalars(select(Invoice).where(Invoice.invoice_no == red.red_invoice_no)).one()
        assert blue.status is InvoiceStatus.RED_LETTERED and blue.kind is InvoiceKind.BLUE
        assert red_row.kind is InvoiceKind.RED and red_row.original_invoice_id == blue.id
        assert (red_row.total_fen, red_row.amount_fen, red_row.tax_fen) == (
            -blue.total_fen,
            -blue.amount_fen,
            -blue.tax_fen,
        )
        lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == red_row.id)).all()
        assert sum(li.tax_fen for li in lines) == -blue.tax_fen
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "invoice.red_letter")).one()
        assert entry.staff_id == supervisor.staff_id
    with pytest.raises(ValidationError, match="已红冲过"):
        hall.invoices.issue_red_letter(supervisor, blue_no, "再冲一次")
    with pytest.raises(ValidationError, match="红字发票不能再红冲"):
        hall.invoices.issue_red_letter(supervisor, red.red_invoice_no, "冲红票")
    with pytest.raises(NotFound):
        hall.invoices.issue_red_letter(supervisor, "26351000000009999999", "不存在")

    printed = hall.documents.print_document(supervisor, order_id, DocumentKind.RED_INVOICE)  # type: ignore[arg-type]
    path = tmp_path / printed.filename
    path.write_bytes(printed.pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "电子发票（红字发票）" in text and red.red_invoice_no in text
    assert f"被红冲蓝字数电发票号码：{blue_no}" in text
    assert capital_amount(red.total_fen) in text and capital_amount(red.total_fen).startswith("负")
    blue_pdf = hall.documents.print_document(supervisor, order_id, DocumentKind.INVOICE)  # type: ignore[arg-type]
    assert blue_pdf.filename.startswith(blue_no)


def test_two_supervisors_red_lettering_at_once_make_one_red_invoice(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    blue_no, _ = _opened(hall, clerk)
    other = hall.auth.log_in("super2", "hall1234")
    barrier = threading.Barrier(2)

    def red(actor: Actor) -> object:
        barrier.wait()
        try:
            return hall.invoices.issue_red_letter(actor, blue_no, "同时红冲")
        except HallError as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(red, (supervisor, other)))
    refused = [r for r in results if isinstance(r, HallError)]
    assert len(refused) == 1 and "已红冲过" in refused[0].text, results
    with hall.db.read() as s:
        blue = s.scalars(select(Invoice).where(Invoice.invoice_no == blue_no)).one()
        reds = s.scalars(  # the demo data has red-letter invoices of its own (returns)
            select(Invoice).where(
                Invoice.kind == InvoiceKind.RED, Invoice.original_invoice_id == blue.id
            )
        ).all()
        assert len(reds) == 1


def test_a_red_letter_reason_is_kept_whole_or_refused(
    hall: HallApp, clerk: Actor, supervisor: Actor
) -> None:
    """The reason goes into the red invoice's remarks (200 characters with the original's
    number): one too long is refused naming the field, never cut short."""
    blue_no, _ = _opened(hall, clerk)
    with pytest.raises(ValidationError) as err:
        hall.invoices.issue_red_letter(supervisor, blue_no, "因" * 163)
    assert err.value.text == "红冲原因：最多 162 个字，现在 163 个字"
    with hall.db.read() as s:
        assert s.scalars(select(Invoice.status).where(Invoice.invoice_no == blue_no)).one() is (
            InvoiceStatus.ISSUED
        )
    red = hall.invoices.issue_red_letter(supervisor, blue_no, "因" * 162)
    with hall.db.read() as s:  # the ORM opens the sealed remarks
        remarks = (
            s.scalars(select(Invoice).where(Invoice.invoice_no == red.red_invoice_no)).one().remarks
        )
    assert remarks.endswith("红冲原因：" + "因" * 162) and len(remarks) == 200
