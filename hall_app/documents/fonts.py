"""A TrueType CJK font that reportlab can embed (WenQuanYi Micro Hei on Debian; Microsoft YaHei
or SimSun on Windows). CFF-outline fonts such as Noto Sans CJK are refused by reportlab."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from hall_app.domain.errors import HallError

FONT_NAME = "HallCJK"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)


class DocumentError(HallError):
    """A document cannot be produced (no font, no such order)."""


@cache
def cjk_font_path() -> str:
    """The first usable font file (also what the charts draw Chinese with)."""
    override = os.environ.get("HALL_PDF_FONT")
    for path in ((override,) if override else ()) + CANDIDATES:
        if path and Path(path).exists():
            return path
    raise DocumentError(
        "未找到可嵌入的中文字体：请安装 fonts-wqy-microhei（或用 HALL_PDF_FONT 指定 TTF/TTC 文件）",
        "打印字体",
    )


@cache
def register_cjk_font() -> str:
    """Register the first usable font once; returns the reportlab font name."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, cjk_font_path(), subfontIndex=0))
    return FONT_NAME
