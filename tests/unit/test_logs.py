"""Log lines are redacted: an ID or mobile number in a message, an exception's text or its
traceback reaches the log masked."""

from __future__ import annotations

import io
import logging

from hall_app.logs import RedactingFormatter, RedactingStream, redact_handlers

ID_NUMBER = "35010219880515123X"
PHONE = "13805910001"


def test_message_and_traceback_are_redacted() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.redact")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        redact_handlers(logger, "%(levelname)s %(message)s")
        assert isinstance(handler.formatter, RedactingFormatter)
        try:
            raise KeyError(f"no customer {ID_NUMBER}")
        except KeyError:
            logger.exception("lookup of %s failed", PHONE)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    out = stream.getvalue()
    assert "Traceback" in out and "KeyError" in out
    assert "138****0001" in out and "3501**********123X" in out
    assert ID_NUMBER not in out and PHONE not in out


def test_a_number_written_in_pieces_is_redacted_whole() -> None:
    """The command line's stream masks a line, not each write: a number printed in two
    pieces (``print(a, b, sep="")``, a progress bar) is still masked."""
    target = io.StringIO()
    stream = RedactingStream(target)
    stream.write(f"证件 {ID_NUMBER[:9]}")
    stream.write(f"{ID_NUMBER[9:]} 电话 {PHONE[:5]}")
    assert target.getvalue() == ""  # nothing until the line ends
    stream.write(f"{PHONE[5:]}\n进度 {PHONE}")
    stream.flush()  # the unfinished line at a flush
    assert target.getvalue() == "证件 3501**********123X 电话 138****0001\n进度 138****0001"
