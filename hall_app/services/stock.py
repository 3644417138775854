"""Receiving handsets into the hall's stock (终端入库): scanned one by one, or a supplier's
delivery file checked row by row and imported only when the supervisor accepts the valid rows.

Every IMEI is ``parse_imei``-checked; one IMEI is one unit (``devices.imei`` is unique), so a
duplicate inside a delivery or against the stock is refused with the row or IMEI named. A
delivery goes in as one transaction (a bulk insert), audited with its counts."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hall_app.clock import Clock
from hall_app.db.engine import Database
from hall_app.db.models import Device, Product
from hall_app.domain.enums import DeviceStatus, ProductKind
from hall_app.domain.errors import StorageError, ValidationError
from hall_app.domain.permissions import Permission
from hall_app.domain.telecom import IMEI_FIELD, parse_imei
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.stock_files import (
    FILE_FIELD,
    IMEI_COLUMN,
    MODEL_COLUMN,
    FileRow,
    open_delivery,
)

STOCKROOM: Final = "营业厅库房"
LOCATION_MAX: Final = 32  # devices.location
MODEL_FIELD: Final = "机型"
CHUNK: Final = 2000  # rows checked (and inserted) per round trip
_IN: Final = 500  # IMEIs per IN (...) lookup
MAX_LISTED_ERRORS: Final = 5000  # a report lists this many; error_count counts them all
DEVICES: Final = cast(Table, Device.__table__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class StockModelView:
    product_id: uuid.UUID
    code: str
    name: str
    brand: str
    model: str
    colour: str
    storage: str
    price_fen: int
    in_stock: int  # sellable: in stock, and returned units back in stock
    reserved: int
    sold: int
    faulty: int


@dataclass(frozen=True)
class ReceiveResult:
    product_id: uuid.UUID
    code: str
    name: str
    imeis: tuple[str, ...]
    location: str
    received_at: datetime

    @property
    def count(self) -> int:
        return len(self.imeis)


@dataclass(frozen=True)
class RowError:
    row_no: int  # as in Excel: the header is row 1
    imei: str  # as written in the file
    field: str  # IMEI or 型号编码
    message: str

    @property
    def text(self) -> str:
        return f"第 {self.row_no} 行 {self.field}：{self.message}"


@dataclass(frozen=True)
class ImportReport:
    path: str
    rows_total: int  # non-blank data rows
    valid: int
    errors: tuple[RowError, ...]  # the first MAX_LISTED_ERRORS, in row order
    per_model: dict[str, int]  # valid rows by model code
    error_count: int = 0  # every error, listed or not
    error_rows: int = 0  # rows with at least one error
    # A digest of the valid rows, in file order (each row's IMEI and model code): the units
    # that would be received. ``import_file(accepted=…)`` imports only when the file still
    # gives the same digest, so a file edited after the check (one IMEI replaced by another,
    # the counts unchanged) imports nothing.
    digest: str = ""

    @property
    def unlisted(self) -> int:
        return self.error_count - len(self.errors)


@dataclass(frozen=True)
class ImportResult:
    path: str
    rows_total: int
    imported: int
    skipped: int  # rows with errors, not imported
    per_model: dict[str, int]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class _Model:
    id: uuid.UUID
    code: str
    name: str
    kind: ProductKind
    active: bool
    brand: str = ""
    model: str = ""

    @property
    def family(self) -> str:
        """What a type code (TAC) identifies: brand and model; the colours and storages of one
        model share their TAC, so those may share one."""
        return _family(self.brand, self.model, self.name)


def _family(brand: str | None, model: str | None, name: str) -> str:
    return f"{brand or ''} {model}".strip() if model else name


TAC_LEN: Final = 8  # the type allocation code: an IMEI's first 8 digits name the model


class _Tacs:
    """Which models each type code (TAC) is known for, from the units in stock (any status).

    Each TAC is looked up once, when first seen, and kept: a delivery's import inserts it
    chunk by chunk, and a TAC first seen in a later chunk has none of its rows inserted yet,
    so checking a file and importing it give the same answer (the digest stays the same)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._known: dict[str, set[str]] = {}

    def families(self, imei: str) -> set[str]:
        tac = imei[:TAC_LEN]
        found = self._known.get(tac)
        if found is None:
            # a range over the IMEI index (15 digits): no prefix LIKE, whatever the collation
            rows = self._session.execute(
                select(Product.brand, Product.model, Product.name)
                .join(Device, Device.product_id == Product.id)
                .where(Device.imei.between(tac + "0" * 7, tac + "9" * 7))
                .distinct()
            )
            found = self._known[tac] = {_family(b, m, n) for b, m, n in rows}
        return found

    def refusal(self, imei: str, family: str) -> str | None:
        """Why ``imei`` cannot be a unit of ``family``: its TAC belongs to another model (the
        IMEI itself is not repeated: the dialog and the file's error table show it beside)."""
        others = sorted(self.families(imei) - {family})
        if not others:
            return None
        return (
            f"型号核准码（TAC，前 8 位）{imei[:TAC_LEN]} 属于 {'、'.join(others)}，"
            f"不是 {family}，请核对机型"
        )


class HandsetStockService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- reading ------------------------------------------------------------------------------
    def models(self, actor: Actor) -> list[StockModelView]:
        """Every handset on sale, by brand and name, with its units counted by status."""
        actor.require(Permission.STOCK_RECEIVE)
        with self._db.read() as session:
            products = session.scalars(
                select(Product)
                .where(Product.kind == ProductKind.HANDSET, Product.active)
                .order_by(Product.brand, Product.name, Product.code)
            ).all()
            counts: dict[tuple[uuid.UUID, DeviceStatus], int] = {
                (pid, status): n
                for pid, status, n in session.execute(
                    select(Device.product_id, Device.status, func.count())
                    .where(Device.product_id.in_([p.id for p in products]))
                    .group_by(Device.product_id, Device.status)
                )
            }

            def n(p: Product, *statuses: DeviceStatus) -> int:
                return sum(counts.get((p.id, s), 0) for s in statuses)

            return [
                StockModelView(
                    product_id=p.id,
                    code=p.code,
                    name=p.name,
                    brand=p.brand or "",
                    model=p.model or "",
                    colour=p.colour or "",
                    storage=p.storage or "",
                    price_fen=p.price_fen,
                    in_stock=n(p, DeviceStatus.IN_STOCK, DeviceStatus.RETURNED),
                    reserved=n(p, DeviceStatus.RESERVED),
                    sold=n(p, DeviceStatus.SOLD),
                    faulty=n(p, DeviceStatus.FAULTY),
                )
                for p in products
            ]

    def check_imei(
        self,
        actor: Actor,
        scanned: str,
        pending: Sequence[str] = (),
        product_id: uuid.UUID | None = None,
    ) -> str:
        """One scanned IMEI before it joins the list: its check digit, not already in the
        list ``pending``, not already a unit in stock, and (given the model ``product_id`` it
        is scanned for) its TAC not known for another model. Returns the 15 digits."""
        actor.require(Permission.STOCK_RECEIVE)
        imei = parse_imei(scanned)
        if imei in pending:
            raise ValidationError(
                f"{imei} 已在本次入库列表中（第 {list(pending).index(imei) + 1} 条），请勿重复扫描",
                IMEI_FIELD,
            )
        with self._db.read() as session:
            known = _known(session, [imei])
            if imei in known:
                raise ValidationError(f"{imei} {known[imei]}", IMEI_FIELD)
            product = session.get(Product, product_id) if product_id is not None else None
            if product is not None:
                family = _family(product.brand, product.model, product.name)
                if (why := _Tacs(session).refusal(imei, family)) is not None:
                    raise ValidationError(why, IMEI_FIELD)
        return imei

    # -- scanning -----------------------------------------------------------------------------
    def receive(
        self,
        actor: Actor,
        product_id: uuid.UUID,
        imeis: Sequence[str],
        location: str = STOCKROOM,
    ) -> ReceiveResult:
        """The scanned units of one model, saved together or not at all."""
        actor.require(Permission.STOCK_RECEIVE)
        if not imeis:
            raise ValidationError("请先扫描至少一个串号", IMEI_FIELD)
        location = _location(location)
        checked: list[str] = []
        seen: dict[str, int] = {}
        for k, scanned in enumerate(imeis, start=1):
            try:
                imei = parse_imei(scanned)
            except ValidationError as exc:
                raise ValidationError(
                    f"第 {k} 条（{scanned.strip()[:20]}）{exc.message}", IMEI_FIELD
                ) from None
            if imei in seen:
                raise ValidationError(f"第 {k} 条 {imei} 与第 {seen[imei]} 条重复", IMEI_FIELD)
            seen[imei] = k
            checked.append(imei)
        now = self._clock()
        with _raced(), self._db.unit_of_work() as session:
            product = session.get(Product, product_id)
            if product is None or product.kind is not ProductKind.HANDSET:
                raise ValidationError("所选产品不是手机终端", MODEL_FIELD)
            if not product.active:
                raise ValidationError(f"{product.name} 已停售，不能入库", MODEL_FIELD)
            known = _known(session, checked)
            for imei in checked:
                if imei in known:
                    raise ValidationError(f"第 {seen[imei]} 条 {imei} {known[imei]}", IMEI_FIELD)
            tacs, family = _Tacs(session), _family(product.brand, product.model, product.name)
            for imei in checked:
                if (why := tacs.refusal(imei, family)) is not None:
                    raise ValidationError(f"第 {seen[imei]} 条 {imei}：{why}", IMEI_FIELD)
            _insert(session, [(product.id, imei) for imei in checked], actor, location, now)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="stock.receive",
                entity="products",
                entity_id=product.id,
                after={
                    "code": product.code,
                    "count": len(checked),
                    "location": location,
                    "imeis": checked,
                },
            )
            return ReceiveResult(
                product.id, product.code, product.name, tuple(checked), location, now
            )

    # -- delivery files -----------------------------------------------------------------------
    def check_file(
        self, actor: Actor, path: Path | str, progress: Progress | None = None
    ) -> ImportReport:
        """Every row of a delivery file checked; nothing is written."""
        actor.require(Permission.STOCK_RECEIVE)
        with self._db.read() as session:
            checker = _Checker(session, _handsets(session), progress)
            for _chunk in checker.run(path):
                pass
            return checker.report(str(path))

    def import_file(
        self,
        actor: Actor,
        path: Path | str,
        progress: Progress | None = None,
        location: str = STOCKROOM,
        accepted: ImportReport | None = None,
    ) -> ImportResult:
        """The valid rows of a delivery file, checked again, in ONE transaction; the rows with
        errors are left out (the clerk saw them in ``check_file``'s report and accepted).

        With ``accepted`` (the report the clerk accepted), a file that checks differently now
        (edited since, or a unit received meanwhile) imports nothing: the clerk checks again."""
        actor.require(Permission.STOCK_RECEIVE)
        now = self._clock()
        location = _location(location)
        with _raced(), self._db.unit_of_work() as session:
            checker = _Checker(session, _handsets(session), progress)
            for chunk in checker.run(path):
                _insert(session, chunk, actor, location, now)
            report = checker.report(str(path))
            if accepted is not None and report.digest != accepted.digest:
                if report.valid != accepted.valid:
                    change = f"确认时有效 {accepted.valid} 行，现在 {report.valid} 行"
                else:
                    change = f"有效行数同为 {report.valid} 行，但其中的串号或型号已不同"
                raise ValidationError(
                    f"{Path(path).name}：与确认时的检查结果不同（{change}），"
                    "文件可能已被修改或其中有串号刚被入库；未导入，请重新检查",
                    FILE_FIELD,
                )
            if not report.valid:
                raise ValidationError(
                    f"{Path(path).name}：没有可导入的有效行（{report.rows_total} 行全部有误）",
                    FILE_FIELD,
                )
            audit.record(
                session,
                at=now,
                actor=actor,
                action="stock.import",
                entity="devices",
                entity_id=None,
                after={
                    "file": Path(path).name,
                    "rows": report.rows_total,
                    "imported": report.valid,
                    "skipped": report.error_rows,
                    "per_model": report.per_model,
                    "location": location,
                },
            )
        return ImportResult(
            str(path),
            report.rows_total,
            report.valid,
            report.error_rows,
            report.per_model,
            now,
        )


class _Checker:
    """Checks a file's rows chunk by chunk; ``run`` yields each chunk's valid rows as
    (product id, IMEI). Remembers the IMEIs seen (to name a duplicate's first row) and the
    errors; nothing else of the file is kept."""

    def __init__(self, session: Session, models: dict[str, _Model], progress: Progress | None):
        self._session = session
        self._models = models
        self._tacs = _Tacs(session)
        self._progress = progress
        self._seen: dict[int, int] = {}  # IMEI as a number -> the row it first appeared on
        self.errors: list[RowError] = []
        self._pending: list[RowError] = []  # this chunk's, put in row order at its end
        self.error_count = 0
        self.error_rows = 0
        self.rows_total = 0
        self.valid = 0
        self.per_model: dict[str, int] = {}
        self._digest = hashlib.sha256()

    def _error(self, row: FileRow, field: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) + len(self._pending) < MAX_LISTED_ERRORS:
            self._pending.append(RowError(row.row_no, row.imei[:40], field, message))

    def run(self, path: Path | str) -> Iterator[list[tuple[uuid.UUID, str]]]:
        with open_delivery(path) as delivery:
            total = delivery.total
            done = 0
            self._tell(0, total)
            for rows in _chunks(delivery.rows(), CHUNK):
                yield self._check(rows)
                done += len(rows)
                total = max(total, done)
                self._tell(done, total)
            if not self.rows_total:
                raise ValidationError(f"{delivery.name}：只有表头，没有数据行", FILE_FIELD)
            self._tell(done, done)

    def _tell(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(done, total)

    def _check(self, rows: list[FileRow]) -> list[tuple[uuid.UUID, str]]:
        parsed: list[tuple[FileRow, str | None, _Model | None]] = []
        for row in rows:
            self.rows_total += 1
            imei: str | None = None
            try:
                imei = parse_imei(row.imei)
            except ValidationError as exc:
                hint = "（疑似被 Excel 改成了科学计数法）" if "E+" in row.imei.upper() else ""
                self._error(row, IMEI_COLUMN, exc.message + hint)
            model = self._model(row)
            if imei is not None:
                first = self._seen.get(int(imei))
                if first is not None:
                    self._error(row, IMEI_COLUMN, f"{imei} 与第 {first} 行重复")
                    imei = None
                else:
                    self._seen[int(imei)] = row.row_no
            parsed.append((row, imei, model))
        known = _known(self._session, [imei for _r, imei, _m in parsed if imei is not None])
        valid: list[tuple[uuid.UUID, str]] = []
        for row, imei, model in parsed:
            if imei is not None and imei in known:
                self._error(row, IMEI_COLUMN, f"{imei} {known[imei]}")
                imei = None
            if (
                imei is not None
                and model is not None
                and (why := self._tacs.refusal(imei, model.family)) is not None
            ):
                self._error(row, IMEI_COLUMN, why)
                imei = None
            if imei is None or model is None:
                self.error_rows += 1
                continue
            valid.append((model.id, imei))
            self._digest.update(f"{imei}\t{model.code}\n".encode())
            self.valid += 1
            self.per_model[model.code] = self.per_model.get(model.code, 0) + 1
        self._pending.sort(key=lambda e: (e.row_no, e.field != IMEI_COLUMN))
        self.errors += self._pending
        self._pending.clear()
        return valid

    def _model(self, row: FileRow) -> _Model | None:
        code = row.model_code
        if not code:
            self._error(row, MODEL_COLUMN, "不能为空")
            return None
        model = self._models.get(code) or self._models.get(code.upper())
        if model is None:
            self._error(row, MODEL_COLUMN, f"没有型号编码为“{code[:32]}”的产品")
            return None
        if model.kind is not ProductKind.HANDSET:
            self._error(row, MODEL_COLUMN, f"{code}（{model.name}）不是手机终端")
            return None
        if not model.active:
            self._error(row, MODEL_COLUMN, f"{code}（{model.name}）已停售")
            return None
        return model

    def report(self, path: str) -> ImportReport:
        return ImportReport(
            path,
            self.rows_total,
            self.valid,
            tuple(self.errors),
            dict(sorted(self.per_model.items())),
            self.error_count,
            self.error_rows,
            self._digest.hexdigest(),
        )


def _location(text: str) -> str:
    location = text.strip() or STOCKROOM
    if len(location) > LOCATION_MAX:
        raise ValidationError(
            f"不能超过 {LOCATION_MAX} 个字（现有 {len(location)} 个）", "存放位置"
        )
    return location


@contextmanager
def _raced() -> Iterator[None]:
    """Another window receiving the same unit between our check and our insert: the unique
    IMEI refuses it, everything is rolled back, and the clerk is told to check again."""
    try:
        yield
    except StorageError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            raise ValidationError(
                "其中有串号刚刚被其他窗口入库，本次未保存任何内容；请重新检查后再入库", IMEI_FIELD
            ) from exc
        raise


def _chunks(rows: Iterable[FileRow], size: int) -> Iterator[list[FileRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _handsets(session: Session) -> dict[str, _Model]:
    """Every product by code (a row naming a plan's code is told it is no handset)."""
    return {
        code: _Model(pid, code, name, kind, active, brand or "", model or "")
        for pid, code, name, kind, active, brand, model in session.execute(
            select(
                Product.id,
                Product.code,
                Product.name,
                Product.kind,
                Product.active,
                Product.brand,
                Product.model,
            )
        )
    }


def _known(session: Session, imeis: Sequence[str]) -> dict[str, str]:
    """Which of ``imeis`` are already units here, each with what to tell the clerk.

    The lookup reads the IMEI index alone: SQLite's planner, whose statistics may say the
    table is small, would otherwise scan it for a long IN list; and a delivery's own rows,
    inserted in the same transaction, make the table large."""
    found: list[str] = []
    for start in range(0, len(imeis), _IN):
        part = imeis[start : start + _IN]
        found += session.scalars(select(Device.imei).where(Device.imei.in_(part)))
    if not found:
        return {}
    return {
        imei: f"已入库（{code}，{DeviceStatus(status).label}），不能重复入库"
        for start in range(0, len(found), _IN)
        for imei, status, code in session.execute(
            select(Device.imei, Device.status, Product.code)
            .join(Product, Product.id == Device.product_id)
            .where(Device.imei.in_(found[start : start + _IN]))
        )
    }


_COLUMNS: Final = (
    "id",
    "created_at",
    "updated_at",
    "product_id",
    "imei",
    "status",
    "hall_id",
    "location",
    "received_at",
)


def _insert(
    session: Session,
    units: Sequence[tuple[uuid.UUID, str]],
    actor: Actor,
    location: str,
    now: datetime,
) -> None:
    """One executemany for the units: in stock, in the actor's hall, at ``location``.

    The values go through each column's own bind processor, but the ones every row shares
    (the time, the status, the hall, the place) are processed once, not once a row: on
    100,000 rows that per-row work cost more than the rest of the import's Python."""
    if not units:
        return
    conn = session.connection()
    dialect = conn.dialect
    procs = {name: DEVICES.c[name].type.bind_processor(dialect) for name in _COLUMNS}

    def bind(name: str, value: Any) -> Any:
        proc = procs[name]
        return proc(value) if proc is not None else value

    when = bind("created_at", now)
    shared = (
        bind("status", DeviceStatus.IN_STOCK),
        bind("hall_id", actor.hall_id),
        bind("location", location),
    )
    products: dict[uuid.UUID, Any] = {}
    rows = []
    for product_id, imei in units:
        product = products.get(product_id)
        if product is None:
            product = products[product_id] = bind("product_id", product_id)
        rows.append((bind("id", uuid.uuid4()), when, when, product, imei, *shared, when))
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {DEVICES.name} ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join(mark for _ in _COLUMNS)})"
    )
    conn.exec_driver_sql(sql, rows)
