"""Chinese needs a CJK font: detect one at start, use it, and explain plainly when none exists
(in English too, because without the font the Chinese text itself would be empty boxes)."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

PREFERRED = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Source Han Sans SC",
    "SimHei",
    "SimSun",
)

MISSING_FONT_MESSAGE = (
    "No Chinese (CJK) font is installed, so Chinese text would show as empty boxes.\n"
    "Install one and start again:\n"
    "  Debian/Ubuntu: sudo apt-get install fonts-wqy-microhei   (or run: make run)\n"
    "  Windows: Microsoft YaHei ships with Windows; reinstall the Chinese language pack.\n\n"
    "未找到中文字体，中文将显示为方框。请安装中文字体（如 fonts-wqy-microhei）后重新启动。"
)


def chinese_families() -> list[str]:
    return list(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def pick_chinese_font(families: list[str] | None = None) -> str | None:
    """The best installed font for Simplified Chinese, or None when there is none."""
    available = chinese_families() if families is None else families
    for name in PREFERRED:
        if name in available:
            return name
    return available[0] if available else None


def apply_chinese_font(family: str, point_size: int = 11) -> QFont:
    font = QFont(family)
    font.setPointSize(point_size)
    return font
