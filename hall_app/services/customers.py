"""Finding customers and opening their full record."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Executable,
    Row,
    bindparam,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date
from hall_app.config import BusinessRules
from hall_app.db import blind
from hall_app.db.crypto import open_value
from hall_app.db.engine import Database
from hall_app.db.models import (
    Customer,
    FusionBundle,
    Invoice,
    Order,
    Payment,
    Product,
    ServiceTicket,
    Staff,
    Subscription,
)
from hall_app.db.text_limits import check_text, max_length
from hall_app.domain.enums import (
    CustomerKind,
    FaceCheckMethod,
    IdDocType,
    InvoiceKind,
    InvoiceStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    ServiceTicketKind,
    ServiceTicketStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_id_number, mask_name, mask_phone
from hall_app.domain.permissions import Permission
from hall_app.domain.pinyin import name_initials
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_mobile_number
from hall_app.services import audit
from hall_app.services.actor import Actor
from hall_app.services.numbers import landline_display
from hall_app.services.sensitive_views import CUSTOMER_VIEW
from hall_app.services.subscriptions import status_text
from hall_app.services.transfer_history import TransferView, transfers_of

QUERY_FIELD = "查询条件"
GUARDIAN_FIELD = "监护人"
# What the registration form may hold, from the columns it is stored in (fields cap typing).
ADDRESS_MAX_CHARS = max_length(Customer.address) or 200
_SEPARATORS = re.compile(r"[\s\-]")
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")
_LETTERS = re.compile(r"^[A-Za-z]+$")
# Two letters (no USCC starts with two letters other than Y…) then digits: a broadband account.
_ACCOUNT = re.compile(r"(?![Yy])[A-Za-z]{2}\d{8,20}", re.ASCII)
_ID_OR_USCC = re.compile(r"^[0-9A-Za-z]{18}$|^\d{15}$", re.ASCII)
# Full-width forms U+FF01-U+FF5E and the ideographic space, as their ASCII twins.
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class QueryKind(StrEnum):
    PHONE = "phone"
    ID_OR_USCC = "id_or_uscc"
    SERVICE_NUMBER = "service_number"
    NAME = "name"
    INITIALS = "initials"


QUERY_KIND_LABELS = {
    QueryKind.PHONE: "手机号码",
    QueryKind.ID_OR_USCC: "证件号码/统一社会信用代码",
    QueryKind.SERVICE_NUMBER: "业务号码",
    QueryKind.NAME: "姓名/名称",
    QueryKind.INITIALS: "拼音首字母",
}


def classify_query(text: str, today: date | None = None) -> tuple[QueryKind, str]:
    """Decide what the clerk typed or scanned, and normalise it for the lookup.

    Full-width digits and letters (an IME left in full-width mode: １３３…) read as their ASCII
    forms; digits of other scripts (str.isdigit() takes ٣ and ²) are no number of record."""
    raw = text.translate(_FULL_WIDTH).strip()
    if not raw:
        raise ValidationError(
            "请输入手机号、证件号码、姓名、拼音首字母或统一社会信用代码", QUERY_FIELD
        )
    compact = _SEPARATORS.sub("", raw)
    if compact.startswith("+86"):
        compact = compact[3:]
    digits = compact.isascii() and compact.isdigit()
    if digits and len(compact) == 11 and compact.startswith("1"):
        return QueryKind.PHONE, compact
    if len(compact) == 15 and digits:
        try:  # a legacy 15-digit ID is stored upgraded to 18 characters
            return QueryKind.ID_OR_USCC, parse_resident_id(compact, today=today).number
        except ValidationError:
            return QueryKind.SERVICE_NUMBER, compact
    if _ACCOUNT.fullmatch(compact):  # a broadband account, KD0591…: never an ID or a USCC
        return QueryKind.SERVICE_NUMBER, compact.upper()
    if _ID_OR_USCC.match(compact):
        return QueryKind.ID_OR_USCC, compact.upper()
    if not digits and (hint := near_miss(compact)) is not None:
        raise ValidationError(hint, QUERY_FIELD)  # 17 characters ending in X: no account
    if digits and 7 <= len(compact) <= 20:
        return QueryKind.SERVICE_NUMBER, compact
    if _CJK.match(raw):
        return QueryKind.NAME, raw
    if _LETTERS.match(compact) and len(compact) <= 12:
        return QueryKind.INITIALS, compact.lower()
    if digits:
        raise ValidationError(
            f"“{raw}”不是完整的号码：手机号 11 位，身份证 18 位，宽带/固话账号 7 至 20 位",
            QUERY_FIELD,
        )
    raise ValidationError(
        f"无法识别“{raw}”：请输入手机号、证件号码、姓名、拼音首字母或统一社会信用代码", QUERY_FIELD
    )


def _looks_like_birth_date(text: str) -> bool:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def near_miss(compact: str) -> str | None:
    """What a query one or two characters off a mobile or resident ID number is missing: a
    10- or 12-digit number starting with 1 is a mobile number off by a digit; 16, 17 or 19
    characters with a birth date where an ID has it (give or take the digit) are an ID number.
    Digits alone may be a broadband or landline account: the caller asks only when nothing
    matched."""
    body = compact.upper()
    if body.isdigit() and body.startswith("1") and len(body) in (10, 12):
        return f"手机号码应为 11 位，现在 {len(body)} 位"
    if (
        len(body) in (16, 17, 19)
        and body[:-1].isdigit()
        and (body[-1].isdigit() or body[-1] == "X")
        and body[0] in "12345678"
        and any(_looks_like_birth_date(body[i : i + 8]) for i in (5, 6, 7))  # a digit off
    ):
        return f"身份证号码应为 18 位，现在 {len(body)} 位"
    return None


@dataclass(frozen=True)
class CustomerSummary:
    id: uuid.UUID
    kind: CustomerKind
    name: str
    id_label: str  # document type or 统一社会信用代码
    id_display: str  # masked unless the actor may see it
    phone_display: str
    address: str
    is_vip: bool


@dataclass(frozen=True)
class SearchResult:
    kind: QueryKind
    rows: tuple[CustomerSummary, ...]
    truncated: bool
    total: int  # how many match, counted up to COUNT_CAP (``len(rows)`` when not truncated)
    total_capped: bool = False  # at least ``total`` match: the count stopped there
    # A number search: each customer found by one of their own numbers, and that number's
    # subscription (the record opens with it selected, ready for the account businesses).
    numbers: tuple[tuple[uuid.UUID, uuid.UUID], ...] = ()

    def number_of(self, customer_id: uuid.UUID) -> uuid.UUID | None:
        """The subscription of ``customer_id`` whose number was searched, if any."""
        return next((sub for cid, sub in self.numbers if cid == customer_id), None)

    @property
    def kind_label(self) -> str:
        return QUERY_KIND_LABELS[self.kind]


@dataclass(frozen=True)
class SubscriptionView:
    kind: SubscriptionKind
    number_display: str
    plan_name: str
    monthly_fee_fen: int
    status: SubscriptionStatus
    address: str
    activated_at: datetime | None
    lock_in_until: date | None
    balance_fen: int
    id: uuid.UUID | None = None
    status_text: str = ""  # 正常 / 停机（欠费停机）… (services.subscriptions.status_text)
    bonus_fen: int = 0  # a top-up promotion's bonus balance (never refunded)
    service_number: str = ""  # unmasked only where the clerk may see it (as number_display)


@dataclass(frozen=True)
class OrderView:
    order_no: str
    order_type: OrderType
    state: OrderState
    total_fen: int
    created_at: datetime
    staff_name: str


@dataclass(frozen=True)
class PaymentView:
    paid_at: datetime
    method: PaymentMethod
    amount_fen: int
    reference: str


@dataclass(frozen=True)
class InvoiceView:
    invoice_no: str
    kind: InvoiceKind
    status: InvoiceStatus
    issued_at: datetime
    total_fen: int
    tax_fen: int


@dataclass(frozen=True)
class ServiceTicketView:
    ticket_no: str
    kind: ServiceTicketKind
    category: str
    status: ServiceTicketStatus
    opened_at: datetime
    deadline_at: datetime
    overdue: bool


@dataclass(frozen=True)
class CustomerRecord:
    id: uuid.UUID
    kind: CustomerKind
    name: str
    id_doc_type: IdDocType | None
    id_display: str
    uscc: str | None
    gender: str | None
    birth_display: str  # the full date only with VIEW_SENSITIVE: with it, a masked ID is no mask
    address: str
    contact_phone_display: str
    alt_phone_display: str
    contact_person: str | None
    guardian_name: str | None
    is_vip: bool
    real_name_verified_at: datetime | None
    sensitive_shown: bool
    subscriptions: tuple[SubscriptionView, ...]
    orders: tuple[OrderView, ...]
    payments: tuple[PaymentView, ...]
    invoices: tuple[InvoiceView, ...]
    open_tickets: tuple[ServiceTicketView, ...]
    transfers: tuple[TransferView, ...] = ()  # 过户 out and in (hall_app.services.transfer_history)


_SUMMARY_COLUMNS = (
    Customer.id,
    Customer.kind,
    Customer.name,
    Customer.id_doc_type,
    Customer.id_number,
    Customer.uscc,
    Customer.contact_phone,
    Customer.address,
    Customer.is_vip,
)


COUNT_CAP = 10_000  # a count of the matches stops here: cheap, and enough to say "more"
_CUSTOMERS = Customer.__table__


def _search_statements() -> tuple[dict[str, Executable], dict[str, Executable]]:
    """For each lookup (a query kind's, or a name / initials prefix index column's): the
    statement listing the first matches, and the one counting them (up to ``COUNT_CAP``).

    Personal data is sealed: exact lookups compare blind indexes (``:b``, the HMAC of the
    normalised query), prefixes the blind index of the prefix (hall_app.db.blind)."""
    q: BindParameter[str] = bindparam("q")
    b: BindParameter[str] = bindparam("b")
    lim: BindParameter[int] = bindparam("lim")
    by_number = or_(
        Customer.contact_phone_bidx == b,
        Customer.alt_phone_bidx == b,
        Customer.id.in_(select(Subscription.customer_id).where(Subscription.service_number == q)),
    )
    filters: dict[str, Any] = {
        QueryKind.PHONE: by_number,
        QueryKind.SERVICE_NUMBER: by_number,
        QueryKind.ID_OR_USCC: or_(Customer.id_number_bidx == b, Customer.uscc == q),
    }
    for column in (*blind.NAME_COLUMNS, *blind.INITIALS_COLUMNS):
        filters[column] = _CUSTOMERS.c[column] == b
    listing: dict[str, Executable] = {
        key: select(*_SUMMARY_COLUMNS).where(where).limit(lim) for key, where in filters.items()
    }
    # The count selects a constant, not the id: SQLite then counts from the index alone
    # (customers.id is not the rowid), 0.5 ms instead of 20-40 ms for 10,000 matches.
    counting: dict[str, Executable] = {
        key: select(func.count()).select_from(
            select(literal(1).label("hit")).where(where).limit(COUNT_CAP).subquery()
        )
        for key, where in filters.items()
    }
    return listing, counting


_SEARCH, _COUNT = _search_statements()
# The subscriptions numbered ``q``, one in use before a cancelled one (a number reissued).
_NUMBERED = (
    select(Subscription.customer_id, Subscription.id)
    .where(Subscription.service_number == bindparam("q"))
    .order_by(
        (Subscription.status == SubscriptionStatus.CANCELLED).asc(), Subscription.created_at.desc()
    )
)


def _numbers_searched(
    conn: Connection, number: str, customers: set[uuid.UUID]
) -> tuple[tuple[uuid.UUID, uuid.UUID], ...]:
    """For each customer found, their subscription numbered ``number`` (if they have one)."""
    out: dict[uuid.UUID, uuid.UUID] = {}
    for cid, sub in conn.execute(_NUMBERED, {"q": number}):
        if cid in customers:
            out.setdefault(cid, sub)
    return tuple(out.items())


@dataclass(frozen=True)
class _Found:
    """A search match, opened."""

    id: uuid.UUID
    kind: CustomerKind
    name: str
    id_doc_type: IdDocType | None
    id_number: str | None
    uscc: str | None
    contact_phone: str | None
    address: str
    is_vip: bool


def _matches(kind: QueryKind, value: str, name: str) -> bool:
    """An opened name matches a name or initials query longer than the indexed prefixes."""
    if kind is QueryKind.INITIALS:
        return name_initials(name).startswith(value)
    return name.startswith(value)


@dataclass(frozen=True)
class RegisterIndividual:
    """A new individual customer under real-name registration."""

    name: str
    id_number: str
    address: str
    contact_phone: str
    face_check: FaceCheckMethod
    face_checked_by: str  # device id, or the clerk who compared face and photo
    id_doc_type: IdDocType = IdDocType.RESIDENT_ID
    card_valid_to: date | None = None  # None: long-term card
    guardian_id: uuid.UUID | None = None
    # Or the guardian's own resident ID number as typed at the counter (nothing looser): the
    # service finds them, in the registering transaction.
    guardian_id_number: str = ""


class CustomerService:
    RECENT = 20

    def __init__(self, db: Database, rules: BusinessRules, clock: Clock) -> None:
        self._db = db
        self._rules = rules
        self._clock = clock

    # -- search ---------------------------------------------------------------------------
    def search_customers(self, actor: Actor, text: str) -> SearchResult:
        """Find customers by phone, ID number, USCC, name prefix or pinyin-initials prefix.

        The hot path of the counter: pre-built statements with bound values, only the columns
        a result row shows, on a plain connection (no ORM session)."""
        actor.require(Permission.CUSTOMER_SEARCH)
        kind, value = classify_query(text, today=business_date(self._clock()))
        limit = self._rules.search_result_limit
        index: str | None
        if kind in (QueryKind.NAME, QueryKind.INITIALS):
            key, index, longer = blind.prefix_lookup(
                "name" if kind is QueryKind.NAME else "initials", value
            )
        else:
            key, longer = kind.value, False
            index = (blind.id_index if kind is QueryKind.ID_OR_USCC else blind.phone_index)(value)
        params = {"q": value, "b": index, "lim": COUNT_CAP if longer else limit + 1}
        with self._db.connect() as conn:
            found = [self._opened(r) for r in conn.execute(_SEARCH[key], params)]
            if longer:  # the 4-prefix matched: the rest of the query is checked opened
                found = [r for r in found if _matches(kind, value, r.name)]
                total = len(found)
            truncated = len(found) > limit
            if not longer:
                total = conn.execute(_COUNT[key], params).scalar_one() if truncated else len(found)
            numbers = (
                _numbers_searched(conn, value, {r.id for r in found[:limit]})
                if kind in (QueryKind.PHONE, QueryKind.SERVICE_NUMBER) and found
                else ()
            )
        # Sorted as the clerk reads them, once opened: by name (by initials, then name, for an
        # initials query).
        found.sort(
            key=(lambda r: (name_initials(r.name), r.name))
            if kind is QueryKind.INITIALS
            else (lambda r: r.name)
        )
        if not found and (hint := near_miss(value)) is not None:
            # Not an account after all: a mobile or ID number short of (or over by) a digit.
            raise ValidationError(hint, QUERY_FIELD)
        # Result lists are always masked, for every role; only the audited record unmasks.
        rows = tuple(self._summary(r) for r in found[:limit])
        return SearchResult(
            kind=kind,
            rows=rows,
            truncated=truncated,
            total=total,
            total_capped=total >= COUNT_CAP,
            numbers=numbers,
        )

    @staticmethod
    def _opened(c: Row[Any]) -> _Found:
        """A search row with its sealed columns opened."""
        return _Found(
            id=c.id,
            kind=c.kind,
            name=open_value(c.name, "customers", "name", c.id) or "",
            id_doc_type=c.id_doc_type,
            id_number=open_value(c.id_number, "customers", "id_number", c.id),
            uscc=c.uscc,
            contact_phone=open_value(c.contact_phone, "customers", "contact_phone", c.id),
            address=open_value(c.address, "customers", "address", c.id) or "",
            is_vip=c.is_vip,
        )

    @staticmethod
    def _summary(c: _Found) -> CustomerSummary:
        if c.kind is CustomerKind.ENTERPRISE:
            id_label, id_display = "统一社会信用代码", c.uscc or ""  # public information
        else:
            id_label = c.id_doc_type.label if c.id_doc_type else "证件"
            id_display = mask_id_number(c.id_number) if c.id_number else ""
        return CustomerSummary(
            id=c.id,
            kind=c.kind,
            name=c.name,
            id_label=id_label,
            id_display=id_display,
            phone_display=mask_phone(c.contact_phone) if c.contact_phone else "",
            address=c.address,
            is_vip=c.is_vip,
        )

    # -- registration ---------------------------------------------------------------------
    def register_individual(self, actor: Actor, req: RegisterIndividual) -> uuid.UUID:
        """Register a person: a valid, unexpired resident ID, a contact number, the face check,
        and a guardian (an adult customer) for ages 10 to 15. One customer per document."""
        actor.require(Permission.CUSTOMER_EDIT)
        now = self._clock()
        today = business_date(now)
        name = req.name.strip()
        check_text(Customer.name, name)
        if not 2 <= len(name) <= 30:
            raise ValidationError("姓名应为 2 至 30 个字", "姓名")
        if (hidden := next((ch for ch in name if not ch.isprintable()), None)) is not None:
            # A control or zero-width character (pasted, or an ID reader's padding) would make
            # the name differ from the one on the card and from what a search types.
            raise ValidationError(
                f"含有不可见字符（U+{ord(hidden):04X}），请删除后重新输入", "姓名"
            )
        check_text(Customer.address, req.address.strip())
        check_text(Customer.face_check_by, req.face_checked_by.strip())
        if req.id_doc_type is not IdDocType.RESIDENT_ID:
            raise ValidationError("目前仅支持居民身份证登记", "证件类型")
        person = parse_resident_id(req.id_number, today=today)
        if req.card_valid_to is not None and req.card_valid_to < today:
            raise ValidationError(
                f"证件已于 {req.card_valid_to} 过期，请客户持有效证件办理", "证件有效期"
            )
        phone = parse_mobile_number(req.contact_phone).number
        address = req.address.strip()
        if len(address) < 6:
            raise ValidationError("请填写完整地址", "地址")
        if not req.face_checked_by.strip():
            raise ValidationError("请登记人像比对的设备编号或核验人", "人像比对")
        rules = self._rules
        age = person.age_on(today)
        if age < rules.min_age_with_guardian:
            raise ValidationError(
                f"未满 {rules.min_age_with_guardian} 周岁，不能登记入网", "证件号码"
            )
        guardian_number = None
        if req.guardian_id is None and req.guardian_id_number.strip():
            try:
                guardian_number = parse_resident_id(req.guardian_id_number, today=today).number
            except ValidationError as exc:
                raise ValidationError(f"监护人证件号码{exc.message}", GUARDIAN_FIELD) from exc
        with self._db.unit_of_work() as session:
            guardian_id = req.guardian_id
            if guardian_number is not None:
                guardian_id = session.scalar(
                    select(Customer.id).where(
                        Customer.id_number_bidx == blind.id_index(guardian_number),
                        Customer.id_doc_type == IdDocType.RESIDENT_ID,
                    )
                )
                if guardian_id is None:
                    raise ValidationError("没有找到这位监护人，请先为监护人登记", GUARDIAN_FIELD)
            if age < rules.min_age_alone:
                guardian = session.get(Customer, guardian_id) if guardian_id else None
                if (
                    guardian is None
                    or guardian.birth_date is None
                    or _age(guardian.birth_date, today) < 18
                ):
                    raise ValidationError(
                        f"未满 {rules.min_age_alone} 周岁：须登记成年监护人（先查询并选定监护人）",
                        "监护人",
                    )
            exists = session.scalar(
                select(Customer.id).where(
                    Customer.id_number_bidx == blind.id_index(person.number),
                    Customer.id_doc_type == IdDocType.RESIDENT_ID,
                )
            )
            if exists is not None:
                raise ValidationError("该证件已登记为客户，请直接查询办理", "证件号码")
            customer = Customer(
                kind=CustomerKind.INDIVIDUAL,
                name=name,
                id_doc_type=IdDocType.RESIDENT_ID,
                id_number=person.number,
                gender=person.gender,
                birth_date=person.birth_date,
                address=address,
                contact_phone=phone,
                guardian_id=guardian_id if age < rules.min_age_alone else None,
                real_name_verified_at=now,
                face_check_method=req.face_check,
                face_check_by=req.face_checked_by.strip(),
                registered_hall_id=actor.hall_id,
            )
            session.add(customer)
            session.flush()
            audit.record(
                session,
                at=now,
                actor=actor,
                action="customer.register",
                entity="customer",
                entity_id=customer.id,
                after={
                    "name": mask_name(name),
                    "id_number": mask_id_number(person.number),
                    "phone": mask_phone(phone),
                    "face_check": req.face_check.value,
                },
            )
            return customer.id

    # -- record ---------------------------------------------------------------------------
    def get_customer_record(self, actor: Actor, customer_id: uuid.UUID) -> CustomerRecord:
        """The customer's full record. Unmasked views are audited."""
        actor.require(Permission.CUSTOMER_VIEW)
        show = actor.can(Permission.VIEW_SENSITIVE)
        with self._db.unit_of_work() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise NotFound("该客户不存在或已被删除", "客户")
            record = self._record(session, customer, show)
            if show:
                audit.record(
                    session,
                    at=self._clock(),
                    actor=actor,
                    action=CUSTOMER_VIEW,
                    entity="customer",
                    entity_id=customer.id,
                )
        return record

    def _record(self, session: Session, c: Customer, show: bool) -> CustomerRecord:
        def phone(value: str | None) -> str:
            if not value:
                return ""
            return value if show else mask_phone(value)

        now = self._clock()
        # A broadband in a fusion bundle is billed at the bundle's fee, under its name.
        subs = session.execute(
            select(Subscription, Product.name, Product.price_fen, FusionBundle)
            .join(Product, Product.id == Subscription.product_id)
            .outerjoin(FusionBundle, FusionBundle.id == Subscription.bundle_id)
            .where(Subscription.customer_id == c.id)
            .order_by(Subscription.activated_at.desc())
        ).all()
        orders = session.execute(
            select(Order, Staff.full_name)
            .join(Staff, Staff.id == Order.staff_id)
            .where(Order.customer_id == c.id)
            .order_by(Order.created_at.desc())
            .limit(self.RECENT)
        ).all()
        payments = session.scalars(
            select(Payment)
            .where(Payment.customer_id == c.id)
            .order_by(Payment.paid_at.desc())
            .limit(self.RECENT)
        ).all()
        invoices = session.scalars(
            select(Invoice)
            .where(Invoice.customer_id == c.id)
            .order_by(Invoice.issued_at.desc())
            .limit(self.RECENT)
        ).all()
        tickets = session.scalars(
            select(ServiceTicket)
            .where(
                ServiceTicket.customer_id == c.id,
                ServiceTicket.status.in_(
                    [ServiceTicketStatus.OPEN, ServiceTicketStatus.IN_PROGRESS]
                ),
            )
            .order_by(ServiceTicket.deadline_at)
        ).all()
        guardian = session.get(Customer, c.guardian_id) if c.guardian_id else None
        id_value = c.id_number or ""
        return CustomerRecord(
            id=c.id,
            kind=c.kind,
            name=c.name,
            id_doc_type=c.id_doc_type,
            id_display=(id_value if show else mask_id_number(id_value)) if id_value else "",
            uscc=c.uscc,
            gender=c.gender,
            birth_display=(
                ""
                if c.birth_date is None
                else c.birth_date.isoformat()
                if show
                else f"{c.birth_date.year}-**-**"
            ),
            address=c.address,
            contact_phone_display=phone(c.contact_phone),
            alt_phone_display=phone(c.alt_phone),
            contact_person=c.contact_person,
            guardian_name=guardian.name if guardian else None,
            is_vip=c.is_vip,
            real_name_verified_at=c.real_name_verified_at,
            sensitive_shown=show,
            subscriptions=tuple(
                SubscriptionView(
                    kind=s.kind,
                    number_display=(
                        phone(s.service_number)
                        if s.kind is SubscriptionKind.MOBILE
                        else landline_display(s.service_number)
                        if s.kind is SubscriptionKind.LANDLINE
                        else s.service_number
                    ),
                    plan_name=f"{bundle.name}（{name}）" if bundle else name,
                    monthly_fee_fen=bundle.monthly_fen if bundle else fee,
                    status=s.status,
                    address=s.address,
                    activated_at=s.activated_at,
                    lock_in_until=s.lock_in_until,
                    balance_fen=s.balance_fen,
                    id=s.id,
                    status_text=status_text(s),
                    bonus_fen=s.bonus_fen,
                    service_number=(
                        phone(s.service_number)
                        if s.kind is SubscriptionKind.MOBILE
                        else s.service_number
                    ),
                )
                for s, name, fee, bundle in subs
            ),
            orders=tuple(
                OrderView(
                    order_no=o.order_no,
                    order_type=o.order_type,
                    state=o.state,
                    total_fen=o.total_fen,
                    created_at=o.created_at,
                    staff_name=staff_name,
                )
                for o, staff_name in orders
            ),
            payments=tuple(
                PaymentView(
                    paid_at=p.paid_at,
                    method=p.method,
                    amount_fen=p.amount_fen,
                    reference=p.reference or "",
                )
                for p in payments
            ),
            invoices=tuple(
                InvoiceView(
                    invoice_no=i.invoice_no,
                    kind=i.kind,
                    status=i.status,
                    issued_at=i.issued_at,
                    total_fen=i.total_fen,
                    tax_fen=i.tax_fen,
                )
                for i in invoices
            ),
            open_tickets=tuple(
                ServiceTicketView(
                    ticket_no=t.ticket_no,
                    kind=t.kind,
                    category=t.category,
                    status=t.status,
                    opened_at=t.opened_at,
                    deadline_at=t.deadline_at,
                    overdue=t.deadline_at < now,
                )
                for t in tickets
            ),
            transfers=transfers_of(session, c.id),
        )


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
