"""The application's one Qt style sheet (resources/style/hall.qss), applied once at start.

Screens never call ``setStyleSheet``: they name a widget (``setObjectName``) or give it a role
(``set_role(label, "error")``) and the style sheet says how that looks."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from hall_app.resources import read_text, resource_path

STYLE_SHEET = ("style", "hall.qss")
APP_ICON = ("icons", "hall.svg")


def apply_style_sheet(app: QApplication) -> str:
    """Set the shipped style sheet on the whole application; returns it."""
    sheet = read_text(*STYLE_SHEET)
    app.setStyleSheet(sheet)
    return sheet


def set_state(widget: QWidget, name: str, value: str | None) -> None:
    """Set a dynamic property the style sheet selects on, and restyle the widget (Qt does not
    re-read a style sheet when a property changes by itself)."""
    value = value or ""
    if widget.property(name) == value:
        return
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def set_role(widget: QWidget, role: str | None) -> None:
    """How a message reads: "error", "ok", "warn", "muted" (or None for plain text)."""
    set_state(widget, "role", role)


def app_icon() -> QIcon:
    return QIcon(str(resource_path(*APP_ICON)))


def apply_style(app: QApplication) -> None:
    """The style sheet and the window icon, for every window of ``app``."""
    apply_style_sheet(app)
    app.setWindowIcon(app_icon())
