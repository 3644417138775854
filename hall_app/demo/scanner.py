"""The demo's scanner: each scan "holds" a free test SIM (or modem, router or handset) of the
hall from stock under the scanner, so the 开户 wizard's SIM page, the broadband wizard's
equipment page and the 购机 wizard's IMEI page can be tried without the device in hand. Each
scan takes another card of the first few free ones; an opened number uses its card up, so the
next scans never return it (a handset sold, likewise). Deterministic for a given database."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import or_, select

from hall_app.db.engine import Database
from hall_app.db.models import Device, Equipment, Product, SimCard
from hall_app.devices.id_reader import DeviceError
from hall_app.domain.enums import DeviceStatus, EquipmentStatus, ProductKind, SimStatus

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

    def scan_device(
        self, hall_id: uuid.UUID, counter_id: uuid.UUID | None, product_id: uuid.UUID
    ) -> str:
        """A sellable handset of the model ``product_id`` in the hall's stock (in stock, or
        back from a return), not leased to another counter: its IMEI."""
        with self._lock:
            turn = self._scans % ROTATION
            self._scans += 1
        free = (
            select(Device.imei)
            .where(
                Device.hall_id == hall_id,
                Device.product_id == product_id,
                Device.status.in_([DeviceStatus.IN_STOCK, DeviceStatus.RETURNED]),
                or_(Device.lease_counter_id.is_(None), Device.lease_counter_id == counter_id),
            )
            .order_by(Device.imei)
        )
        with self._db.read() as session:
            imei = session.scalar(free.offset(turn).limit(1)) or session.scalar(free.limit(1))
        if imei is None:
            raise DeviceError("扫码失败：库存中没有本厅可售的该型号手机", "扫码枪")
        return imei
