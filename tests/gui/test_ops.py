"""The operation helper: reads and writes are distinct, writes announce what changed, and an
unexpected exception always reaches the log and the crash dialog."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from hall_app.app import HallApp
from hall_app.domain.errors import ValidationError
from hall_app.services.actor import Actor
from tests.gui.conftest import ShownMessages
from ui.ops import ChangeEvent, Changes, Operations


def _settle(qtbot: QtBot, ops: Operations) -> None:
    qtbot.waitUntil(lambda: not ops.busy, timeout=5_000)
    ops.wait_idle()


def test_a_write_announces_its_changes_and_a_read_announces_nothing(
    qtbot: QtBot, ops: Operations
) -> None:
    events: list[ChangeEvent] = []
    ops.changed.connect(events.append)
    marker = object()
    ops.query(lambda: 1)
    ops.mutate(
        lambda: "cust-7",
        changes=Changes.CUSTOMER | Changes.ORDERS,
        initiator=marker,
        customer=lambda result: result,
    )
    _settle(qtbot, ops)
    (event,) = events
    assert event.changes == Changes.CUSTOMER | Changes.ORDERS
    assert event.initiator is marker and event.customer_id == "cust-7"
    assert event.touches(Changes.ORDERS) and not event.touches(Changes.QUEUE)


def test_a_failed_write_announces_nothing(qtbot: QtBot, ops: Operations) -> None:
    events: list[ChangeEvent] = []
    errors: list[str] = []
    ops.changed.connect(events.append)

    def refuse() -> None:
        raise ValidationError("太长", "地址")

    ops.mutate(refuse, on_error=lambda exc: errors.append(exc.text), changes=Changes.CUSTOMER)
    _settle(qtbot, ops)
    assert events == [] and errors == ["地址：太长"]


def test_writes_run_one_at_a_time_on_their_own_lane(qtbot: QtBot, ops: Operations) -> None:
    gate = threading.Event()
    order: list[str] = []
    threads: set[str] = set()

    def first() -> None:
        threads.add(threading.current_thread().name)
        gate.wait(5)
        order.append("first")

    def second() -> None:
        threads.add(threading.current_thread().name)
        order.append("second")

    ops.mutate(first, changes=Changes.NONE)
    ops.mutate(second, changes=Changes.NONE)
    assert ops.writing
    ops.query(lambda: order.append("read"))  # a read does not wait behind the writes
    qtbot.waitUntil(lambda: "read" in order, timeout=5_000)
    gate.set()
    _settle(qtbot, ops)
    assert order == ["read", "first", "second"]
    assert len(threads) == 1 and not ops.writing


def test_a_bug_is_never_swallowed_by_an_error_handler(
    qtbot: QtBot, ops: Operations, shown: ShownMessages, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[object] = []
    after: list[int] = []

    def boom() -> None:
        raise KeyError("bug")

    ops.mutate(boom, on_error=handled.append, changes=Changes.QUEUE, always=lambda: after.append(1))
    _settle(qtbot, ops)
    assert handled == []  # only typed HallErrors reach a handler
    assert after == [1]
    ((kind, title, text),) = shown.items
    assert (kind, title) == ("error", "程序错误") and "KeyError" in text
    assert "Traceback" in caplog.text


def test_a_bug_after_its_screen_closed_still_reaches_the_log_and_crash_dialog(
    qtbot: QtBot, ops: Operations, shown: ShownMessages, caplog: pytest.LogCaptureFixture
) -> None:
    screen = QWidget()
    gate = threading.Event()

    def boom() -> None:
        gate.wait(5)
        raise ZeroDivisionError("late bug")

    ops.query(boom, parent=screen)
    screen.deleteLater()
    qtbot.waitUntil(lambda: not _alive_widget(screen), timeout=5_000)
    gate.set()
    _settle(qtbot, ops)
    assert any("ZeroDivisionError: late bug" in text for text in shown.texts())
    assert "late bug" in caplog.text and "Traceback" in caplog.text


def test_a_typed_error_after_its_screen_closed_is_logged_not_shown(
    qtbot: QtBot, ops: Operations, shown: ShownMessages, caplog: pytest.LogCaptureFixture
) -> None:
    screen = QWidget()
    gate = threading.Event()
    handled: list[object] = []

    def refuse() -> None:
        gate.wait(5)
        raise ValidationError("号码已被预占", "号码")

    ops.query(refuse, on_error=handled.append, parent=screen)
    screen.deleteLater()
    qtbot.waitUntil(lambda: not _alive_widget(screen), timeout=5_000)
    gate.set()
    caplog.set_level("INFO")
    _settle(qtbot, ops)
    assert handled == [] and shown.items == []
    assert "号码已被预占" in caplog.text


def _alive_widget(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_a_write_submitted_as_a_read_is_refused_as_a_bug(
    qtbot: QtBot,
    hall: HallApp,
    clerk: Actor,
    ops: Operations,
    shown: ShownMessages,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``query`` is the read lane: a write sent there (here issuing a ticket) is stopped at
    its first INSERT or UPDATE and reported as a bug, instead of running unannounced beside
    the single writer."""
    events: list[ChangeEvent] = []
    ops.changed.connect(events.append)
    ops.query(lambda: hall.queue.issue_ticket(clerk, "general"))
    _settle(qtbot, ops)
    ((kind, title, text),) = shown.items
    assert (kind, title) == ("error", "程序错误") and "WriteOnReadLane" in text
    assert "Traceback" in caplog.text and events == []
    assert _general_waiting(hall, clerk) == 0  # nothing was written
    ops.query(lambda: hall.queue.waiting_counts(clerk))  # reads still run there
    ops.mutate(lambda: hall.queue.issue_ticket(clerk, "general"), changes=Changes.QUEUE)
    _settle(qtbot, ops)
    assert len(shown.items) == 1 and len(events) == 1
    assert _general_waiting(hall, clerk) == 1


def _general_waiting(hall: HallApp, clerk: Actor) -> int:
    (count,) = [c for c in hall.queue.waiting_counts(clerk) if c.service_code == "general"]
    return count.waiting
