"""Walk of issue 14: on the signed 业务受理单 the customer's signature is drawn as an opaque white
box (the pad's PNG is RGB, so mask="auto" masks nothing) 18 mm high whose top reaches above the
last line of the terms: on the 携号转网 form the signature blanks out the middle of clause 4
(本人确认为该号码的实名登记机主本人，所提供证件真实有效).
The signature must stay below the terms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from reportlab.pdfgen.canvas import Canvas

from hall_app.documents.data import OrderDocument
from hall_app.documents.layouts import render_acceptance

TERMS = (
    "1. 本人申请为号码 153****2085 办理携号转网（转出）资格查询并获取授权码。\n"
    "2. 授权码自生成之时起 72 小时内有效，仅用于向转入方运营商申请携号转网。\n"
    "3. 携号转网完成后，本号码在本公司的套餐、增值业务和积分终止。\n"
    "4. 本人确认为该号码的实名登记机主本人，所提供证件真实有效。"
)


def _signature() -> bytes:
    """What the pad gives: cropped to the strokes (taller than 55:18), black on white RGB."""
    image = QImage(240, 160, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(QPen(QColor("black"), 3))
    painter.drawLine(8, 150, 120, 8)
    painter.drawLine(120, 8, 232, 150)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(data.data())


def test_the_signature_stays_below_the_last_line_of_the_terms(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts: list[tuple[float, str]] = []
    images: list[tuple[float, float]] = []
    draw_string, draw_image = Canvas.drawString, Canvas.drawImage

    def spy_string(self: Canvas, x: float, y: float, text: str, *a: Any, **k: Any) -> Any:
        texts.append((y, text))
        return draw_string(self, x, y, text, *a, **k)

    def spy_image(self: Canvas, image: Any, x: float, y: float, *a: Any, **k: Any) -> Any:
        images.append((y, y + float(k.get("height", a[1] if len(a) > 1 else 0))))
        return draw_image(self, image, x, y, *a, **k)

    monkeypatch.setattr(Canvas, "drawString", spy_string)
    monkeypatch.setattr(Canvas, "drawImage", spy_image)
    doc = OrderDocument(
        hall_name="福州鼓楼五四路营业厅",
        hall_address="福建省福州市鼓楼区五四路 128 号",
        counter_name="1号窗口",
        clerk_name="林晓燕",
        clerk_no="FZ0001",
        order_no="SL20261202010001",
        order_type="携号转网授权",
        created_at=datetime(2026, 12, 1, 20, 17, tzinfo=UTC),
        customer_name="陈颖",
        customer_id_masked="3505**********8027",
        customer_phone_masked="153****2085",
        service_number_masked="153****2085",
        plan_name="5G 畅享 59 元套餐",
        lines=(),
        payments=(),
        total_fen=0,
        terms=TERMS,
        signature_png=_signature(),
        invoice=None,
        copy_no=1,
    )
    assert render_acceptance(doc).startswith(b"%PDF")
    [(_bottom, top)] = images
    last = min(y for y, text in texts if "所提供证件真实有效" in text)
    # a 9 pt line's descenders go about 2 pt below its baseline: the signature must not reach it
    assert top <= last - 2, f"signature top {top:.1f} pt over the terms' last line at {last:.1f} pt"
