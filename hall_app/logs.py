"""Log output with personal data masked: whatever a message, an exception's text or a
traceback carries, an ID number or a mobile number reaches a log file masked
(hall_app.domain.masking.redact). SQL parameters are hidden by the engines themselves."""

from __future__ import annotations

import logging

from hall_app.domain.masking import redact


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line (message, traceback, stack) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def redact_handlers(logger: logging.Logger, fmt: str) -> None:
    """Give each of the logger's handlers a redacting formatter with ``fmt``."""
    for handler in logger.handlers:
        handler.setFormatter(RedactingFormatter(fmt))
