"""The demo's scanner: each scan "holds" a free test SIM (or modem, or router) of the hall from
stock under the scanner, so the 开户 wizard's SIM page and the broadband wizard's equipment
page can be tried without the device in hand. Each scan takes
another card of the first few free ones; an opened number uses its card up, so the next
scans never return it. Deterministic for a given database."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import or_, select

from hall_app.db.engine import Database
from hall_app.db.models import Equipment, Product, SimCard
from hall_app.devices.id_reader import DeviceError
from hall_app.domain.enums import EquipmentStatus, ProductKind, SimStatus

ROTATION = 25  # scans go round the first free cards, so a second scan shows another card


class DemoSimScanner:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._scans = 0
        self._lock = threading.Lock()

    def scan_sim(self, hall_id: uuid.UUID, counter_id: uuid.UUID | None) -> str:
        with self._lock:
            turn = self._scans % ROTATION
            self._scans += 1
        free = (
            select(SimCard.iccid)
            .where(
                SimCard.hall_id == hall_id,
                SimCard.status == SimStatus.IN_STOCK,
                or_(SimCard.lease_counter_id.is_(None), SimCard.lease_counter_id == counter_id),
            )
            .order_by(SimCard.iccid)
        )
        with self._db.read() as session:
            iccid = session.scalar(free.offset(turn).limit(1)) or session.scalar(free.limit(1))
        if iccid is None:
            raise DeviceError("扫码失败：库存中没有本厅可用的 SIM 卡", "扫码枪")
        return iccid

    def scan_equipment(self, hall_id: uuid.UUID, counter_id: uuid.UUID | None, kind: str) -> str:
        """A free modem (``kind`` 光猫) or router (路由器) of the hall's stock."""
        with self._lock:
            turn = self._scans % ROTATION
            self._scans += 1
        named = Product.name.contains(kind)
        free = (
            select(Equipment.serial)
            .join(Product, Product.id == Equipment.product_id)
            .where(
                Equipment.hall_id == hall_id,
                Equipment.status == EquipmentStatus.IN_STOCK,
                Product.kind == ProductKind.EQUIPMENT,
                named if kind == "光猫" else ~Product.name.contains("光猫"),
                or_(Equipment.lease_counter_id.is_(None), Equipment.lease_counter_id == counter_id),
            )
            .order_by(Equipment.serial)
        )
        with self._db.read() as session:
            serial = session.scalar(free.offset(turn).limit(1)) or session.scalar(free.limit(1))
        if serial is None:
            raise DeviceError(f"扫码失败：库存中没有本厅可用的{kind}", "扫码枪")
        return serial
