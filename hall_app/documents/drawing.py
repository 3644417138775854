"""Small drawing helpers shared by the layouts."""

from __future__ import annotations

import re

import barcode
import segno
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas


def code128(c: Canvas, x: float, y: float, data: str, width: float, height: float) -> None:
    """A Code128 barcode: python-barcode encodes, reportlab draws the bars."""
    modules = barcode.get("code128", data).build()[0]
    bar = width / len(modules)
    c.saveState()
    c.setFillColorRGB(0, 0, 0)
    run_start = None
    for i, module in enumerate(modules + "0"):
        if module == "1" and run_start is None:
            run_start = i
        elif module != "1" and run_start is not None:
            c.rect(x + run_start * bar, y, (i - run_start) * bar, height, stroke=0, fill=1)
            run_start = None
    c.restoreState()


def qr_code(c: Canvas, x: float, y: float, size: float, data: str) -> None:
    """A QR code: segno encodes (fast), reportlab draws one rectangle per run of dark modules."""
    matrix = segno.make(data, error="m", micro=False).matrix
    quiet = 2
    cell = size / (len(matrix) + 2 * quiet)
    c.saveState()
    c.setFillColorRGB(0, 0, 0)
    for row_no, row in enumerate(matrix):
        top = y + size - (row_no + quiet + 1) * cell
        start = None
        for col, dark in enumerate((*row, 0)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                c.rect(
                    x + (start + quiet) * cell, top, (col - start) * cell, cell, stroke=0, fill=1
                )
                start = None
    c.restoreState()


def reprint_stamp(
    c: Canvas, font: str, x: float, y: float, copy_no: int, label: str | None = None
) -> None:
    """A red 重打 stamp with the copy number (or ``label``, e.g. the Z report's)."""
    c.saveState()
    c.setStrokeColorRGB(0.8, 0.1, 0.1)
    c.setFillColorRGB(0.8, 0.1, 0.1)
    c.setLineWidth(1.5)
    label = label or f"重打 第{copy_no}次"
    c.setFont(font, 12)
    width = c.stringWidth(label, font, 12) + 12
    c.roundRect(x, y, width, 22, 4, stroke=1, fill=0)
    c.drawString(x + 6, y + 7, label)
    c.restoreState()


# Runs kept whole at a line break (amounts, numbers, Latin words), and punctuation that must
# not begin a line (禁则).
_UNBREAKABLE = re.compile(r"[A-Za-z0-9¥.,%:/\-]+|.", re.DOTALL)
_NO_LINE_START = set("，。、；：！？）》」』”’%")
_NO_LINE_END = set("（《「『“‘")


def wrap_text(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``max_width`` points: between Chinese
    characters, never inside a number or a Latin word, never before closing punctuation nor
    after opening punctuation."""
    if stringWidth(text, font, size) <= max_width:  # most lines: measured once, not per token
        return [text]
    lines: list[str] = []
    line = ""
    for token in _UNBREAKABLE.findall(text):
        candidate = line + token
        if (
            not line
            or stringWidth(candidate, font, size) <= max_width
            or (token[0] in _NO_LINE_START)
        ):
            line = candidate
            continue
        carried = ""
        while len(line) > 1 and line[-1] in _NO_LINE_END:  # （ goes down with what it opens
            line, carried = line[:-1], line[-1] + carried
        lines.append(line)
        line = carried + token
    if line or not lines:
        lines.append(line)
    return lines
