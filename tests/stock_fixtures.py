"""Handset delivery files and IMEIs for the stock tests (service, CLI and dialog)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import Device, Product
from hall_app.domain.enums import ProductKind
from hall_app.domain.telecom import luhn_check_digit


def imei(serial: int, tac: str = "35209900") -> str:
    """A valid IMEI (Luhn check digit) the demo stock never uses (its TACs start 86)."""
    body = f"{tac}{serial:06d}"
    return body + luhn_check_digit(body)


def wrong_digit(value: str) -> str:
    return value[:14] + str((int(value[14]) + 1) % 10)


def handset_codes(hall: HallApp) -> list[str]:
    with hall.db.read() as s:
        return list(
            s.scalars(
                select(Product.code)
                .where(Product.kind == ProductKind.HANDSET, Product.active)
                .order_by(Product.code)
            )
        )


def plan_code(hall: HallApp) -> str:
    with hall.db.read() as s:
        return s.scalars(
            select(Product.code).where(Product.kind == ProductKind.MOBILE_PLAN).limit(1)
        ).one()


def stocked_imei(hall: HallApp) -> str:
    """An IMEI already a unit in the demo stock."""
    with hall.db.read() as s:
        return s.scalars(select(Device.imei).order_by(Device.imei).limit(1)).one()


def write_csv(
    path: Path,
    rows: Iterable[Sequence[str]],
    *,
    encoding: str = "utf-8",
    header: Sequence[str] = ("IMEI", "型号编码", "备注"),
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        f.write(",".join(header) + "\r\n")
        for row in rows:
            f.write(",".join(row) + "\r\n")
    return path


def write_xlsx(path: Path, rows: Iterable[Sequence[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("到货清单")
    sheet.append(["IMEI", "型号编码", "备注"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path
