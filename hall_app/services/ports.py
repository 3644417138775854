"""What the services ask of the central database, as business methods. The adapter over the
live link (``hall_app.db.central_claims.LinkedCentral``) holds the SQL; tests pass a fake.

A method raises ``Offline`` when the central database can not be reached (the counter then
works on its own leases) and a typed ``HallError`` when the central database refuses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Table

from hall_app.config import BusinessRules
from hall_app.db.central import Undoable
from hall_app.domain.billing import BillTake
from hall_app.domain.enums import EquipmentStatus

MirrorRows = list[tuple[Table, dict[str, Any]]]


class CentralClaims(Protocol):
    @property
    def online(self) -> bool:
        """The link is believed up (a call may still find it down)."""
        ...

    def claim_number_and_sim(
        self, number: str, iccid: str, counter_id: uuid.UUID, now: datetime
    ) -> MirrorRows:
        """The number (reserved for or leased to the counter) becomes assigned and the SIM
        taken, at the central database. Returns the SIM as it was, with its parents, for a
        counter that never had it."""
        ...

    def claim_sim(self, iccid: str, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        """The SIM alone (补换卡: in stock and free to the counter) becomes assigned at the
        central database. Refused (ValidationError, field ICCID) when another window took it.
        Returns the SIM as it was, with its parents."""
        ...

    def claim_fixed_line(
        self,
        slot_id: uuid.UUID | None,
        landline: str | None,
        gear: Sequence[tuple[str, EquipmentStatus]],
        counter_id: uuid.UUID,
        now: datetime,
        *,
        lead_hours: int = BusinessRules.install_lead_hours,
    ) -> MirrorRows:
        """In one transaction: a place in the install slot (refused with ``SlotFull`` when it
        filled meanwhile), the landline number (reserved for or leased to the counter) and each
        modem or router (in stock and free to the counter) becoming lent or sold. Returns the
        rows as they were before, with their parents, for the counter to mirror."""
        ...

    def claim_device(self, imei: str, counter_id: uuid.UUID, now: datetime) -> MirrorRows:
        """The handset (in stock or back in stock after a return, and free to the counter:
        not leased to another) becomes sold to this counter at the central database, by one
        conditional UPDATE, so two counters never sell the same IMEI. Refused with a
        ``ValidationError`` (field IMEI) naming why. Returns the unit as it was before, with
        its parents, for a counter that never had it."""
        ...

    def claim_bills(
        self, bills: Sequence[BillTake], counter_id: uuid.UUID, now: datetime
    ) -> MirrorRows:
        """缴费: each bill, still unpaid and paid exactly what the counter found paid on it,
        becomes paid what this payment makes it, by one conditional UPDATE each (all or none),
        so two windows never take the same bill. Refused (ValidationError, field 账单) when one
        was paid meanwhile. A bill the central database does not hold is left alone."""
        ...

    def release_claim(self, claim: Undoable) -> None:
        """Give back a claim whose order failed (only that very claim: its stamp)."""
        ...

    def claim_slot(
        self,
        slot_id: uuid.UUID,
        counter_id: uuid.UUID,
        now: datetime,
        *,
        lead_hours: int = BusinessRules.install_lead_hours,
    ) -> MirrorRows:
        """One place of the install slot, booked at the central database (never past its
        capacity; refused within the lead time or while another counter leases the slot).
        Raises ``SlotFull`` when it has no room. Returns the slot as booked, to mirror."""
        ...

    def release_slot(self, slot_id: uuid.UUID, counter_id: uuid.UUID, now: datetime) -> None:
        """Give one place of the slot back at the central database (never below zero)."""
        ...

    def free_slots(
        self,
        hall_id: uuid.UUID,
        community: str,
        first: date,
        last: date,
        earliest: datetime,
        counter_id: uuid.UUID,
    ) -> list[dict[str, Any]]:
        """The central database's slots with room (``free_slots_stmt``), less those another
        counter holds on lease: the rows (id, day, window, starts_at, ends_at, capacity,
        booked, team_name)."""
        ...
