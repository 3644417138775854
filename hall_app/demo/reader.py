"""The demo's ID-card reader: each read "places" a card on the reader. Most cards belong to
adult customers already in the database; every fourth is a new person, not yet registered,
so the registration screen can be tried too. A read that checks a customer's own card (the
owner's, for 解挂, 补换卡, 资料变更: ``expect_customer_id``) places that customer's card, as the
owner at the counter would. Deterministic for a given database."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import date, timedelta

from sqlalchemy import Executable, select

from hall_app.clock import Clock, business_date
from hall_app.db.crypto import open_value
from hall_app.db.engine import Database
from hall_app.db.models import Customer
from hall_app.demo.people import PeopleFactory
from hall_app.devices.id_reader import DeviceError, IdCardData
from hall_app.domain.enums import CustomerKind, IdDocType

NEW_PERSON_EVERY = 4
CARD_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.gender,
    Customer.birth_date,
    Customer.address,
    Customer.id_number,
)
HAS_CARD = (
    Customer.kind == CustomerKind.INDIVIDUAL,
    Customer.id_doc_type == IdDocType.RESIDENT_ID,
    Customer.birth_date.is_not(None),
    Customer.id_number.is_not(None),
)


def _card(
    name: str, gender: str, birth: date, address: str, number: str, today: date
) -> IdCardData:
    issued = today - timedelta(days=365 * 3 + int(number[-4:-1]) % 300)
    if (issued.month, issued.day) == (2, 29):  # a 20-year card issued on 29 February
        issued -= timedelta(days=1)
    return IdCardData(
        name=name,
        gender=gender,
        ethnicity="汉",
        birth_date=birth,
        address=address,
        id_number=number,
        issuer=f"{address[:3]}公安局",
        valid_from=issued,
        valid_to=issued.replace(year=issued.year + 20),
    )


class DemoIdCardReader:
    def __init__(self, db: Database, clock: Clock, seed: int = 11) -> None:
        self._db = db
        self._clock = clock
        self._rng = random.Random(seed)
        self._reads = 0
        self._lock = threading.Lock()

    def read(self, expect_customer_id: uuid.UUID | None = None) -> IdCardData:
        with self._lock:
            today = business_date(self._clock())
            if expect_customer_id is not None:  # the owner's card, when they have one
                owner = self._customer_card(expect_customer_id)
                if owner is not None:
                    return _card(*owner, today=today)
            self._reads += 1  # the cards of the other reads come in their usual turn
            if self._reads % NEW_PERSON_EVERY == 0:
                p = PeopleFactory(self._rng, today, namespace=900 + self._reads).person(20, 60)
                return _card(p.name, p.gender, p.birth_date, p.address, p.id_number, today)
            adult_born_before = today.replace(year=today.year - 18)
            row = self._db_pick(adult_born_before, self._reads)
            if row is None:
                raise DeviceError("读卡失败：演示数据中没有可用的证件", "读卡器")
            return _card(*row, today=today)

    def _db_pick(self, born_before: date, n: int) -> tuple[str, str, date, str, str] | None:
        return self._card_of(
            select(*CARD_COLUMNS)
            .where(*HAS_CARD, Customer.birth_date < born_before)
            .order_by(Customer.id_number_bidx)  # fixed for the hall's keys
            .offset((n * 37) % 500)
            .limit(1)
        )

    def _customer_card(self, customer_id: uuid.UUID) -> tuple[str, str, date, str, str] | None:
        """The card of ``customer_id`` (None: not a person registered with a resident ID)."""
        return self._card_of(select(*CARD_COLUMNS).where(*HAS_CARD, Customer.id == customer_id))

    def _card_of(self, query: Executable) -> tuple[str, str, date, str, str] | None:
        with self._db.read() as session:
            got = session.execute(query).one_or_none()
        if got is None:
            return None
        row_id, name, gender, birth, address, number = got
        name = open_value(name, "customers", "name", row_id)
        address = open_value(address, "customers", "address", row_id)
        number = open_value(number, "customers", "id_number", row_id)
        assert birth is not None and number is not None and name is not None
        return name, gender or "M", birth, address or "", number
