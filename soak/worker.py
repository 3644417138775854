"""One order-taking process of the soak: ``python -m soak.worker --db URL --keys FILE``.

It takes orders of every kind in a loop (a mobile number opened, a broadband install with a
modem lent and a slot booked, a handset sold outright or on instalments, a bill paid, a
top-up), each prepared as the screens prepare it (the number reserved, the price
quoted) and completed through the services, and tells its parent on stdout what it is doing:

    READY                      set up; the parent may kill it from now on
    B kind                     an order (with its preparation) begins
    W                          the first write of a database transaction
    C                          the transaction commits
    c                          it has committed (or rolled back: ``r``)
    E kind order_no            the order is complete (committed)
    X kind ErrorClass message  a typed HallError (what a clerk would see)
    R kind ErrorClass message  anything else (a bug: the soak fails)
    END                        ``--seconds`` ran out

Each line is written with one ``os.write`` so a kill never leaves half a line but the last.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from hall_app.app import HallApp, build_app
from hall_app.clock import business_date
from hall_app.config import Settings
from hall_app.db import crypto
from hall_app.domain.enums import (
    CreditOutcome,
    EquipmentMode,
    FaceCheckMethod,
    PaymentMethod,
    SaleMode,
    SubscriptionKind,
)
from hall_app.domain.errors import HallError
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.bill_plan import BillPaymentRequest
from hall_app.services.fixed_line import EquipmentChoice, FixedInstallRequest
from hall_app.services.handsets import HandsetSaleRequest
from hall_app.services.numbers import NumberFilter
from hall_app.services.orders import OpenMobileRequest
from hall_app.services.top_up import TopUpRequest

KINDS = ("mobile", "broadband", "handset", "installment", "bill", "top_up")
PASSWORD = "hall1234"
# Candidates are drawn from the first few of each list, so processes sharing a database (or
# counters sharing a central one) go for the same number, SIM, handset and bill.
CONTEND = 6
MONTHLY_FEN = 50_000  # what an instalment sale finances a month at most (the limit is 800.00)


def say(line: str) -> None:
    os.write(1, (line.replace("\n", " ") + "\n").encode())


def signature_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (110, 70), (160, 20), (220, 65)], "black", 3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class Tracer:
    """Reports each write transaction's first write, its commit and its end."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self) -> None:
        self.writing = False

    def install(self, hall: HallApp) -> None:
        event.listen(hall.db.engine, "before_cursor_execute", self._statement)
        event.listen(hall.db.engine, "commit", self._commit)
        event.listen(Session, "after_commit", self._committed)
        event.listen(Session, "after_rollback", self._rolled_back)

    def _statement(self, _conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if not self.writing and statement.lstrip()[:7].upper().startswith(self.WRITES):
            self.writing = True
            say("W")

    def _commit(self, _conn: Any) -> None:
        if self.writing:
            say("C")

    def _committed(self, _session: Session) -> None:
        if self.writing:
            self.writing = False
            say("c")

    def _rolled_back(self, _session: Session) -> None:
        if self.writing:
            self.writing = False
            say("r")


class Orders:
    """Prepares and completes one order of a kind, as the screens would."""

    def __init__(self, hall: HallApp, clerk: Actor, rng: random.Random) -> None:
        self.hall = hall
        self.clerk = clerk
        self.rng = rng
        self.png = signature_png()
        # Units (IMEI, ICCID, modem serial, bill id) of a refused order: another window sold,
        # took or paid them, and this counter's copy may show them open until a pull; not
        # picked again.
        self.refused: set[str] = set()
        self.picked: list[str] = []  # the units the order under way goes for

    def refuse(self) -> None:
        """The order under way was refused: its units are not picked again."""
        self.refused.update(self.picked)

    def _unleased(self, column: str) -> str:
        """Stock not leased to another counter (a synced counter sells its own leases too)."""
        mine = self.clerk.counter_id
        return f"({column} IS NULL OR {column} = '{mine.hex}')" if mine else f"{column} IS NULL"

    def _pick(self, sql: str, *, unit: bool = False, **params: Any) -> Any:
        """One of the first ``CONTEND`` rows; with ``unit``, its first column a unit not
        refused before, remembered as the order's."""
        limit = CONTEND + (len(self.refused) if unit else 0)
        with self.hall.db.connect() as conn:
            rows = conn.execute(text(sql + f" LIMIT {limit}"), params).all()
        if unit:
            rows = [r for r in rows if str(r[0]) not in self.refused][:CONTEND]
        row = self.rng.choice(rows) if rows else None
        if unit and row is not None:
            self.picked.append(str(row[0]))
        return row

    def mobile(self) -> str | None:
        customer = self._pick(
            "SELECT id FROM customers WHERE kind = 'individual' AND guardian_id IS NULL "
            "AND birth_date < '2000-01-01' AND id NOT IN "
            "(SELECT customer_id FROM subscriptions WHERE kind = 'mobile') "
            "ORDER BY abs(random()) % 97"  # a handful of customers, a different one each time
        )
        sim = self._pick(
            "SELECT iccid FROM sim_cards WHERE status = 'in_stock' "
            f"AND {self._unleased('lease_counter_id')} ORDER BY iccid",
            unit=True,
        )
        numbers = self.hall.numbers.find_numbers(self.clerk, NumberFilter(tier_code=""))
        if customer is None or sim is None or not numbers:
            return None
        number = self.rng.choice(numbers[:CONTEND]).number
        self.hall.numbers.reserve_number(self.clerk, number)
        due = self.hall.orders.quote(self.clerk, number, "5G129", ("VAS_RING",)).total_fen
        req = OpenMobileRequest(
            customer_id=uuid.UUID(str(customer[0])),
            number=number,
            plan_code="5G129",
            iccid=sim[0],
            addon_codes=("VAS_RING",),
            payments=(PaymentInput(PaymentMethod.CASH, due, tendered_fen=due + 3_000),),
            face_check=FaceCheckMethod.DEVICE,
            face_checked_by="HK-FR-200",
        )
        return self.hall.orders.open_mobile_number(self.clerk, req).order_no

    def handset(self) -> str | None:
        unit = self._pick(
            "SELECT d.imei, d.product_id FROM devices d JOIN products p ON p.id = d.product_id "
            "WHERE d.status IN ('in_stock', 'returned') "
            f"AND {self._unleased('d.lease_counter_id')} AND p.active ORDER BY d.imei",
            unit=True,
        )
        customer = self._pick(
            "SELECT id FROM customers WHERE kind = 'individual' AND guardian_id IS NULL "
            "AND birth_date < '2000-01-01' ORDER BY abs(random()) % 97"
        )
        if unit is None or customer is None:
            return None
        req = HandsetSaleRequest(
            customer_id=uuid.UUID(str(customer[0])),
            product_id=uuid.UUID(str(unit[1])),
            imei=unit[0],
            mode=SaleMode.OUTRIGHT,
            payments=(),
        )
        quote = self.hall.handsets.quote(self.clerk, req)
        cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen)
        sale = HandsetSaleRequest(
            customer_id=req.customer_id,
            product_id=req.product_id,
            imei=req.imei,
            mode=req.mode,
            payments=(cash,),
            terms_text=quote.terms,
            signature_png=self.png,
        )
        return self.hall.handsets.sell(self.clerk, sale).order_no

    def broadband(self) -> str | None:
        """A broadband install: a covered community an installer team serves, a plan its
        lines carry, an optical modem lent on deposit, the earliest free slot, priced and
        signed, paid in cash."""
        area = self._pick(
            "SELECT community, max_down_mbps FROM coverage_areas WHERE active "
            "AND community IN (SELECT community FROM team_areas) ORDER BY community"
        )
        modem = self._pick(
            "SELECT e.serial FROM equipment e JOIN products p ON p.id = e.product_id "
            "WHERE e.status = 'in_stock' AND p.name LIKE '%光猫%' "
            f"AND {self._unleased('e.lease_counter_id')} ORDER BY e.serial",
            unit=True,
        )
        customer = self._adult()
        if area is None or modem is None or customer is None:
            return None
        community, top = str(area[0]), int(area[1])
        slots = self.hall.slots.free_slots(self.clerk, community)
        plans = self.hall.fixed_line.plans(self.clerk, SubscriptionKind.BROADBAND, top)
        if not slots or not plans:
            return None
        n = self.rng.randrange(1, 30)
        req = FixedInstallRequest(
            customer_id=customer,
            address=f"福州市鼓楼区{community}{n}号楼{n % 6 + 1}0{n % 4 + 1}",
            slot_id=self.rng.choice(slots[:CONTEND]).slot_id,
            contact_name="王先生",
            contact_phone=f"139{self.rng.randrange(10**8):08d}",
            payments=(),
            broadband_plan_code=self.rng.choice(plans).code,
            equipment=(EquipmentChoice(modem[0], EquipmentMode.DEPOSIT),),
        )
        quote = self.hall.fixed_line.quote(self.clerk, req)
        cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen)
        done = self.hall.fixed_line.install(
            self.clerk,
            replace(req, payments=(cash,), terms_text=quote.terms, signature_png=self.png),
        )
        return done.order_no

    def installment(self) -> str | None:
        """A handset on instalments: a unit with an installment offer valid today, a credit
        assessment approved (as the wizard asks before the sale; up to three customers
        tried), the down payment in cash."""
        today = business_date(self.hall.clock()).isoformat()
        unit = self._pick(
            "SELECT d.imei, d.product_id, o.id, o.min_down_payment_pct, p.price_fen, o.months "
            "FROM devices d JOIN products p ON p.id = d.product_id "
            "JOIN handset_offers o ON o.product_id = p.id AND o.kind = 'installment' "
            "AND o.active AND o.valid_from <= :today "
            "AND (o.valid_to IS NULL OR o.valid_to >= :today) "
            "WHERE d.status IN ('in_stock', 'returned') "
            f"AND {self._unleased('d.lease_counter_id')} AND p.active ORDER BY d.imei",
            unit=True,
            today=today,
        )
        if unit is None:
            return None
        imei, product_id, offer_id = unit[0], uuid.UUID(str(unit[1])), uuid.UUID(str(unit[2]))
        price, months = int(unit[4]), int(unit[5])
        # at least the offer's share, and enough that the instalments stay within the
        # monthly limit (beyond it the credit check refers the sale to a supervisor)
        down = max(-(-price * int(unit[3]) // 100), price - MONTHLY_FEN * months)
        down = -(-down // 100) * 100  # whole yuan
        if down >= price:
            return None
        for _ in range(3):
            customer = self._adult(no_contract=True)
            if customer is None:
                return None
            credit = self.hall.handsets.assess_credit(
                self.clerk, customer, product_id, offer_id, down
            )
            if credit.outcome is CreditOutcome.APPROVED:
                break
        else:
            return None
        req = HandsetSaleRequest(
            customer_id=customer,
            product_id=product_id,
            imei=imei,
            mode=SaleMode.INSTALLMENT,
            payments=(),
            offer_id=offer_id,
            down_payment_fen=down,
            credit_assessment_id=credit.assessment_id,
        )
        quote = self.hall.handsets.quote(self.clerk, req)
        cash = PaymentInput(PaymentMethod.CASH, quote.total_fen, tendered_fen=quote.total_fen)
        sale = replace(req, payments=(cash,), terms_text=quote.terms, signature_png=self.png)
        return self.hall.handsets.sell(self.clerk, sale).order_no

    def _adult(self, no_contract: bool = False) -> uuid.UUID | None:
        """An adult individual customer, a different one each time (``no_contract``: with no
        installment contract yet)."""
        none_yet = (
            "AND id NOT IN (SELECT customer_id FROM installment_contracts) "
            "AND id NOT IN (SELECT customer_id FROM bills WHERE status != 'paid') "
            "AND id NOT IN (SELECT customer_id FROM subscriptions WHERE balance_fen < 0) "
            "AND id IN (SELECT customer_id FROM subscriptions WHERE status = 'active') "
            if no_contract
            else ""
        )
        row = self._pick(
            "SELECT id FROM customers WHERE kind = 'individual' AND guardian_id IS NULL "
            f"AND birth_date < '2000-01-01' {none_yet}ORDER BY abs(random()) % 97"
        )
        return None if row is None else uuid.UUID(str(row[0]))

    def bill(self) -> str | None:
        bill = self._pick(  # a bill refused once was paid by another window: not again
            "SELECT b.id, b.customer_id FROM bills b WHERE b.status IN ('unpaid', 'partly_paid') "
            "ORDER BY b.due_date, b.id",
            unit=True,
        )
        if bill is None:
            return None
        bill_id, customer_id = (uuid.UUID(str(v)) for v in bill)
        ask = BillPaymentRequest(customer_id, bill_ids=(bill_id,))
        due = self.hall.bills.quote_bill_payment(self.clerk, ask)
        cash = PaymentInput(PaymentMethod.CASH, due.total_fen, tendered_fen=due.total_fen)
        paid = BillPaymentRequest(customer_id, payments=(cash,), bill_ids=(bill_id,))
        return self.hall.bills.pay_bills(self.clerk, paid).order_no

    def top_up(self) -> str | None:
        sub = self._pick(
            "SELECT service_number FROM subscriptions WHERE kind = 'mobile' "
            "AND status = 'active' ORDER BY abs(random()) % 97"
        )
        if sub is None:
            return None
        amount = self.rng.choice((5_000, 10_000, 20_000))
        pay = (PaymentInput(PaymentMethod.CASH, amount, tendered_fen=amount),)
        return self.hall.top_up.top_up(self.clerk, TopUpRequest(sub[0], amount, pay)).order_no


def run(hall: HallApp, user: str, kinds: tuple[str, ...], seed: int, seconds: float) -> None:
    clerk = hall.auth.log_in(user, PASSWORD)
    orders = Orders(hall, clerk, random.Random(seed))
    steps: dict[str, Callable[[], str | None]] = {k: getattr(orders, k) for k in kinds}
    deadline = time.monotonic() + seconds if seconds > 0 else None
    say("READY")
    while deadline is None or time.monotonic() < deadline:
        kind = orders.rng.choice(kinds)
        say(f"B {kind}")
        orders.picked.clear()
        try:
            order_no = steps[kind]()
        except HallError as exc:
            orders.refuse()
            say(f"X {kind} {type(exc).__name__} {exc}")
        except Exception as exc:  # a bug: reported, and the loop goes on
            say(f"R {kind} {type(exc).__name__} {exc}")
        else:
            say(f"E {kind} {order_no}" if order_no else f"N {kind}")  # N: no candidate left
    say("END")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soak.worker")
    parser.add_argument("--db", required=True, help="the counter's database URL")
    parser.add_argument("--keys", required=True, type=Path, help="the data keys (JSON)")
    parser.add_argument("--user", default="clerk1")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=0, help="0: until killed")
    parser.add_argument("--central", default="", help="the central database URL (synced)")
    parser.add_argument("--counter", default="", help="the window code (synced)")
    args = parser.parse_args(argv)
    crypto.install(crypto.DataKeys.from_json(args.keys.read_text()))
    env = {"HALL_CENTRAL_URL": args.central, "HALL_COUNTER": args.counter} if args.central else {}
    hall = build_app(Settings.load(env=env, db_url=args.db))
    tracer = Tracer()
    tracer.install(hall)
    try:
        run(hall, args.user, tuple(args.kinds.split(",")), args.seed, args.seconds)
    finally:
        hall.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
