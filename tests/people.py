"""Tests read customers' personal data opened: the columns are sealed (hall_app.db.crypto), so a
Core query gives ciphertext. These load the ORM rows (opened on load) and filter in Python."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import literal_column, select

from hall_app.app import HallApp
from hall_app.db.models import Customer


def people(hall: HallApp, *where: Any) -> list[Customer]:
    """Every customer matching the (unsealed-column) conditions, opened, in rowid order."""
    with hall.db.read() as s:
        found = list(
            s.scalars(select(Customer).where(*where).order_by(literal_column("customers.rowid")))
        )
        s.expunge_all()
    return found


def person(
    hall: HallApp, test: Callable[[Customer], bool] = lambda c: True, *where: Any
) -> Customer:
    """The first customer for which ``test`` holds."""
    return next(c for c in people(hall, *where) if test(c))
