"""Printing an order's documents, with reprints stamped 重打, counted and reasoned."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hall_app.clock import Clock, business_date, local
from hall_app.config import BusinessRules
from hall_app.db.engine import Database
from hall_app.db.models import (
    Counter,
    Customer,
    Device,
    Hall,
    HandsetCommitment,
    InstallmentContract,
    Instalment,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    PrintRecord,
    Product,
    Promotion,
    Staff,
    Subscription,
)
from hall_app.db.models.fixed_line import (
    Equipment,
    FusionBundle,
    InstallerTeam,
    InstallSlot,
    WorkOrder,
)
from hall_app.documents.data import (
    ContractDocument,
    DocEquipment,
    DocInstalment,
    DocInvoice,
    DocInvoiceLine,
    DocLine,
    DocPayment,
    OrderDocument,
    TicketSlip,
    WorkOrderDocument,
)
from hall_app.domain.enums import (
    ContractStatus,
    EquipmentStatus,
    InvoiceKind,
    OrderType,
    ProductKind,
    SubscriptionKind,
    WorkOrderKind,
)
from hall_app.domain.errors import NotFound, ValidationError
from hall_app.domain.masking import mask_id_number, mask_name, mask_phone
from hall_app.domain.money import format_yuan
from hall_app.domain.permissions import Permission
from hall_app.domain.workorders import OPEN
from hall_app.services import audit, restore_mark
from hall_app.services.actor import Actor
from hall_app.services.numbers import landline_display
from hall_app.services.queue import TicketView
from hall_app.services.workorders import window_label

DEPOSIT_NOTE = "押金，拆机归还设备后退还，不开具发票"
PREPAID_NOTE = "预存，不开具增值税发票"
FINANCED_NOTE = "分期支付，按分期付款合同逐期归还"
REPAYMENT_NOTE = "分期本金，不另开发票（购机时已按售价开票）"


class DocumentKind(StrEnum):
    RECEIPT = "receipt"
    ACCEPTANCE_FORM = "acceptance_form"
    INVOICE = "invoice"
    RED_INVOICE = "red_invoice"
    WORK_ORDER = "work_order"
    INSTALLMENT_CONTRACT = "installment_contract"
    Z_REPORT = "z_report"  # a till's 日结单 (made by the cash service)


LABELS = {
    DocumentKind.RECEIPT: "收费小票",
    DocumentKind.ACCEPTANCE_FORM: "业务受理单",
    DocumentKind.INVOICE: "电子发票",
    DocumentKind.RED_INVOICE: "红字发票",
    DocumentKind.WORK_ORDER: "装机工单",
    DocumentKind.INSTALLMENT_CONTRACT: "分期付款合同",
    DocumentKind.Z_REPORT: "日结单",
}

Document = OrderDocument | WorkOrderDocument | ContractDocument


@dataclass(frozen=True)
class PrintedDocument:
    kind: DocumentKind
    pdf: bytes
    copy_no: int
    filename: str


class DocumentService:
    def __init__(self, db: Database, clock: Clock, rules: BusinessRules | None = None) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules or BusinessRules()  # the install windows' names (装机工单)

    def preview_document(
        self, actor: Actor, order_id: uuid.UUID, kind: DocumentKind
    ) -> PrintedDocument:
        """The document as the next print would come out (stamped 重打 if it would be a
        reprint), for the screen only: nothing is recorded until it is printed or saved."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as session:
            doc_ref, document = self._load(session, order_id, kind)
            copy_no = self._printed(session, kind, doc_ref) + 1
        pdf = _render(kind, _with_copy(document, copy_no))
        return PrintedDocument(kind, pdf, copy_no, f"{doc_ref}-{kind.value}-{copy_no}.pdf")

    @staticmethod
    def _printed(session: Session, kind: DocumentKind, doc_ref: str) -> int:
        return (
            session.scalar(
                select(func.count()).where(
                    PrintRecord.document_type == kind.value, PrintRecord.document_ref == doc_ref
                )
            )
            or 0
        )

    def print_document(
        self, actor: Actor, order_id: uuid.UUID, kind: DocumentKind, reprint_reason: str = ""
    ) -> PrintedDocument:
        """Build the PDF and record the print. A second print is a reprint: it needs a
        reason, is stamped 重打 with its copy number, and is audited."""
        actor.require(Permission.ORDER_CREATE)
        now = self._clock()
        with self._db.unit_of_work() as session:
            # After a restore, prints made since the backup are still at the central database:
            # a copy counted here could go out as a second original, without 重打.
            restore_mark.require_recovered(session, "打印单据")
            doc_ref, document = self._load(session, order_id, kind)
            copy_no = self._printed(session, kind, doc_ref) + 1
            if copy_no > 1 and not reprint_reason.strip():
                raise ValidationError(f"{LABELS[kind]}已打印过，重打须填写原因", "重打原因")
            document = _with_copy(document, copy_no)
            pdf = _render(kind, document)
            session.add(
                PrintRecord(
                    document_type=kind.value,
                    document_ref=doc_ref,
                    order_id=order_id,
                    staff_id=actor.staff_id,
                    copy_no=copy_no,
                    reason=reprint_reason.strip(),
                    printed_at=now,
                )
            )
            audit.record(
                session,
                at=now,
                actor=actor,
                action="document.reprint" if copy_no > 1 else "document.print",
                entity="order",
                entity_id=order_id,
                after={
                    "document": kind.value,
                    "ref": doc_ref,
                    "copy_no": copy_no,
                    "reason": reprint_reason.strip() or None,
                },
            )
        return PrintedDocument(kind, pdf, copy_no, f"{doc_ref}-{kind.value}-{copy_no}.pdf")

    def ticket_slip(self, actor: Actor, ticket: TicketView) -> bytes:
        """The kiosk's slip for a ticket just issued (not an order document: no print record)."""
        actor.require(Permission.QUEUE_WORK)
        from hall_app.documents import layouts

        return layouts.render_ticket_slip(
            TicketSlip(
                hall_name=actor.hall_name,
                ticket_no=ticket.ticket_no,
                service_name=ticket.service_name,
                issued_at=ticket.issued_at,
                waiting_ahead=ticket.waiting_ahead,
                estimated_wait_minutes=ticket.estimated_wait_minutes,
                barcode=f"{business_date(ticket.issued_at):%Y%m%d}{ticket.ticket_no}",
            )
        )

    def _load(
        self, session: Session, order_id: uuid.UUID, kind: DocumentKind
    ) -> tuple[str, Document]:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFound("没有这张受理单", "受理单")
        if kind is DocumentKind.WORK_ORDER:
            return self._load_work_order(session, order)
        if kind is DocumentKind.INSTALLMENT_CONTRACT:
            return self._load_contract(session, order)
        hall = session.get_one(Hall, order.hall_id)
        staff = session.get_one(Staff, order.staff_id)
        counter = session.get(Counter, order.counter_id) if order.counter_id else None
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        subscription = (
            session.get(Subscription, order.subscription_id) if order.subscription_id else None
        )
        plan = session.get(Product, subscription.product_id) if subscription else None
        lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).all()
        payments = session.scalars(select(Payment).where(Payment.order_id == order_id)).all()
        wanted = InvoiceKind.RED if kind is DocumentKind.RED_INVOICE else InvoiceKind.BLUE
        invoice = session.scalars(
            select(Invoice)
            .where(Invoice.order_id == order_id, Invoice.kind == wanted)
            .order_by(Invoice.issued_at.desc())
            .limit(1)
        ).first()
        doc_invoice = None
        if invoice is not None:
            inv_lines = session.scalars(
                select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
            ).all()
            issuer = session.get_one(Staff, invoice.issuer_id)
            doc_invoice = DocInvoice(
                invoice_no=invoice.invoice_no,
                kind=invoice.kind.label,
                issued_at=invoice.issued_at,
                buyer_name=invoice.buyer_name,
                buyer_tax_id=invoice.buyer_tax_id,
                seller_name=invoice.seller_name,
                seller_tax_id=invoice.seller_tax_id,
                lines=tuple(
                    DocInvoiceLine(
                        li.item_name,
                        li.quantity,
                        li.unit_price_fen,
                        li.amount_fen,
                        Decimal(li.rate),
                        li.tax_fen,
                    )
                    for li in inv_lines
                ),
                amount_fen=invoice.amount_fen,
                tax_fen=invoice.tax_fen,
                total_fen=invoice.total_fen,
                issuer=issuer.full_name,
                remarks=invoice.remarks,
            )
        if kind is DocumentKind.INVOICE and doc_invoice is None:
            raise ValidationError("这张受理单没有开具发票（预存话费随消费开票）", "发票")
        if kind is DocumentKind.RED_INVOICE and doc_invoice is None:
            raise ValidationError("这张受理单的发票没有红冲过", "发票")
        services = _order_services(session, order)
        if services is not None:
            numbers = services.numbers
            plan_names = services.plans
        elif subscription is not None and plan is not None:
            numbers = ((_number_label(subscription.kind), _number_shown(subscription)),)
            plan_names = (plan.name,)
        else:
            numbers, plan_names = (), ()
        doc_lines = tuple(
            DocLine(
                li.description,
                li.quantity,
                li.unit_price_fen,
                li.amount_fen,
                li.invoiceable,
                _line_note(session, order, li),
                _is_deposit(session, li),
                _is_financed(session, order, li),
                _is_repayment(order, li),
            )
            for li in lines
        )
        document = OrderDocument(
            hall_name=hall.name,
            hall_address=hall.address,
            counter_name=counter.name if counter else "",
            clerk_name=staff.full_name,
            clerk_no=staff.employee_no,
            order_no=order.order_no,
            order_type=_business(order, services),
            created_at=order.submitted_at or order.created_at,  # by the app clock
            customer_name=_customer_shown(order, customer.name) if customer else "",
            customer_id_masked=_id_masked(customer) if customer else "",
            customer_phone_masked=mask_phone(customer.contact_phone)
            if customer and customer.contact_phone
            else "",
            service_number_masked="  ".join(shown for _, shown in numbers),
            plan_name="；".join(plan_names),
            lines=doc_lines,
            payments=tuple(
                DocPayment(
                    p.method.label, p.amount_fen, p.tendered_fen, p.change_fen, p.reference or ""
                )
                for p in payments
            ),
            total_fen=order.total_fen,
            terms=order.terms_text,
            signature_png=order.signature_png,
            invoice=doc_invoice,
            copy_no=1,
            numbers=numbers,
            details=_details(session, order),
            refund=order.order_type is OrderType.HANDSET_RETURN or order.total_fen < 0,
        )
        is_invoice = kind in (DocumentKind.INVOICE, DocumentKind.RED_INVOICE)
        ref = invoice.invoice_no if is_invoice and invoice else order.order_no
        return ref, document

    def document_kinds(self, actor: Actor, order_id: uuid.UUID) -> tuple[DocumentKind, ...]:
        """The documents an order has, in the order a done page or a record offers them: the
        receipt and the form always, the invoice and red invoice when issued, the work order
        of an install, the installment contract of a handset bought in instalments."""
        actor.require(Permission.ORDER_CREATE)
        with self._db.read() as session:
            order = session.get(Order, order_id)
            if order is None:
                raise NotFound("没有这张受理单", "受理单")
            kinds = [DocumentKind.RECEIPT, DocumentKind.ACCEPTANCE_FORM]
            invoices = set(
                session.scalars(select(Invoice.kind).where(Invoice.order_id == order_id))
            )
            if InvoiceKind.BLUE in invoices:
                kinds.append(DocumentKind.INVOICE)
            if InvoiceKind.RED in invoices:
                kinds.append(DocumentKind.RED_INVOICE)
            if _work_order(session, order) is not None:
                kinds.append(DocumentKind.WORK_ORDER)
            if _contract(session, order) is not None:
                kinds.append(DocumentKind.INSTALLMENT_CONTRACT)
        return tuple(kinds)

    def _load_contract(self, session: Session, order: Order) -> tuple[str, ContractDocument]:
        """The installment contract the order made, as signed (its status as of now)."""
        contract = _contract(session, order)
        if contract is None:
            raise ValidationError(f"受理单 {order.order_no} 没有分期付款合同", "分期付款合同")
        hall = session.get_one(Hall, order.hall_id)
        staff = session.get_one(Staff, order.staff_id)
        counter = session.get(Counter, order.counter_id) if order.counter_id else None
        customer = session.get_one(Customer, contract.customer_id)
        device = session.get(Device, contract.device_id) if contract.device_id else None
        product = session.get(Product, device.product_id) if device else None
        instalments = session.scalars(
            select(Instalment).where(Instalment.contract_id == contract.id).order_by(Instalment.seq)
        ).all()
        document = ContractDocument(
            seller_name=hall.seller_name,
            seller_tax_id=hall.seller_tax_id,
            hall_name=hall.name,
            hall_address=hall.address,
            counter_name=counter.name if counter else "",
            clerk_name=staff.full_name,
            clerk_no=staff.employee_no,
            order_no=order.order_no,
            signed_at=contract.signed_at or order.submitted_at or order.created_at,
            customer_name=customer.name,
            customer_id_masked=_id_masked(customer),
            customer_phone_masked=mask_phone(customer.contact_phone)
            if customer.contact_phone
            else "",
            handset_name=product.name if product else "",
            imei=device.imei if device else "",
            warranty_from=device.warranty_from if device else None,
            price_fen=contract.price_fen,
            down_payment_fen=contract.down_payment_fen,
            financed_fen=contract.financed_fen,
            fee_fen=contract.fee_fen,
            monthly_rate=Decimal(contract.monthly_rate) if contract.monthly_rate else None,
            months=contract.months,
            payoff_fee_fen=contract.payoff_fee_fen,
            instalments=tuple(
                DocInstalment(i.seq, i.due_date, i.principal_fen, i.fee_fen, i.amount_fen)
                for i in instalments
            ),
            terms=order.terms_text,
            signature_png=order.signature_png,
            status=_contract_status(contract.status),
            copy_no=1,
        )
        return order.order_no, document

    def _load_work_order(self, session: Session, order: Order) -> tuple[str, WorkOrderDocument]:
        """The order's work order: the open one, else the latest (reprinted after 改约, it
        shows the new window)."""
        wo = _work_order(session, order)
        if wo is None:
            raise ValidationError(f"受理单 {order.order_no} 没有装机工单", "装机工单")
        hall = session.get_one(Hall, order.hall_id)
        staff = session.get_one(Staff, order.staff_id)
        counter = session.get(Counter, order.counter_id) if order.counter_id else None
        customer = session.get(Customer, wo.customer_id)
        team = session.get(InstallerTeam, wo.team_id) if wo.team_id else None
        slot = session.get(InstallSlot, wo.slot_id) if wo.slot_id else None
        services = _services_of(session, wo)
        broadband, landline = services.broadband, services.landline
        sub_ids = [sub.id for sub in (broadband, landline) if sub is not None]
        # What the installer takes or finds there: the equipment this order handed out, and
        # (移机) the equipment the customer already has on the subscription.
        equipment = session.execute(
            select(Equipment, Product.name)
            .join(Product, Product.id == Equipment.product_id)
            .where(
                (Equipment.order_id == order.id)
                | (
                    Equipment.subscription_id.in_(sub_ids)
                    & Equipment.status.in_([EquipmentStatus.LENT, EquipmentStatus.SOLD])
                )
            )
            .order_by(Equipment.serial)
        ).all()
        moved = next((sub for sub in (broadband, landline) if sub is not None), None)
        original = wo.from_address or (  # kept since migration 0012; older: the current one
            moved.address
            if wo.kind is WorkOrderKind.RELOCATE
            and moved is not None
            and moved.address
            and moved.address != wo.address
            else None
        )
        document = WorkOrderDocument(
            hall_name=hall.name,
            hall_address=hall.address,
            counter_name=counter.name if counter else "",
            clerk_name=staff.full_name,
            clerk_no=staff.employee_no,
            work_order_no=wo.work_order_no,
            order_no=order.order_no,
            order_type=_business(order, services),
            kind=wo.kind.label,
            status=wo.status.label,
            created_at=order.submitted_at or order.created_at,  # by the app clock
            customer_name=customer.name if customer else "",
            contact_name=wo.contact_name,
            contact_phone_masked=mask_phone(wo.contact_phone),
            address=wo.address,
            community=wo.community,
            technology=wo.technology,
            broadband_account=broadband.service_number if broadband else None,
            landline_number=landline_display(landline.service_number) if landline else None,
            plans=services.plans,
            window_day=local(wo.window_start).date(),
            window_label=window_label(self._rules, slot.window if slot else None, wo.window_start),
            window_start=wo.window_start,
            window_end=wo.window_end,
            promised_date=wo.promised_date,
            promised_provisional=wo.promised_provisional or bool(slot and slot.provisional),
            team_name=team.name if team else "",
            team_leader=team.leader if team else "",
            team_phone=team.phone if team else "",
            installation_fee_fen=wo.installation_fee_fen,
            equipment=tuple(
                DocEquipment(e.serial, name, e.mode.label if e.mode else "", e.deposit_fen)
                for e, name in equipment
            ),
            reschedules=wo.reschedules,
            copy_no=1,
            original_address=original,
        )
        return wo.work_order_no, document


def _id_masked(customer: Customer) -> str:
    """A person's ID masked; a company's credit code as it is (it is public)."""
    return mask_id_number(customer.id_number) if customer.id_number else customer.uscc or ""


def _contract(session: Session, order: Order) -> InstallmentContract | None:
    return session.scalars(
        select(InstallmentContract)
        .where(InstallmentContract.order_id == order.id)
        .order_by(InstallmentContract.created_at.desc())
        .limit(1)
    ).first()


def _contract_status(status: str) -> str:
    try:
        return ContractStatus(status).label
    except ValueError:
        return status


def _details(session: Session, order: Order) -> tuple[tuple[str, str], ...]:
    """What a handset order's receipt and form say beside the lines: the unit's IMEI and its
    warranty's first day, a contract phone's commitment, the instalments bought or repaid."""
    rows: list[tuple[str, str]] = []
    devices = session.execute(
        select(Device, Product.name)
        .join(Product, Product.id == Device.product_id)
        .where(Device.order_id == order.id)
        .order_by(Device.imei)
    ).all()
    for device, name in devices:
        if len(devices) > 1:
            rows.append(("终端", name))
        rows.append(("串号（IMEI）", device.imei))
        if device.warranty_from is not None:
            rows.append(("保修起始日期", f"{device.warranty_from:%Y-%m-%d}"))
    for commitment in session.scalars(
        select(HandsetCommitment).where(HandsetCommitment.order_id == order.id)
    ):
        sub = session.get(Subscription, commitment.subscription_id)
        rows.append(
            (
                "合约期限",
                f"{commitment.months} 个月（{commitment.starts_on:%Y-%m-%d} 至 "
                f"{commitment.ends_on:%Y-%m-%d}）",
            )
        )
        rows.append(("最低月消费", format_yuan(commitment.min_plan_fen)))
        if sub is not None and sub.id != order.subscription_id:  # else it is 业务号码
            rows.append(("合约号码", _number_shown(sub)))
        rows.append(("提前解约", "须退还未履约月份的购机补贴"))
    contract = _contract(session, order)
    if contract is not None:  # the first instalment is on the financed line already
        rows.append(
            (
                "分期付款",
                f"首付 {format_yuan(contract.down_payment_fen)}，"
                f"分期本金 {format_yuan(contract.financed_fen)}，共 {contract.months} 期",
            )
        )
        rows.append(("还款计划", "详见《分期付款合同》"))
    if order.order_type is OrderType.INSTALMENT_PAYMENT:
        rows.extend(_repayment(session, order))
    if order.details_json:  # what the order type said at completion (bills, account changes)
        rows.extend((str(label), str(value)) for label, value in json.loads(order.details_json))
    return tuple(rows)


def _repayment(session: Session, order: Order) -> list[tuple[str, str]]:
    """A repayment's contract, the instalments it paid, and what was left after it (as of
    that payment, so a reprint later says the same)."""
    paid = session.scalars(
        select(Instalment).where(Instalment.paid_order_id == order.id).order_by(Instalment.seq)
    ).all()
    if not paid:
        return []
    contract = session.get_one(InstallmentContract, paid[0].contract_id)
    sale = session.get(Order, contract.order_id)
    device = session.get(Device, contract.device_id) if contract.device_id else None
    product = session.get(Product, device.product_id) if device else None
    seqs = [i.seq for i in paid]
    consecutive = seqs == list(range(seqs[0], seqs[-1] + 1))
    shown = (
        f"第 {seqs[0]}–{seqs[-1]} 期"
        if len(seqs) > 2 and consecutive
        else "第 " + "、".join(str(s) for s in seqs) + " 期"
    )
    when = max((i.paid_at for i in paid if i.paid_at is not None), default=None)
    others = session.scalars(
        select(Instalment).where(
            Instalment.contract_id == contract.id,
            or_(Instalment.paid_order_id.is_(None), Instalment.paid_order_id != order.id),
        )
    )
    rest = [i for i in others if i.paid_at is None or (when is not None and i.paid_at > when)]
    rows = [
        (
            "分期合同",
            f"{sale.order_no if sale else ''}（{product.name if product else '终端'}，"
            f"共 {contract.months} 期）",
        ),
        ("本次还款", f"{shown}，共 {len(seqs)} 期"),
    ]
    if rest:
        rows.append(("剩余未还", f"{len(rest)} 期，{format_yuan(sum(i.amount_fen for i in rest))}"))
    else:
        ended = "已提前结清" if contract.status == ContractStatus.PAID_OFF.value else "已全部还清"
        rows.append(("剩余未还", f"无，合同{ended}"))
    return rows


def _is_deposit(session: Session, line: OrderLine) -> bool:
    """A modem's or router's deposit: not invoiced, refunded when the equipment comes back
    (not a prepayment, which is invoiced as it is consumed)."""
    if line.invoiceable or line.product_id is None:
        return False
    product = session.get(Product, line.product_id)
    return product is not None and product.kind is ProductKind.EQUIPMENT


def _is_financed(session: Session, order: Order, line: OrderLine) -> bool:
    """An installment sale's financed part: negative, not invoiced, on the handset."""
    if line.invoiceable or order.order_type is not OrderType.HANDSET_SALE:
        return False
    product = session.get(Product, line.product_id) if line.product_id else None
    return line.amount_fen < 0 and (product is None or product.kind is ProductKind.HANDSET)


def _is_repayment(order: Order, line: OrderLine) -> bool:
    return not line.invoiceable and order.order_type is OrderType.INSTALMENT_PAYMENT


def _line_note(session: Session, order: Order, line: OrderLine) -> str:
    if not line.invoiceable:
        if _is_deposit(session, line):
            return DEPOSIT_NOTE
        if _is_financed(session, order, line):
            return FINANCED_NOTE
        if _is_repayment(order, line):
            return REPAYMENT_NOTE
        return PREPAID_NOTE
    promotion = session.get(Promotion, line.promotion_id) if line.promotion_id else None
    if promotion is not None:
        return f"前 {promotion.discount_months} 个月每月减 {format_yuan(-line.amount_fen)}"
    return ""


@dataclass(frozen=True)
class _Services:
    """The broadband and landline a work order names, their numbers as shown and their plans
    (a fusion-bundled broadband under the bundle's name)."""

    broadband: Subscription | None
    landline: Subscription | None
    numbers: tuple[tuple[str, str], ...]
    plans: tuple[str, ...]


def _work_order(session: Session, order: Order) -> WorkOrder | None:
    """The order's work order: the open one, else the latest (reprinted after 改约, it shows
    the new window)."""
    work_orders = session.scalars(
        select(WorkOrder)
        .where(WorkOrder.order_id == order.id)
        .order_by(WorkOrder.created_at.desc())
    ).all()
    if not work_orders:
        return None
    return next((w for w in work_orders if w.status in OPEN), work_orders[0])


def _services_of(session: Session, wo: WorkOrder) -> _Services:
    numbers: list[tuple[str, str]] = []
    plans: list[str] = []
    found: list[Subscription | None] = []
    for sub_id in (wo.broadband_subscription_id, wo.landline_subscription_id):
        sub = session.get(Subscription, sub_id) if sub_id else None
        found.append(sub)
        if sub is None:
            continue
        numbers.append((_number_label(sub.kind), _number_shown(sub)))
        plan = session.get_one(Product, sub.product_id)
        bundle = session.get(FusionBundle, sub.bundle_id) if sub.bundle_id else None
        plans.append(f"{bundle.name}（{plan.name}）" if bundle else plan.name)
    return _Services(found[0], found[1], tuple(numbers), tuple(plans))


def _order_services(session: Session, order: Order) -> _Services | None:
    """A broadband or landline order's services, from its work order (an order with both has
    one subscription on the order row but two on the work order)."""
    wo = _work_order(session, order)
    return _services_of(session, wo) if wo is not None else None


def _customer_shown(order: Order, name: str) -> str:
    """The customer's name as printed: a top-up's masked (张*), since whoever pays for it
    takes the receipt, and may not be the number's owner."""
    return mask_name(name) if order.order_type is OrderType.TOP_UP else name


def _business(order: Order, services: _Services | None) -> str:
    """受理业务: 新装宽带+固话 when one order installs both."""
    installs = (OrderType.BROADBAND_INSTALL, OrderType.LANDLINE_INSTALL)
    if (
        services is not None
        and services.broadband is not None
        and services.landline is not None
        and order.order_type in installs
    ):
        return "新装宽带+固话"
    return order.order_type.label


def _number_label(kind: SubscriptionKind) -> str:
    return {
        SubscriptionKind.BROADBAND: "宽带账号",
        SubscriptionKind.LANDLINE: "固话号码",
    }.get(kind, "业务号码")


def _number_shown(sub: Subscription) -> str:
    """A mobile number masked, a landline as it is written (0591-87654321), an account as is."""
    if sub.kind is SubscriptionKind.MOBILE:
        return mask_phone(sub.service_number)
    if sub.kind is SubscriptionKind.LANDLINE:
        return landline_display(sub.service_number)
    return sub.service_number


def _render(kind: DocumentKind, document: Document) -> bytes:
    # reportlab loads on the first print, not at start-up
    from hall_app.documents import layouts

    if isinstance(document, ContractDocument):
        from hall_app.documents.contract import render_installment_contract

        return render_installment_contract(document)
    if isinstance(document, WorkOrderDocument):
        from hall_app.documents.work_order import render_work_order

        return render_work_order(document)

    render = {
        DocumentKind.RECEIPT: layouts.render_receipt,
        DocumentKind.ACCEPTANCE_FORM: layouts.render_acceptance,
        DocumentKind.INVOICE: layouts.render_invoice,
        DocumentKind.RED_INVOICE: layouts.render_invoice,
    }[kind]
    return render(document)


def _with_copy(document: Document, copy_no: int) -> Document:
    from dataclasses import replace

    return replace(document, copy_no=copy_no)
