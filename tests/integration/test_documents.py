"""Receipt, acceptance form and invoice PDFs: Chinese embedded and extractable, the capital
amount, the tax lines, the masked ID; reprints stamped 重打, counted and reasoned."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import AuditEntry, Customer, PrintRecord
from hall_app.domain.errors import ValidationError
from hall_app.domain.masking import mask_id_number
from hall_app.domain.money import capital_amount
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from tests.integration.test_open_mobile import _request


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def opened(hall: HallApp, clerk: Actor):  # type: ignore[no-untyped-def]
    req = _request(hall, clerk, pretty=True)
    from dataclasses import replace

    from hall_app.domain.enums import PaymentMethod
    from hall_app.domain.payments import PaymentInput

    req = replace(
        req,
        payments=(PaymentInput(PaymentMethod.CASH, 56_950, 70_000),),  # ¥500 prepaid + ¥69.50
        terms_text=hall.orders.quote(clerk, req.number, req.plan_code, req.addon_codes).terms,
    )
    return req, hall.orders.open_mobile_number(clerk, req)


def test_receipt(hall: HallApp, clerk: Actor, opened, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    req, done = opened
    printed = hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT)
    text = _text(printed.pdf, tmp_path, "receipt")
    with hall.db.read() as s:
        id_number = s.get_one(Customer, req.customer_id).id_number
    assert id_number and mask_id_number(id_number) in text and id_number not in text
    assert capital_amount(56_950) in text  # 伍佰陆拾玖元伍角整
    assert "¥700.00 / ¥130.50" in text  # tendered / change
    assert done.order_no in text and "林晓燕" in text
    assert "重打" not in text


def test_invoice_has_tax_lines_capitals_and_number(
    hall: HallApp,
    clerk: Actor,
    opened,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    _, done = opened
    printed = hall.documents.print_document(clerk, done.order_id, DocumentKind.INVOICE)
    text = _text(printed.pdf, tmp_path, "invoice")
    assert done.invoice_no in text and "电子发票（普通发票）" in text
    assert "*电信服务*基础电信服务" in text and "*电信服务*增值电信服务" in text
    assert "9%" in text and "6%" in text
    assert capital_amount(done.invoice_total_fen) in text  # 陆拾玖元伍角整
    assert "中国电信股份有限公司福州分公司" in text
    assert "预存" not in text  # the pretty-number prepayment is not invoiced


def test_acceptance_form_masks_the_id_and_shows_terms(
    hall: HallApp,
    clerk: Actor,
    opened,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    req, done = opened
    printed = hall.documents.print_document(clerk, done.order_id, DocumentKind.ACCEPTANCE_FORM)
    text = _text(printed.pdf, tmp_path, "form")
    assert "业务受理单" in text and "在网期限 24 个月" in text and "最低月消费 ¥129.00" in text
    assert req.number not in text  # the new number is masked too
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "form.pdf")], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYiMicroHei" in line]
    assert cjk and cjk[0].split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, unicode


def test_reprints_need_a_reason_and_are_stamped(
    hall: HallApp,
    clerk: Actor,
    opened,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    _, done = opened
    hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT)
    with pytest.raises(ValidationError) as err:
        hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT)
    assert err.value.field == "重打原因"
    again = hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT, "卡纸")
    assert again.copy_no == 2 and "重打 第2次" in _text(again.pdf, tmp_path, "again")
    with hall.db.read() as s:
        records = s.scalars(select(PrintRecord).where(PrintRecord.order_id == done.order_id)).all()
        assert [(r.copy_no, r.reason) for r in records] == [(1, ""), (2, "卡纸")]
        assert s.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "document.reprint")
        ).all() == ["document.reprint"]
