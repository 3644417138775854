"""The lane a thread works on. The screens run reads on a lane of their own (``query`` in
ui/ops.py) beside the single writer (``mutate``); on the read lane the database refuses any
INSERT, UPDATE or DELETE (hall_app/db/engine.py), so a write submitted as a read is a bug found
at its first statement, not a write that runs unannounced beside the writer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lane = threading.local()


class WriteOnReadLane(RuntimeError):
    """A write was attempted by work submitted as a read: a bug, never a clerk's mistake."""


@contextmanager
def reads_only() -> Iterator[None]:
    """Within this block, on this thread, the database takes reads only."""
    previous = getattr(_lane, "reads_only", False)
    _lane.reads_only = True
    try:
        yield
    finally:
        _lane.reads_only = previous


def on_read_lane() -> bool:
    return bool(getattr(_lane, "reads_only", False))
