"""Is this scanned SIM usable? One check for every order that takes a new SIM (开户, 补换卡):
a valid ICCID (Luhn), known to the stock, in stock, and (at a synced counter) not leased to
another window; offline only a card leased to this window. Asked of the central database when
the link is up (the hall's stock is central), else of the counter's own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall_app.db.central import LEASE_MARGIN, CentralLink, Offline
from hall_app.db.engine import Database
from hall_app.db.models import SimCard
from hall_app.domain.enums import SimStatus
from hall_app.domain.errors import ValidationError
from hall_app.domain.telecom import parse_iccid

ICCID_FIELD = "ICCID"


@dataclass(frozen=True)
class SimView:
    iccid: str
    imsi: str


def check_scanned_sim(
    db: Database,
    link: CentralLink | None,
    counter_id: uuid.UUID | None,
    now: datetime,
    scanned: str,
    what: str,
) -> SimView:
    """The scanned card, refused in Chinese (field ICCID) when it can not be used for ``what``
    (开户, 补换卡 …). ``link``: the configured central link, None for a standalone counter."""
    iccid = parse_iccid(scanned).value
    if link is not None and counter_id is not None:
        try:
            return link.run(
                lambda central: sim_in_stock(
                    central, iccid, counter_id, now, what, synced=True, central=True
                )
            )
        except Offline:
            pass
    with db.read() as session:
        return sim_in_stock(
            session, iccid, counter_id, now, what, synced=link is not None, central=False
        )


def sim_in_stock(
    session: Session,
    iccid: str,
    counter_id: uuid.UUID | None,
    now: datetime,
    what: str,
    *,
    synced: bool,
    central: bool,
) -> SimView:
    """``synced``: the counter works with a central database; ``central``: ``session`` is the
    central database."""
    at_centre = central
    sim = session.scalars(select(SimCard).where(SimCard.iccid == iccid)).one_or_none()
    if sim is None:
        raise ValidationError(f"库存中没有 ICCID {iccid} 的卡，请核对或换一张", ICCID_FIELD)
    if sim.status is not SimStatus.IN_STOCK:
        raise ValidationError(f"这张卡{sim.status.label}，不能再用于{what}", ICCID_FIELD)
    if synced and counter_id is not None:
        if at_centre:  # leases run by the central clock there
            now = session.execute(select(func.now())).scalar_one()
        running = sim.lease_until is not None and sim.lease_until >= now
        if at_centre and running and sim.lease_counter_id != counter_id:
            raise ValidationError("这张卡已租给其他窗口离线销售，请换一张", ICCID_FIELD)
        usable = sim.lease_until is not None and sim.lease_until >= now + LEASE_MARGIN
        if not at_centre and not (usable and sim.lease_counter_id == counter_id):
            raise ValidationError("离线时只能使用本窗口租用的卡，这张卡不在其中", ICCID_FIELD)
    return SimView(sim.iccid, sim.imsi)
