"""Log output with personal data masked: whatever a message, an exception's text or a
traceback carries, an ID number or a mobile number reaches a log file masked
(hall_app.domain.masking.redact). SQL parameters are hidden by the engines themselves. The
command line's output goes through the same redaction (``redacted_output``)."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import TextIO

from hall_app.domain.masking import redact


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line (message, traceback, stack) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def redact_handlers(logger: logging.Logger, fmt: str) -> None:
    """Give each of the logger's handlers a redacting formatter with ``fmt``."""
    for handler in logger.handlers:
        handler.setFormatter(RedactingFormatter(fmt))


class RedactingStream(io.TextIOBase):
    """A text stream that hands ``target`` each line redacted: the command line's stdout and
    stderr (an error's text, a rejected import row, a traceback). A line is written once
    whole (or at a flush), so a number split over two writes is still masked."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        head, newline, rest = self._pending.rpartition("\n")
        if newline:
            self._target.write(redact(head + newline))
            self._pending = rest
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target.write(redact(self._pending))
            self._pending = ""
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._target.encoding


@contextmanager
def redacted_output() -> Iterator[None]:
    """While inside, whatever is printed to ``sys.stdout`` or ``sys.stderr`` is redacted."""
    out, err = RedactingStream(sys.stdout), RedactingStream(sys.stderr)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            yield
    finally:
        out.flush()
        err.flush()
