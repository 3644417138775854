"""Two clerks at two windows give the same new card to two numbers at the same instant: the
central claim (``LinkedCentral.claim_sim``, one conditional UPDATE) lets exactly one win; the
other is told in Chinese (field ICCID) and its counter saved nothing: no order, its number
still on its old card, the card not taken there. On SQLite (the central database a SQLite file,
each counter its own) and on PostgreSQL (the central database; three synced counters)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from hall_app.db.engine import Database, make_engine
from hall_app.db.models import Hall as HallRow
from hall_app.db.models import InvoiceSegment, Order, SimCard, Subscription
from hall_app.domain.enums import OrderType, PaymentMethod, SimStatus
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.sim_swap import SimSwapRequest
from tests.conftest import FakeClock
from tests.integration.test_handset_race import _in_threads
from tests.integration.test_sync_resources import Hall
from tests.integration.test_sync_resources import hall as hall  # the PostgreSQL fixture
from tests.sim_cancel_helpers import SIGNED, Mobile, iccid, mobile, new_sim


def _request(app: HallApp, clerk: Actor, sub: Mobile, card: str) -> SimSwapRequest:
    quote = app.sim_swaps.quote_sim_swap(clerk, sub.id, card)
    return SimSwapRequest(
        subscription_id=sub.id,
        iccid=card,
        face_checked_by="HK-FR-200",
        id_verified=True,
        payments=(PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen),),
        signature_png=SIGNED,
        terms_text=quote.terms,
    )


def _swaps(app: HallApp) -> int:
    with app.db.read() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.order_type == OrderType.SIM_REPLACEMENT)
            )
            or 0
        )


def race(
    apps: dict[str, HallApp], clerks: dict[str, Actor], subs: dict[str, Mobile], card: str
) -> str:
    """Both windows at once; the winner's code. Asserts the loser saved nothing."""
    reqs = {c: _request(apps[c], clerks[c], subs[c], card) for c in apps}
    before = {c: _swaps(app) for c, app in apps.items()}

    def work(code: str) -> str:
        apps[code].sim_swaps.replace_sim(clerks[code], reqs[code])
        return code

    got = _in_threads([lambda c=c: work(c) for c in apps])  # type: ignore[misc]
    winners = [g for g in got if g in apps]
    assert len(winners) == 1, got
    (loser,) = [c for c in apps if c != winners[0]]
    (lost,) = [g for g in got if g not in apps]
    field, message = lost.split("|", 1)
    assert field == "ICCID" and "这张卡已使用" in message and card in message, got
    with apps[loser].db.read() as s:
        assert s.get_one(Subscription, subs[loser].id).sim_id == subs[loser].sim_id
        status = s.scalar(select(SimCard.status).where(SimCard.iccid == card))
        assert status in (None, SimStatus.IN_STOCK)  # never mirrored, or as it was
    assert _swaps(apps[loser]) == before[loser]
    with apps[winners[0]].db.read() as s:
        new_id = s.scalar(select(SimCard.id).where(SimCard.iccid == card))
        assert s.get_one(Subscription, subs[winners[0]].id).sim_id == new_id
    assert _swaps(apps[winners[0]]) == before[winners[0]] + 1
    return winners[0]


def _lease_invoice_blocks(
    apps: dict[str, HallApp], clerks: dict[str, Actor], clock: FakeClock
) -> None:
    """The invoice block a morning round would have leased each window."""
    for c, app in apps.items():
        with app.db.unit_of_work() as s:
            shared = s.scalars(
                select(InvoiceSegment).where(InvoiceSegment.counter_id.is_(None)).limit(1)
            ).one()
            first = shared.next_seq + (0 if c == "01" else 500)
            s.add(InvoiceSegment(
                hall_id=shared.hall_id, counter_id=clerks[c].counter_id,
                year2=shared.year2, province_code=shared.province_code, channel=shared.channel,
                first_seq=first, last_seq=first + 499, next_seq=first,
                created_at=clock(), updated_at=clock(),
            ))  # fmt: skip


def test_the_same_new_card_goes_to_one_number_on_sqlite(
    demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    central = tmp_path / "central.sqlite3"
    shutil.copyfile(demo_template, central)
    at_centre = build_app(Settings.load(env={}, db_url=f"sqlite:///{central}"), clock=clock)
    try:  # the numbers and the cards, made once and in every database alike
        clerk = at_centre.auth.log_in("clerk1", "hall1234")
        subs = [
            (mobile(at_centre, clerk, 2 * i), mobile(at_centre, clerk, 2 * i + 1)) for i in range(3)
        ]
        cards = [new_sim(at_centre, 700 + i) for i in range(3)]
    finally:
        at_centre.close()
    apps: dict[str, HallApp] = {}
    try:
        for code in ("01", "02"):
            path = tmp_path / f"counter-{code}.sqlite3"
            shutil.copyfile(central, path)
            env = {"HALL_CENTRAL_URL": f"sqlite:///{central}", "HALL_COUNTER": code}
            apps[code] = build_app(Settings.load(env=env, db_url=f"sqlite:///{path}"), clock=clock)
        clerks = {c: app.auth.log_in("clerk1", "hall1234") for c, app in apps.items()}
        _lease_invoice_blocks(apps, clerks, clock)
        for (a, b), card in zip(subs, cards, strict=True):
            race(apps, clerks, {"01": a, "02": b}, card)
        centre = Database(make_engine(f"sqlite:///{central}"))
        try:
            with centre.read() as s:
                taken = s.execute(
                    select(SimCard.status, SimCard.taken_by_counter_id).where(
                        SimCard.iccid.in_(cards)
                    )
                ).all()
        finally:
            centre.dispose()
        assert {SimStatus(x) for x, _ in taken} == {SimStatus.ASSIGNED}
        assert {h for _, h in taken} <= {clerks["01"].counter_id, clerks["02"].counter_id}
    finally:
        for app in apps.values():
            app.close()


@pytest.mark.postgres
def test_the_same_new_card_goes_to_one_number_on_postgresql(hall: Hall) -> None:
    apps = {c: hall.apps[c] for c in ("01", "02")}
    clerks = {c: hall.clerk(c) for c in apps}
    with hall.central.connect() as conn:
        hall_id = conn.scalars(select(HallRow.id)).first()
    won = set()
    for n in range(4):
        card = iccid(900 + n)
        with hall.central.begin() as conn:  # delivered centrally, on nobody's lease
            conn.execute(
                insert(SimCard).values(
                    id=uuid.uuid4(), iccid=card, imsi=f"46005{9_000_000_000 + n:010d}",
                    status=SimStatus.IN_STOCK, hall_id=hall_id,
                    created_at=hall.clock(), updated_at=hall.clock(),
                )
            )  # fmt: skip
        subs = {
            "01": mobile(apps["01"], clerks["01"], 2 * n),
            "02": mobile(apps["02"], clerks["02"], 2 * n + 1),
        }
        winner = race(apps, clerks, subs, card)
        won.add(winner)
        with hall.central.connect() as conn:
            status, holder = conn.execute(
                select(SimCard.status, SimCard.taken_by_counter_id).where(SimCard.iccid == card)
            ).one()
        assert status == "assigned" and holder == hall.counter_id(winner)
    assert won <= {"01", "02"}
