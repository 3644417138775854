"""Demo mode on the screen (HALL_DEMO=1): customers arriving at the kiosk while the app runs,
and the demo SIM scanner that types a free test SIM's ICCID into the SIM page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QShortcut
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from hall_app.clock import Clock
from hall_app.demo.arrivals import Arrived, DemoArrivals
from hall_app.devices.scanner import EquipmentScanner, SimScanner
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.queue import QueueService
from ui.keys import shortcut
from ui.ops import Changes, Operations

log = logging.getLogger("hall.ui.demo")
SIM_SCAN_KEY = "F9"
SIM_SCAN_HINT = "演示模式：按 F9 模拟扫码枪扫描一张本厅库存中的空白 SIM 卡"
GEAR_SCAN_HINT = "演示模式：按 F9 模拟扫码枪扫描光标所在一栏的一台本厅库存设备（光猫或路由器）"


class ArrivalsTimer(QObject):
    """Every 40 to 90 s a demo customer takes a ticket (on the write lane, like the kiosk's);
    the write's announcement (Changes.QUEUE) updates the queue bar. Stops with its parent."""

    def __init__(
        self,
        queue: QueueService,
        clock: Clock,
        actor: Actor,
        ops: Operations,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._arrivals = DemoArrivals(queue, clock)
        self._actor = actor
        self._ops = ops
        self.issued = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.arrive)
        self._timer.start(self._arrivals.first_in_seconds() * 1000)

    @property
    def next_in_ms(self) -> int:
        return self._timer.remainingTime()

    def stop(self) -> None:
        self._timer.stop()

    def arrive(self) -> None:
        arrivals, actor = self._arrivals, self._actor
        self._ops.mutate(
            lambda: arrivals.arrive(actor),
            self._arrived,
            self._refused,
            changes=Changes.QUEUE,
            initiator=self,
        )

    def _arrived(self, arrived: Arrived) -> None:
        if arrived.ticket is not None:
            self.issued += 1
            log.info("demo arrival: ticket %s", arrived.ticket.ticket_no)
        self._timer.start(arrived.next_in_seconds * 1000)

    def _refused(self, exc: HallError) -> None:
        # e.g. the database is busy: the next customer comes a minute later (a bug reaches the
        # log and the crash dialog through the operation helper, and arrivals stop)
        log.warning("demo arrival refused: %s", exc.text)
        self._timer.start(60_000)


def type_as_scanner(field: QLineEdit, text: str) -> None:
    """Type ``text`` and Enter into ``field`` as key events, the way a keyboard scanner does
    (the field sees textEdited and returnPressed as for a real scan)."""
    field.setFocus()
    field.selectAll()  # a scan replaces what the field held
    for char in text:
        key = ord(char.upper()) if char.isascii() and char.isalnum() else 0
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                field, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, char)
            )
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(
            field, QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r")
        )


def add_sim_scan_shortcut(
    page: QWidget,
    field: QLineEdit,
    scanner: SimScanner,
    actor: Actor,
    run: Callable[..., None],
    refuse: Callable[[HallError], bool],
) -> QShortcut:
    """F9 on ``page``: the scanner picks a card (off the GUI thread through ``run``, the
    page's operation helper) and its ICCID is typed into ``field`` with Enter."""

    def scan() -> None:
        run(lambda: scanner.scan_sim(actor.hall_id, actor.counter_id), typed, refuse)

    def typed(iccid: str) -> None:
        type_as_scanner(field, iccid)

    binding = shortcut(page, SIM_SCAN_KEY, scan)
    field.setToolTip(SIM_SCAN_HINT)
    return binding


def add_equipment_scan_shortcut(
    page: QWidget,
    fields: dict[str, tuple[QLineEdit, str]],  # key: (its field, 光猫 or 路由器)
    scanner: EquipmentScanner,
    actor: Actor,
    run: Callable[..., None],
    refuse: Callable[[HallError], bool],
) -> QShortcut:
    """F9 on ``page``: the scanner picks a device of the kind the focused field wants (the
    first field's when none has the focus) and its serial is typed into that field."""

    def scan() -> None:
        field, kind = next(
            (f for f in fields.values() if f[0].hasFocus()), next(iter(fields.values()))
        )
        run(
            lambda: scanner.scan_equipment(actor.hall_id, actor.counter_id, kind),
            lambda serial: type_as_scanner(field, serial),
            refuse,
        )

    binding = shortcut(page, SIM_SCAN_KEY, scan)
    for field, _kind in fields.values():
        field.setToolTip(GEAR_SCAN_HINT)
    return binding
