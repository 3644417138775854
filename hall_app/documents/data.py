"""What a document shows: plain values, masked where they must be."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class DocLine:
    description: str
    quantity: int
    unit_price_fen: int
    amount_fen: int  # negative for a promotion's discount
    invoiceable: bool
    note: str = ""  # beside the amount on the acceptance form
    deposit: bool = False  # an equipment deposit: refunded, never invoiced (not a prepayment)
    financed: bool = False  # an installment sale's financed part: repaid in instalments
    repayment: bool = False  # an instalment repaid or an early payoff: receipt, no invoice

    @property
    def prepaid(self) -> bool:
        """A prepayment, invoiced as it is consumed (not a deposit, nor an instalment)."""
        return not (self.invoiceable or self.deposit or self.financed or self.repayment)


@dataclass(frozen=True)
class DocPayment:
    method: str
    amount_fen: int
    tendered_fen: int | None
    change_fen: int
    reference: str


@dataclass(frozen=True)
class DocInvoiceLine:
    item_name: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    rate: Decimal
    tax_fen: int


@dataclass(frozen=True)
class DocInvoice:
    invoice_no: str
    kind: str
    issued_at: datetime
    buyer_name: str
    buyer_tax_id: str
    seller_name: str
    seller_tax_id: str
    lines: tuple[DocInvoiceLine, ...]
    amount_fen: int
    tax_fen: int
    total_fen: int
    issuer: str
    remarks: str


@dataclass(frozen=True)
class OrderDocument:
    hall_name: str
    hall_address: str
    counter_name: str
    clerk_name: str
    clerk_no: str
    order_no: str
    order_type: str
    created_at: datetime
    customer_name: str
    customer_id_masked: str
    customer_phone_masked: str
    service_number_masked: str
    plan_name: str
    lines: tuple[DocLine, ...]
    payments: tuple[DocPayment, ...]
    total_fen: int
    terms: str
    signature_png: bytes | None
    invoice: DocInvoice | None
    copy_no: int  # 1 for the original; more is a reprint, stamped 重打
    # A broadband + landline order has two numbers and two plans: (label, number) each, e.g.
    # ("宽带账号", "KD0591…"), ("固话号码", "0591-87654321"); empty: service_number_masked only.
    numbers: tuple[tuple[str, str], ...] = ()
    # What else the order concerns, (label, value) each, shown on the receipt and the form:
    # a handset's IMEI and 保修起始日期, a contract phone's commitment, the instalments a
    # repayment paid and what is left.
    details: tuple[tuple[str, str], ...] = ()
    refund: bool = False  # a return: the money goes back (退款 wording, negative amounts)


@dataclass(frozen=True)
class DocInstalment:
    seq: int
    due_date: date
    principal_fen: int
    fee_fen: int
    amount_fen: int


@dataclass(frozen=True)
class ContractDocument:
    """The installment contract (分期付款合同) the customer signed at the counter: the
    parties (the ID masked), the handset and its IMEI, the money, every instalment, the
    early-payoff rule, the terms signed and the signature."""

    seller_name: str
    seller_tax_id: str
    hall_name: str
    hall_address: str
    counter_name: str
    clerk_name: str
    clerk_no: str
    order_no: str
    signed_at: datetime
    customer_name: str
    customer_id_masked: str
    customer_phone_masked: str
    handset_name: str
    imei: str
    warranty_from: date | None
    price_fen: int
    down_payment_fen: int
    financed_fen: int
    fee_fen: int  # the whole fee over the months (stated, or from the rate)
    monthly_rate: Decimal | None  # the stated monthly rate, when the offer states one
    months: int
    payoff_fee_fen: int
    instalments: tuple[DocInstalment, ...]
    terms: str
    signature_png: bytes | None
    status: str  # 履约中, 提前结清 …
    copy_no: int  # 1 for the original; more is a reprint, stamped 重打

    @property
    def repaid_fen(self) -> int:
        """What the instalments add up to: the financed amount plus the fee."""
        return sum(i.amount_fen for i in self.instalments)

    @property
    def total_fen(self) -> int:
        """The total payable: the down payment and every instalment."""
        return self.down_payment_fen + self.repaid_fen


@dataclass(frozen=True)
class TicketSlip:
    """The kiosk's ticket slip."""

    hall_name: str
    ticket_no: str
    service_name: str
    issued_at: datetime
    waiting_ahead: int
    estimated_wait_minutes: int
    barcode: str  # what the barcode carries: business date and ticket number


@dataclass(frozen=True)
class DocEquipment:
    serial: str
    name: str  # 华为 HN8145X6 千兆光猫
    mode: str  # 押金借用 / 合约免费借用 / 购买
    deposit_fen: int


@dataclass(frozen=True)
class WorkOrderDocument:
    """The install work order (装机工单) the installer takes to the address and brings back
    signed."""

    hall_name: str
    hall_address: str
    counter_name: str
    clerk_name: str
    clerk_no: str
    work_order_no: str
    order_no: str
    order_type: str  # 新装宽带, 移机 …
    kind: str  # 新装 / 移机
    status: str
    created_at: datetime
    customer_name: str
    contact_name: str
    contact_phone_masked: str
    address: str  # where to install (移机: the new address)
    community: str
    technology: str
    broadband_account: str | None
    landline_number: str | None  # shown 0591-87654321
    plans: tuple[str, ...]
    window_day: date
    window_label: str  # 上午
    window_start: datetime
    window_end: datetime
    promised_date: date
    promised_provisional: bool  # counted Monday to Friday: the calendar lacks the year
    team_name: str
    team_leader: str
    team_phone: str
    installation_fee_fen: int
    equipment: tuple[DocEquipment, ...]
    reschedules: int
    copy_no: int  # 1 for the original; more is a reprint, stamped 重打
    original_address: str | None = None  # 移机: where the service is now (原址)
