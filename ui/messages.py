"""All user-facing messages go through here, so tests can capture them (patch ``_show``)."""

from __future__ import annotations

import logging
import traceback
from enum import StrEnum

from PySide6.QtWidgets import QMessageBox, QWidget

from hall_app.domain.errors import HallError
from hall_app.domain.masking import redact

log = logging.getLogger("hall.ui")
_crashes_shown: set[str] = set()  # crash dialogs open now, by summary


class Kind(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    QUESTION = "question"
    QUESTION_DEFAULT_NO = "question_default_no"  # Enter answers 否: for leaving mid-visit


def _show(kind: Kind, parent: QWidget | None, title: str, text: str) -> bool:
    if kind is Kind.ERROR:
        QMessageBox.critical(parent, title, text)
    elif kind is Kind.WARNING:
        QMessageBox.warning(parent, title, text)
    elif kind in (Kind.QUESTION, Kind.QUESTION_DEFAULT_NO):
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        default = no if kind is Kind.QUESTION_DEFAULT_NO else yes
        answer = QMessageBox.question(parent, title, text, yes | no, default)
        return answer == yes
    else:
        QMessageBox.information(parent, title, text)
    return True


def error(parent: QWidget | None, text: str, title: str = "错误") -> None:
    log.info("error shown: %s", text)
    _show(Kind.ERROR, parent, title, text)


def warning(parent: QWidget | None, text: str, title: str = "提示") -> None:
    _show(Kind.WARNING, parent, title, text)


def info(parent: QWidget | None, text: str, title: str = "信息") -> None:
    _show(Kind.INFO, parent, title, text)


def confirm(parent: QWidget | None, text: str, title: str = "请确认") -> bool:
    return _show(Kind.QUESTION, parent, title, text)


def confirm_default_no(parent: QWidget | None, text: str, title: str = "请确认") -> bool:
    """A question where a stray Enter must not go ahead (quitting in the middle of a visit)."""
    return _show(Kind.QUESTION_DEFAULT_NO, parent, title, text)


def failure(parent: QWidget | None, exc: BaseException) -> None:
    """Show an operation's failure: a clerk-facing message for expected errors, a crash report
    (also logged with its traceback) for anything else."""
    if isinstance(exc, HallError):
        error(parent, exc.text)
        return
    # An exception's text may carry a customer's ID or phone number: masked in both.
    details = redact("".join(traceback.format_exception(exc)))
    log.error("unexpected error:\n%s", details)
    summary = redact(f"{type(exc).__name__}: {exc}")
    if summary in _crashes_shown:  # the same bug again while its dialog is open: logged only
        return
    _crashes_shown.add(summary)
    try:
        error(
            parent,
            f"程序发生了意外错误，本次操作未完成。\n请联系系统管理员，并提供日志中的错误信息。\n\n"
            f"{summary}",
            title="程序错误",
        )
    finally:
        _crashes_shown.discard(summary)
