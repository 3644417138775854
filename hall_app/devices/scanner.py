"""Barcode scanners (扫码枪). A real one is a keyboard: it types the code and Enter into the
focused field, and the app needs no code for it. A scanner the app drives itself (the demo's,
or one on a serial port) implements this interface, and the screen types what it returns as
keystrokes and Enter, exactly as a keyboard scanner would."""

from __future__ import annotations

import uuid
from typing import Protocol, runtime_checkable


class SimScanner(Protocol):
    def scan_sim(self, hall_id: uuid.UUID, counter_id: uuid.UUID | None) -> str:
        """The ICCID on the SIM card under the scanner, or raise ``DeviceError``."""
        ...


@runtime_checkable
class EquipmentScanner(Protocol):
    def scan_equipment(self, hall_id: uuid.UUID, counter_id: uuid.UUID | None, kind: str) -> str:
        """The serial on the modem (``kind`` 光猫) or router (路由器) under the scanner, or
        raise ``DeviceError``."""
        ...


@runtime_checkable
class DeviceScanner(Protocol):
    def scan_device(
        self, hall_id: uuid.UUID, counter_id: uuid.UUID | None, product_id: uuid.UUID
    ) -> str:
        """The IMEI on the handset (of the model ``product_id``) under the scanner, or raise
        ``DeviceError``."""
        ...
