"""Customer chunks: generated independently (in worker processes for large builds), written in
order by the parent, which also keeps ID numbers unique across chunks."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite

from hall_app.clock import HALL_TZ
from hall_app.db import blind
from hall_app.db.crypto import seal_for
from hall_app.db.models import Customer, Subscription
from hall_app.demo.bulk import model_table, seal_rows, sqlite_converter
from hall_app.demo.installs import (
    INSTALL_TABLES,
    DeferredNumbers,
    FixedCatalog,
    FixedSpec,
    InstallRows,
    Numbered,
)
from hall_app.demo.people import STREETS, PeopleFactory, check_char
from hall_app.domain.enums import (
    CustomerKind,
    FaceCheckMethod,
    IdDocType,
    SubscriptionKind,
    SubscriptionStatus,
)

CUSTOMER_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "kind",
    "name",
    "id_doc_type",
    "id_number",
    "gender",
    "birth_date",
    "address",
    "contact_phone",
    "alt_phone",
    "guardian_id",
    "real_name_verified_at",
    "face_check_method",
    "face_check_by",
    "uscc",
    "contact_person",
    "is_vip",
    "registered_hall_id",
    "notes",
    *blind.INDEX_COLUMNS,  # filled from the plaintext, before it is sealed
)
SUBSCRIPTION_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "customer_id",
    "kind",
    "service_number",
    "product_id",
    "sim_id",
    "status",
    "address",
    "hall_id",
    "activated_at",
    "lock_in_until",
    "cancelled_at",
    "balance_fen",
    "community",
    "technology",
    "bundle_id",
    "bundled_with_id",
)
# People's birth dates (so their ID numbers) are drawn back from this day, not from the build
# day: a seed gives the same people whatever day the demo is built, so the README can name
# some. A build pinned to an earlier day draws back from that day (nobody is born later).
IDENTITY_DAY = date(2026, 11, 24)
ID_NUMBER_COL = CUSTOMER_COLUMNS.index("id_number")
ID_INDEX_COL = CUSTOMER_COLUMNS.index("id_number_bidx")
_PLAIN_COLUMNS = len(CUSTOMER_COLUMNS) - len(blind.INDEX_COLUMNS)
SERVICE_NUMBER_COL = SUBSCRIPTION_COLUMNS.index("service_number")
# Install windows the demo's installs happened in (local hour, minutes long): the default
# BusinessRules.install_windows.
INSTALL_HOURS = ((9, 180), (14, 240), (18, 120))
LANDLINES_PER_CHUNK = 20_000  # landline numbers a chunk may draw (its own block)
_COMMUNITY = re.compile(r"号(\D+?)\d+栋")
FUZHOU = "福建省福州市"
USCC_COL = CUSTOMER_COLUMNS.index("uscc")


@dataclass(frozen=True)
class ChunkSpec:
    seed: int
    index: int
    count: int
    today: date
    anchor: datetime
    hall_id: uuid.UUID
    mobile_plans: tuple[tuple[uuid.UUID, int], ...]  # (product id, lock-in months), weighted
    broadband_plans: tuple[tuple[uuid.UUID, int], ...]
    landline_plan: uuid.UUID
    manual_checker: str
    sample_every: int
    convert_for_sqlite: bool
    # Broadband and landline: covered communities (community, technology, max down Mbps), the
    # plan a fibre-to-the-building community gets, the fusion bundles (bundle id, mobile plan
    # id, broadband plan id, broadband lock-in months).
    coverage: tuple[tuple[str, str, int], ...] = ()
    fttb_plan: tuple[uuid.UUID, int] | None = None
    bundles: tuple[tuple[uuid.UUID, uuid.UUID, uuid.UUID, int], ...] = ()
    catalog: FixedCatalog | None = None  # for the install orders and work orders


@dataclass(frozen=True)
class Sample:
    id: uuid.UUID
    name: str
    vip: bool
    address: str
    # The customer's first subscription of each kind, for the orders of the history.
    mobile_id: uuid.UUID | None
    broadband_id: uuid.UUID | None
    landline_id: uuid.UUID | None
    phone: str = ""  # the contact phone
    # What a handset sale asks of the customer (hall_app.demo.handsets): the birth date (None
    # for an enterprise), real-name registration, the first mobile's plan and whether it is
    # active, and arrears on any active subscription.
    birth_date: date | None = None
    registered_at: datetime | None = None
    mobile_plan_id: uuid.UUID | None = None
    mobile_active: bool = False
    arrears: bool = False

    @property
    def subscription_id(self) -> uuid.UUID | None:
        return self.mobile_id or self.broadband_id or self.landline_id


@dataclass
class ChunkResult:
    index: int
    customers: list[tuple[Any, ...]]
    subscriptions: list[tuple[Any, ...]]
    samples: list[Sample]
    # The install orders, lines, work orders, equipment and landline numbers of the chunk's
    # broadband and landlines, by table (numbers left Pending for the parent).
    fixed_rows: dict[str, list[tuple[Any, ...]]]
    # Each customer's ID number in plaintext (the rows hold it sealed), for the parent's
    # deduplication across chunks.
    id_numbers: list[str | None] = field(default_factory=list)


def generate_chunk(spec: ChunkSpec) -> ChunkResult:
    """Pure function of the spec: same spec, same rows (whatever process runs it)."""
    rng = random.Random(f"{spec.seed}:{spec.index}")
    people = PeopleFactory(rng, min(spec.today, IDENTITY_DAY), namespace=spec.index)

    def uid() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    customers: list[tuple[Any, ...]] = []
    subs: list[tuple[Any, ...]] = []
    samples: list[Sample] = []
    last_adult: uuid.UUID | None = None
    account_seq = 0
    # Where and how the broadband and landlines were installed: their own random stream, so
    # the customers (and their other services) are the same as without them.
    fixed_line = _FixedLines(spec, subs)

    def subscription(
        cid: uuid.UUID,
        kind: SubscriptionKind,
        number: str,
        plan: tuple[uuid.UUID, int],
        address: str,
        drawn: datetime,
        registered: datetime,
    ) -> uuid.UUID:
        # The day is drawn over the span from the drawn registration (so the random stream,
        # and every later customer, is the same however far the registration was moved on)
        # and scaled into the span from the real one.
        span = max(1, (spec.anchor - drawn).days)
        real_span = max(1, (spec.anchor - registered).days)
        day = rng.randrange(span) * real_span // span
        activated = registered + timedelta(days=day, seconds=rng.randrange(36000))
        r = rng.random()
        status = (
            SubscriptionStatus.ACTIVE
            if r < 0.92
            else SubscriptionStatus.SUSPENDED
            if r < 0.97
            else SubscriptionStatus.CANCELLED
        )
        lock_months = plan[1]
        lock_until = (activated + timedelta(days=30 * lock_months)).date() if lock_months else None
        cancelled = (
            activated + timedelta(days=400) if status is SubscriptionStatus.CANCELLED else None
        )
        sub_id = uid()
        subs.append(
            (
                sub_id,
                activated,
                activated,
                cid,
                kind,
                number,
                plan[0],
                None,
                status,
                address,
                spec.hall_id,
                activated,
                lock_until,
                cancelled,
                rng.randrange(-5000, 30000),
                "",
                None,
                None,
                None,
            )
        )
        return sub_id

    for i in range(spec.count):
        first_sub = len(subs)
        cid = uid()
        drawn = registered = spec.anchor - timedelta(days=rng.randrange(30, 7300))
        enterprise = rng.random() < 0.04
        if enterprise:
            mobiles = rng.randint(1, 5)
        else:
            r = rng.random()
            mobiles = 0 if r < 0.18 else 1 if r < 0.82 else 2 if r < 0.97 else 3
        numbers = [people.phone(telecom=True) for _ in range(mobiles)]
        contact = numbers[0] if numbers else people.phone(telecom=False)
        alt = people.phone(telecom=False) if rng.random() < 0.15 else None
        vip = rng.random() < 0.03
        if enterprise:
            company, uscc = people.company()
            address = people.address()
            customers.append(
                (
                    cid,
                    registered,
                    registered,
                    CustomerKind.ENTERPRISE,
                    company,
                    None,
                    None,
                    None,
                    None,
                    address,
                    contact,
                    alt,
                    None,
                    registered,
                    None,
                    None,
                    uscc,
                    people.person().name,
                    vip,
                    spec.hall_id,
                    "",
                )
            )
        else:
            minor = last_adult is not None and rng.random() < 0.01
            person = people.person(10, 15) if minor else people.person()
            # Nobody registers before birth: an adult from 16 (alone), a minor from 10 (with
            # the guardian), moved on to that birthday when the drawn day is earlier.
            registered = registered_from(person.birth_date, 10 if minor else 16, drawn, spec.anchor)
            address = person.address
            if not minor:
                last_adult = cid
            face = FaceCheckMethod.DEVICE if rng.random() < 0.9 else FaceCheckMethod.MANUAL
            customers.append(
                (
                    cid,
                    registered,
                    registered,
                    CustomerKind.INDIVIDUAL,
                    person.name,
                    IdDocType.RESIDENT_ID,
                    person.id_number,
                    person.gender,
                    person.birth_date,
                    address,
                    contact,
                    alt,
                    last_adult if minor else None,
                    registered,
                    face,
                    "HK-FR-200" if face is FaceCheckMethod.DEVICE else spec.manual_checker,
                    None,
                    None,
                    vip,
                    spec.hall_id,
                    "",
                )
            )
        plans = spec.mobile_plans
        mobile_ids = [
            subscription(
                cid,
                SubscriptionKind.MOBILE,
                number,
                plans[rng.randrange(len(plans))],
                address,
                drawn,
                registered,
            )
            for number in numbers
        ]
        broadband_id = landline_id = None
        if rng.random() < (0.6 if enterprise else 0.25):
            account_seq += 1
            bb = spec.broadband_plans[rng.randrange(len(spec.broadband_plans))]
            broadband_id = subscription(
                cid,
                SubscriptionKind.BROADBAND,
                f"0591{spec.index:03d}{account_seq:05d}",
                bb,
                address,
                drawn,
                registered,
            )
        if rng.random() < 0.08:
            account_seq += 1
            landline_id = subscription(
                cid,
                SubscriptionKind.LANDLINE,
                f"05918{spec.index:03d}{account_seq:05d}",
                (spec.landline_plan, 0),
                address,
                drawn,
                registered,
            )
        if i % spec.sample_every == 0:
            samples.append(
                Sample(
                    id=cid,
                    name=customers[-1][4],
                    vip=vip,
                    address=address,
                    mobile_id=mobile_ids[0] if mobile_ids else None,
                    broadband_id=broadband_id,
                    landline_id=landline_id,
                    phone=contact,
                    birth_date=customers[-1][CUSTOMER_COLUMNS.index("birth_date")],
                    registered_at=registered,
                    mobile_plan_id=subs[first_sub][6] if mobile_ids else None,
                    mobile_active=bool(mobile_ids)
                    and subs[first_sub][8] is SubscriptionStatus.ACTIVE,
                    arrears=any(
                        row[8] is SubscriptionStatus.ACTIVE and row[14] < 0
                        for row in subs[first_sub:]
                    ),
                )
            )
        if broadband_id is not None or landline_id is not None:
            fixed_line.place(
                customers[-1], mobile_ids, broadband_id is not None, landline_id is not None
            )
    fixed_rows = fixed_line.take_rows()
    # Personal data sealed here, in the worker (bound to each row), with the blind indexes
    # taken from the plaintext first.
    id_numbers = [row[ID_NUMBER_COL] for row in customers]
    customers = seal_rows(model_table(Customer), CUSTOMER_COLUMNS, with_indexes(customers))
    subs = seal_rows(model_table(Subscription), SUBSCRIPTION_COLUMNS, subs)
    for table, rows in fixed_rows.items():
        model, columns = INSTALL_TABLES[table]
        fixed_rows[table] = seal_rows(model_table(model), columns, rows)
    if spec.convert_for_sqlite:
        customers = convert_rows(model_table(Customer), CUSTOMER_COLUMNS, customers)
        subs = convert_rows(model_table(Subscription), SUBSCRIPTION_COLUMNS, subs)
        for table, rows in fixed_rows.items():
            model, columns = INSTALL_TABLES[table]
            fixed_rows[table] = convert_rows(model_table(model), columns, rows)
    return ChunkResult(spec.index, customers, subs, samples, fixed_rows, id_numbers)


def with_indexes(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Customer rows (plaintext, without the index columns) with their blind indexes."""
    name, contact, alt = (CUSTOMER_COLUMNS.index(c) for c in ("name", "contact_phone", "alt_phone"))
    out = []
    for row in rows:
        assert len(row) == _PLAIN_COLUMNS
        indexes = blind.customer_indexes(row[name], row[ID_NUMBER_COL], row[contact], row[alt])
        out.append((*row, *(indexes[c] for c in blind.INDEX_COLUMNS)))
    return out


def registered_from(born: date, age: int, drawn: datetime, anchor: datetime) -> datetime:
    """The drawn registration time, or the same time of day on the ``age``-th birthday (29
    February: 1 March) when the drawn day is earlier; never after ``anchor``."""
    try:
        birthday = born.replace(year=born.year + age)
    except ValueError:
        birthday = date(born.year + age, 3, 1)
    day = drawn.astimezone(HALL_TZ).date()
    if day >= birthday:
        return drawn
    moved = drawn + timedelta(days=(birthday - day).days)
    return min(moved, anchor)


def convert_rows(
    table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Convert to SQLite storage values in the worker, so the parent only writes."""
    dialect = sqlite.dialect()
    procs = [
        sqlite_converter(table.c[c].type) or table.c[c].type._cached_bind_processor(dialect)
        for c in columns
    ]
    return [
        tuple(
            p(v) if (p is not None and v is not None) else v
            for p, v in zip(procs, row, strict=True)
        )
        for row in rows
    ]


class IdDeduplicator:
    """Keeps resident ID numbers and USCCs unique across chunks: on a clash, the sequence part
    is stepped (keeping the gender parity) and the check character recomputed. Deterministic,
    because chunks are always handed over in order."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def fix(
        self, rows: list[tuple[Any, ...]], id_numbers: list[str | None]
    ) -> list[tuple[Any, ...]]:
        """The rows (sealed; ``id_numbers`` their ID numbers in plaintext) with any ID number
        seen before replaced, sealed again, with its blind index."""
        out = rows
        for n, (row, number) in enumerate(zip(rows, id_numbers, strict=True)):
            if number is not None:
                unique = self._unique_id(number)
                if unique != number:
                    if out is rows:
                        out = list(rows)
                    fixed = list(row)
                    row_id = row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(row[0])
                    fixed[ID_NUMBER_COL] = seal_for("customers", "id_number", row_id, unique)
                    fixed[ID_INDEX_COL] = blind.id_index(unique)
                    out[n] = tuple(fixed)
            uscc = row[USCC_COL]
            if uscc is not None:
                if uscc in self._seen:
                    raise RuntimeError(f"duplicate USCC {uscc}")  # 31**9 space: not expected
                self._seen.add(uscc)
        return out

    def _unique_id(self, number: str) -> str:
        while number in self._seen:
            seq = (int(number[14:17]) + 2) % 1000
            first17 = number[:14] + f"{seq:03d}"
            number = first17 + check_char(first17)
        self._seen.add(number)
        return number


class _FixedLines:
    """Places a chunk's broadband and landlines: the install address in a covered community
    (the customer's own when it is one in Fuzhou), the plan the address supports, a fusion
    bundle with one of the customer's mobile plans, the install and order times, and the
    landline number. Rewrites the subscription rows in place; the broadband account number is
    left to the parent, which numbers accounts per day and window across chunks."""

    def __init__(self, spec: ChunkSpec, subs: list[tuple[Any, ...]]) -> None:
        self._spec = spec
        self._subs = subs
        self._rng = random.Random(f"{spec.seed}:{spec.index}:fixed")
        self._coverage = {c: (t, m) for c, t, m in spec.coverage}
        self._communities = [c for c, _, _ in spec.coverage]
        self._bundles = {mobile: (bid, bb, lock) for bid, mobile, bb, lock in spec.bundles}
        self._locks = {p: lock for p, lock in spec.broadband_plans}
        if spec.fttb_plan is not None:
            self._locks[spec.fttb_plan[0]] = spec.fttb_plan[1]
        self._locks.update({bb: lock for _, _, bb, lock in spec.bundles})
        self._landlines = 0
        self._cat_counters = spec.catalog.counters if spec.catalog is not None else ()
        self._installs = (
            InstallRows(spec.catalog, self._rng, spec.today, DeferredNumbers(), spec.index + 1)
            if spec.catalog is not None
            else None
        )

    def take_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return self._installs.take_rows() if self._installs is not None else {}

    def place(
        self,
        customer: tuple[Any, ...],
        mobile_ids: list[uuid.UUID],
        broadband: bool,
        landline: bool,
    ) -> None:
        if not self._communities or self._installs is None:
            return
        rng = self._rng
        address = customer[CUSTOMER_COLUMNS.index("address")]
        match = _COMMUNITY.search(address)
        community = match.group(1) if match else ""
        if not (address.startswith(FUZHOU) and community in self._coverage):
            community = self._communities[rng.randrange(len(self._communities))]
            address = (
                f"福建省福州市鼓楼区{STREETS[rng.randrange(len(STREETS))]}{rng.randint(1, 300)}号"
                f"{community}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 33)}0{rng.randint(1, 6)}室"
            )
        technology = self._coverage[community][0]
        enterprise = customer[CUSTOMER_COLUMNS.index("kind")] is CustomerKind.ENTERPRISE
        contact = customer[CUSTOMER_COLUMNS.index("contact_person" if enterprise else "name")]
        phone = customer[CUSTOMER_COLUMNS.index("contact_phone")]
        rows = len(self._subs) - (1 if landline else 0) - (1 if broadband else 0)
        mobiles = {
            self._subs[n][0]: self._subs[n]
            for n in range(rows - len(mobile_ids), rows)
            if self._subs[n][8] is SubscriptionStatus.ACTIVE
        }
        if broadband:
            row = self._subs[rows]
            product, bundle, with_id = row[6], None, None
            if technology == "FTTB":
                assert self._spec.fttb_plan is not None
                product = self._spec.fttb_plan[0]
            else:
                for mobile_id, mobile in mobiles.items():
                    offer = self._bundles.get(mobile[6])
                    if offer is not None and rng.random() < 0.6:
                        bundle, product, _ = offer
                        with_id = mobile_id
                        break
            self._install(
                rows,
                row,
                address,
                community,
                technology,
                contact,
                phone,
                "",
                product,
                bundle,
                with_id,
            )
            rows += 1
        if landline:
            row = self._subs[rows]
            if self._landlines >= LANDLINES_PER_CHUNK:
                raise RuntimeError("landline block of the chunk exhausted")
            counter = self._spec.index * LANDLINES_PER_CHUNK + self._landlines
            self._landlines += 1
            body = (counter * 3_141_593 + 2_718_281) % 10_000_000  # coprime to 10: no repeats
            self._install(
                rows,
                row,
                address,
                community,
                technology,
                contact,
                phone,
                f"05918{body:07d}",
                row[6],
                None,
                None,
            )

    def _install(
        self,
        n: int,
        row: tuple[Any, ...],
        address: str,
        community: str,
        technology: str,
        contact: str,
        phone: str,
        number: Numbered,
        product: uuid.UUID,
        bundle: uuid.UUID | None,
        with_id: uuid.UUID | None,
    ) -> None:
        rng = self._rng
        activated: datetime = row[11]
        local = activated.astimezone(HALL_TZ)
        hour, minutes = INSTALL_HOURS[rng.randrange(len(INSTALL_HOURS))]
        installed = datetime.combine(local.date(), dtime(hour), HALL_TZ) + timedelta(
            minutes=rng.randrange(20, minutes)
        )
        # Ordered at a counter one to four days before; now and then a week or more (late).
        before = rng.randint(8, 12) if rng.random() < 0.03 else rng.randint(1, 4)
        ordered = datetime.combine(
            local.date() - timedelta(days=before), dtime(9), HALL_TZ
        ) + timedelta(minutes=rng.randrange(0, 8 * 60))
        installed_utc, ordered_utc = installed.astimezone(UTC), ordered.astimezone(UTC)
        status: SubscriptionStatus = row[8]
        months = self._locks.get(product, 0)
        lock_until = (installed_utc + timedelta(days=30 * months)).date() if months else None
        cancelled = (
            installed_utc + timedelta(days=400) if status is SubscriptionStatus.CANCELLED else None
        )
        assert self._installs is not None
        counter = self._cat_counters[rng.randrange(len(self._cat_counters))]
        if not number:  # broadband: its account, given by the parent per day and counter
            number = self._installs.account(ordered.date(), counter.code)
        self._subs[n] = (
            row[0],
            ordered_utc,
            installed_utc,
            row[3],
            row[4],
            number,
            product,
            row[7],
            status,
            address,
            row[10],
            installed_utc,
            lock_until,
            cancelled,
            row[14],
            community,
            technology,
            bundle,
            with_id,
        )
        self._installs._installed(
            FixedSpec(
                row=n,
                subscription_id=row[0],
                customer_id=row[3],
                kind=row[4],
                status=status,
                product_id=product,
                ordered_at=ordered_utc,
                installed_at=installed_utc,
                address=address,
                community=community,
                technology=technology,
                contact_name=contact,
                contact_phone=phone,
                bundle_id=bundle,
            ),
            counter.id,
            number,
            bundle,
            False,
        )
