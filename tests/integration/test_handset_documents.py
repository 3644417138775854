"""Handset documents: the installment contract PDF (every instalment in figures and in
capitals, the masked ID, the IMEI, the early-payoff rule, 24 instalments over pages), the
IMEI, 保修起始日期 and the contract-phone commitment on the receipt and the acceptance form,
and the receipts of a repayment and of a return (退款).

Most sale rows are written directly, as the sale and instalment services leave them (so each
case is pinned exactly); the last tests print the documents of sales made by
``HandsetService.sell``."""

from __future__ import annotations

import io
import os
import subprocess
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from hall_app.app import HallApp
from hall_app.db.models import (
    Customer,
    Device,
    HandsetCommitment,
    InstallmentContract,
    Instalment,
    Order,
    OrderLine,
    Payment,
    PrintRecord,
    Product,
    Subscription,
)
from hall_app.domain.enums import (
    ContractStatus,
    CustomerKind,
    DeviceStatus,
    OrderState,
    OrderType,
    PaymentMethod,
    ProductKind,
    SaleMode,
    SubscriptionKind,
    SubscriptionStatus,
)
from hall_app.domain.errors import ValidationError
from hall_app.domain.handsets import commitment_end, handset_line_text, schedule
from hall_app.domain.masking import mask_id_number, mask_phone
from hall_app.domain.money import capital_amount, format_yuan
from hall_app.domain.telecom import luhn_check_digit
from hall_app.services.actor import Actor
from hall_app.services.documents import DocumentKind
from hall_app.services.handsets import HandsetSaleRequest
from tests.handset_fixtures import (
    INSTALMENT_FEE,
    PAYOFF_FEE,
    prepare_handsets,
    sale_request,
    signed,
)

SHOTS = os.environ.get("HALL_DOC_SHOTS")  # a folder: the PDFs rendered to PNG there too
SALE_AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in the hall
SALE_DAY = date(2026, 11, 24)
PRICE = 699_900  # ¥6,999.00
DOWN = 100_000
IMEI = "99001234567890" + luhn_check_digit("99001234567890")  # clear of the demo stock
OTHER_IMEI = "99001234567891" + luhn_check_digit("99001234567891")


def _signature() -> bytes:
    image = Image.new("RGBA", (300, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (60, 20), (110, 70), (160, 20), (220, 65)], "black", 3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _pdf(pdf: bytes, tmp_path: Path, name: str) -> tuple[str, str]:
    """(text, pdfinfo) of a PDF."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    if SHOTS:
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), f"{SHOTS}/{name}"], check=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return text, info.stdout


class _Flat(str):
    """The text without whitespace: pdftotext spaces words by the layout (第1期, 第 1 期)."""

    __slots__ = ()

    def __contains__(self, part: object) -> bool:
        return isinstance(part, str) and "".join(part.split()) in str(self)


def _flat(text: str) -> _Flat:
    return _Flat("".join(text.split()))


def _pages(info: str) -> int:
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


@dataclass(frozen=True)
class Sale:
    order_id: uuid.UUID
    order_no: str
    contract_id: uuid.UUID | None
    customer_id: uuid.UUID
    id_number: str
    handset: str
    imei: str


def _adult(hall: HallApp) -> Customer:
    with hall.db.read() as s:
        customer = s.scalars(
            select(Customer)
            .where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.id_number.is_not(None),
                Customer.contact_phone.is_not(None),
                Customer.birth_date < date(2000, 1, 1),
            )
            .order_by(Customer.id)
            .limit(1)
        ).one()
        s.expunge(customer)
        return customer


def _order(clerk: Actor, customer_id: uuid.UUID, kind: OrderType, no: str, total: int) -> Order:
    return Order(
        order_no=no,
        order_type=kind,
        state=OrderState.COMPLETED,
        hall_id=clerk.hall_id,
        counter_id=clerk.counter_id,
        staff_id=clerk.staff_id,
        customer_id=customer_id,
        total_fen=total,
        submitted_at=SALE_AT,
        completed_at=SALE_AT,
    )


def _installment_sale(
    hall: HallApp,
    clerk: Actor,
    months: int,
    *,
    fee_fen: int = 0,
    monthly_rate: Decimal = Decimal(0),
    payoff_fee_fen: int = 5_000,
    no: str = "SL202611249001",
) -> Sale:
    """An installment sale as ``HandsetService.sell`` leaves it: the order with the handset
    and financed lines and the down payment, the unit sold, the contract and its schedule."""
    customer = _adult(hall)
    financed = PRICE - DOWN
    rows = schedule(financed, months, SALE_DAY, fee_fen=fee_fen, monthly_rate=monthly_rate)
    terms = "分期付款条款：\n" + "\n".join(
        f"第 {r.seq} 期 {r.due_date:%Y-%m-%d} 应还 {format_yuan(r.amount_fen)}" for r in rows
    )
    with hall.db.unit_of_work() as s:
        product = s.scalars(
            select(Product).where(Product.kind == ProductKind.HANDSET).order_by(Product.code)
        ).first()
        assert product is not None
        order = _order(clerk, customer.id, OrderType.HANDSET_SALE, no, DOWN)
        order.terms_text = terms
        order.signature_png = _signature()
        s.add(order)
        s.flush()
        s.add_all(
            [
                OrderLine(
                    order_id=order.id,
                    product_id=product.id,
                    description=handset_line_text(product.name, IMEI),
                    unit_price_fen=PRICE,
                    amount_fen=PRICE,
                    invoiceable=True,
                ),
                OrderLine(
                    order_id=order.id,
                    product_id=product.id,
                    description=f"分期付款：{months} 期（分期本金）",
                    unit_price_fen=-financed,
                    amount_fen=-financed,
                    invoiceable=False,
                ),
                Payment(
                    order_id=order.id,
                    customer_id=customer.id,
                    staff_id=clerk.staff_id,
                    method=PaymentMethod.CASH,
                    amount_fen=DOWN,
                    tendered_fen=100_000,
                    change_fen=100,
                    paid_at=SALE_AT,
                ),
            ]
        )
        device = Device(
            product_id=product.id,
            imei=IMEI,
            status=DeviceStatus.SOLD,
            hall_id=clerk.hall_id,
            location="客户",
            order_id=order.id,
            customer_id=customer.id,
            sold_at=SALE_AT,
            warranty_from=SALE_DAY,
        )
        s.add(device)
        s.flush()
        contract = InstallmentContract(
            order_id=order.id,
            customer_id=customer.id,
            device_id=device.id,
            price_fen=PRICE,
            down_payment_fen=DOWN,
            financed_fen=financed,
            fee_fen=sum(r.fee_fen for r in rows),
            months=months,
            credit_approved=True,
            status=ContractStatus.ACTIVE.value,
            monthly_rate=monthly_rate or None,
            payoff_fee_fen=payoff_fee_fen,
            signed_at=SALE_AT,
        )
        s.add(contract)
        s.flush()
        s.add_all(
            Instalment(
                contract_id=contract.id,
                seq=r.seq,
                due_date=r.due_date,
                amount_fen=r.amount_fen,
                principal_fen=r.principal_fen,
                fee_fen=r.fee_fen,
            )
            for r in rows
        )
        assert customer.id_number
        return Sale(order.id, no, contract.id, customer.id, customer.id_number, product.name, IMEI)


@pytest.fixture
def sale24(hall: HallApp, clerk: Actor) -> Sale:
    return _installment_sale(hall, clerk, 24, monthly_rate=Decimal("0.005"))


def test_contract_lists_every_instalment_in_figures_and_capitals(
    hall: HallApp, clerk: Actor, sale24: Sale, tmp_path: Path
) -> None:
    printed = hall.documents.print_document(
        clerk, sale24.order_id, DocumentKind.INSTALLMENT_CONTRACT
    )
    text, info = _pdf(printed.pdf, tmp_path, "installment_contract_24")
    flat = _flat(text)
    with hall.db.read() as s:
        rows = s.scalars(
            select(Instalment)
            .where(Instalment.contract_id == sale24.contract_id)
            .order_by(Instalment.seq)
        ).all()
        assert len(rows) == 24
        for row in rows:  # each row: number, due date, amount, amount in capitals
            assert (
                f"第 {row.seq} 期 {row.due_date:%Y-%m-%d} {format_yuan(row.principal_fen)} "
                f"{format_yuan(row.fee_fen)} {format_yuan(row.amount_fen)} "
                f"{capital_amount(row.amount_fen)}"
            ) in flat
        # the rounding remainder sits on the last instalment, and the sum is exact
        assert (rows[0].principal_fen, rows[-1].principal_fen) == (24_995, 25_015)
        repaid = sum(r.amount_fen for r in rows)
    financed = PRICE - DOWN
    assert repaid == financed + 71_988  # 5,999.00 × 0.5 % × 24
    assert f"总价款： {format_yuan(DOWN + repaid)}（{capital_amount(DOWN + repaid)}）" in flat
    assert f"首付款： {format_yuan(DOWN)}（{capital_amount(DOWN)}）" in flat
    assert f"分期本金： {format_yuan(financed)}（{capital_amount(financed)}）" in flat
    assert "月费率 0.5% × 24 期，计 ¥719.88" in flat
    # the parties, the ID masked; the handset and its IMEI
    assert mask_id_number(sale24.id_number) in text and sale24.id_number not in text
    assert "中国电信股份有限公司福州分公司" in text
    assert sale24.imei in text and sale24.handset in flat and "保修起始日期： 2026-11-24" in flat
    # the early-payoff rule with its fee in capitals
    assert "尚未归还的分期本金，加提前结清手续费 ¥50.00（伍拾元整）" in flat
    assert "已到期各期的手续费照付，仅尚未到期各期的手续费免收；手续费收取时开具发票" in flat
    # the terms signed, the date, the order number; A4 over more than one page, numbered
    assert "第 24 期 2028-11-24 应还" in flat and "签署日期：2026-11-24" in flat
    assert sale24.order_no in text and "四、还款计划（续）" in text
    pages = _pages(info)
    assert pages > 1 and f"第 {pages} 页 共 {pages} 页" in flat and "第 1 页 共" in flat
    assert "595.276 x 841.89 pts (A4)" in info
    assert "重打" not in text


def test_a_short_contract_with_a_stated_fee_fits_one_page(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    sale = _installment_sale(hall, clerk, 3, fee_fen=10_000, payoff_fee_fen=0)
    shown = hall.documents.preview_document(clerk, sale.order_id, DocumentKind.INSTALLMENT_CONTRACT)
    text, info = _pdf(shown.pdf, tmp_path, "installment_contract_3")
    flat = _flat(text)
    # 5,999.00 + 100.00 over 3: 1,999.66 + 33.33 twice, then 1,999.68 + 33.34
    for seq, amount in ((1, 203_299), (2, 203_299), (3, 203_302)):
        assert f"第 {seq} 期" in flat and f"{format_yuan(amount)} {capital_amount(amount)}" in flat
    assert "¥1,999.68 ¥33.34 ¥2,033.02 贰仟零叁拾叁元零贰分" in flat
    assert "分期手续费： ¥100.00" in flat and "不收提前结清手续费" in flat
    assert _pages(info) == 1 and "第 1 页 共 1 页" in flat
    with hall.db.read() as s:  # a preview records nothing
        assert not s.scalars(select(PrintRecord).where(PrintRecord.order_id == sale.order_id)).all()


def test_the_contract_is_offered_only_for_an_order_that_has_one(
    hall: HallApp, clerk: Actor, sale24: Sale, tmp_path: Path
) -> None:
    kinds = hall.documents.document_kinds(clerk, sale24.order_id)
    assert DocumentKind.INSTALLMENT_CONTRACT in kinds and DocumentKind.WORK_ORDER not in kinds
    with hall.db.read() as s:
        other = s.scalars(
            select(Order.id).where(Order.order_type == OrderType.OPEN_MOBILE).limit(1)
        ).one()
    assert DocumentKind.INSTALLMENT_CONTRACT not in hall.documents.document_kinds(clerk, other)
    with pytest.raises(ValidationError) as err:
        hall.documents.preview_document(clerk, other, DocumentKind.INSTALLMENT_CONTRACT)
    assert err.value.field == "分期付款合同"


def test_a_contract_reprint_needs_a_reason_and_is_stamped(
    hall: HallApp, clerk: Actor, sale24: Sale, tmp_path: Path
) -> None:
    kind = DocumentKind.INSTALLMENT_CONTRACT
    hall.documents.print_document(clerk, sale24.order_id, kind)
    with pytest.raises(ValidationError):
        hall.documents.print_document(clerk, sale24.order_id, kind)
    again = hall.documents.print_document(clerk, sale24.order_id, kind, "客户要求补打")
    text, _ = _pdf(again.pdf, tmp_path, "contract_again")
    assert again.copy_no == 2 and "重打 第2次" in text
    assert again.filename == f"{sale24.order_no}-installment_contract-2.pdf"


def test_installment_sale_receipt_and_form_show_imei_warranty_and_first_instalment(
    hall: HallApp, clerk: Actor, sale24: Sale, tmp_path: Path
) -> None:
    receipt, _ = _pdf(
        hall.documents.print_document(clerk, sale24.order_id, DocumentKind.RECEIPT).pdf,
        tmp_path,
        "receipt_installment",
    )
    flat = _flat(receipt)
    assert f"串号（IMEI）：{IMEI}" in flat and "保修起始日期：2026-11-24" in flat
    assert "分期付款：首付 ¥1,000.00，分期本金 ¥5,999.00，共 24 期" in flat
    assert "还款计划：详见《分期付款合同》" in flat
    assert capital_amount(DOWN) in receipt  # what was paid today: the down payment
    assert "分期款项按《分期付款合同》逐期归还" in receipt
    assert "预存话费发票" not in receipt  # the financed line is not a prepayment
    form, info = _pdf(
        hall.documents.print_document(clerk, sale24.order_id, DocumentKind.ACCEPTANCE_FORM).pdf,
        tmp_path,
        "form_installment",
    )
    flat = _flat(form)
    assert f"串号（IMEI）： {IMEI}" in flat and "保修起始日期： 2026-11-24" in flat
    assert "分期支付，按分期付款合同逐期归还" in flat and "预存，不开具" not in flat
    # the signed schedule runs over the page, and the signature follows it
    assert _pages(info) == 2 and "第 24 期 2028-11-24 应还" in flat
    assert flat.index("第24期2028-11-24应还") < flat.index("客户签名")


def test_contract_phone_receipt_and_form_show_the_commitment(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    with hall.db.unit_of_work() as s:
        sub = s.scalars(
            select(Subscription)
            .where(
                Subscription.kind == SubscriptionKind.MOBILE,
                Subscription.status == SubscriptionStatus.ACTIVE,
            )
            .limit(1)
        ).one()
        product = s.scalars(select(Product).where(Product.kind == ProductKind.HANDSET)).first()
        assert product is not None and sub.customer_id is not None
        order = _order(clerk, sub.customer_id, OrderType.HANDSET_SALE, "SL202611249002", 499_900)
        order.subscription_id = sub.id
        s.add(order)
        s.flush()
        s.add(
            OrderLine(
                order_id=order.id,
                product_id=product.id,
                description=handset_line_text(product.name, OTHER_IMEI),
                unit_price_fen=499_900,
                amount_fen=499_900,
            )
        )
        device = Device(
            product_id=product.id,
            imei=OTHER_IMEI,
            status=DeviceStatus.SOLD,
            order_id=order.id,
            customer_id=sub.customer_id,
            subscription_id=sub.id,
            sold_at=SALE_AT,
            warranty_from=SALE_DAY,
        )
        s.add(device)
        s.flush()
        s.add(
            HandsetCommitment(
                order_id=order.id,
                customer_id=sub.customer_id,
                subscription_id=sub.id,
                device_id=device.id,
                subsidy_fen=120_000,
                months=24,
                min_plan_fen=12_900,
                starts_on=SALE_DAY,
                ends_on=commitment_end(SALE_DAY, 24),
                status=ContractStatus.ACTIVE,
            )
        )
        order_id, number = order.id, sub.service_number
    ends = commitment_end(SALE_DAY, 24)
    for kind, sep in ((DocumentKind.RECEIPT, "："), (DocumentKind.ACCEPTANCE_FORM, "： ")):
        text, _ = _pdf(
            hall.documents.print_document(clerk, order_id, kind).pdf, tmp_path, f"contract_{kind}"
        )
        flat = _flat(text)
        assert f"合约期限{sep}24 个月（2026-11-24 至 {ends:%Y-%m-%d}）" in flat
        assert f"最低月消费{sep}¥129.00" in flat and f"号码{sep}{mask_phone(number)}" in flat
        assert f"串号（IMEI）{sep}{OTHER_IMEI}" in flat and number not in text
        assert "预存话费发票" not in text and DocumentKind.INSTALLMENT_CONTRACT not in (
            hall.documents.document_kinds(clerk, order_id)
        )


def test_repayment_receipt_names_the_contract_the_instalments_and_what_is_left(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    sale = _installment_sale(hall, clerk, 12, fee_fen=12_000)
    paid_at = SALE_AT + timedelta(days=40)
    with hall.db.unit_of_work() as s:
        first, second = s.scalars(
            select(Instalment)
            .where(Instalment.contract_id == sale.contract_id)
            .order_by(Instalment.seq)
            .limit(2)
        ).all()
        total = first.amount_fen + second.amount_fen
        order = _order(
            clerk, sale.customer_id, OrderType.INSTALMENT_PAYMENT, "SL202701039001", total
        )
        order.submitted_at = order.completed_at = paid_at
        s.add(order)
        s.flush()
        for inst in (first, second):
            s.add(
                OrderLine(
                    order_id=order.id,
                    description=f"分期还款：{sale.order_no} 第 {inst.seq}/12 期"
                    f"（到期 {inst.due_date:%Y-%m-%d}）",
                    unit_price_fen=inst.amount_fen,
                    amount_fen=inst.amount_fen,
                    invoiceable=False,
                )
            )
            inst.paid_at, inst.paid_order_id = paid_at, order.id
        s.add(
            Payment(
                order_id=order.id,
                customer_id=sale.customer_id,
                staff_id=clerk.staff_id,
                method=PaymentMethod.QR_WALLET,
                amount_fen=total,
                reference="WX2027010300001",
                paid_at=paid_at,
            )
        )
        rest = s.scalars(
            select(Instalment.amount_fen).where(
                Instalment.contract_id == sale.contract_id, Instalment.paid_at.is_(None)
            )
        ).all()
        order_id = order.id
    text, _ = _pdf(
        hall.documents.print_document(clerk, order_id, DocumentKind.RECEIPT).pdf,
        tmp_path,
        "receipt_repayment",
    )
    flat = _flat(text)
    assert f"分期合同：{sale.order_no}（{sale.handset}" in flat
    assert "本次还款：第 1、2 期，共 2 期" in flat
    assert f"剩余未还：10 期，{format_yuan(sum(rest))}" in flat
    assert f"分期还款：{sale.order_no} 第 1/12 期" in flat and capital_amount(total) in text
    assert "分期本金不另开发票" in text and "预存话费发票" not in text
    assert "分期手续费已开具" not in text  # these rows took no fee: no invoice
    assert "扫码支付" in text and "退款" not in text


def test_return_receipt_reads_as_a_refund(hall: HallApp, clerk: Actor, tmp_path: Path) -> None:
    customer = _adult(hall)
    with hall.db.unit_of_work() as s:
        order = _order(clerk, customer.id, OrderType.HANDSET_RETURN, "SL202611249003", -499_900)
        s.add(order)
        s.flush()
        s.add(
            OrderLine(
                order_id=order.id,
                description=f"退货：华为 Mate 70（IMEI {IMEI}）",
                unit_price_fen=-499_900,
                amount_fen=-499_900,
            )
        )
        s.add(
            Payment(
                order_id=order.id,
                customer_id=customer.id,
                staff_id=clerk.staff_id,
                method=PaymentMethod.BANK_CARD,
                amount_fen=-499_900,
                reference="6222****1234",
                paid_at=SALE_AT,
            )
        )
        order_id = order.id
    text, _ = _pdf(
        hall.documents.print_document(clerk, order_id, DocumentKind.RECEIPT).pdf,
        tmp_path,
        "receipt_return",
    )
    flat = _flat(text)
    assert "业务退款小票" in text and "收费小票" not in text
    assert "退款合计 ¥4,999.00" in flat and "银行卡退款 ¥4,999.00" in flat
    assert f"大写：{capital_amount(499_900)}" in flat and "负" not in text
    assert "退款按原支付方式退回" in text
    form, _ = _pdf(
        hall.documents.print_document(clerk, order_id, DocumentKind.ACCEPTANCE_FORM).pdf,
        tmp_path,
        "form_return",
    )
    assert "三、退款" in form and "退款合计" in form


# -- the documents of sales made by HandsetService.sell --------------------------------------


def _approved(hall: HallApp, clerk: Actor, req: HandsetSaleRequest) -> HandsetSaleRequest:
    assert req.offer_id is not None
    credit = hall.handsets.assess_credit(
        clerk, req.customer_id, req.product_id, req.offer_id, req.down_payment_fen
    )
    return replace(req, credit_assessment_id=credit.assessment_id)


def test_documents_of_an_installment_sale_made_by_the_sale_service(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    st = prepare_handsets(hall)
    req = signed(hall, clerk, _approved(hall, clerk, sale_request(st, SaleMode.INSTALLMENT)))
    req = replace(req, signature_png=_signature())  # a real image: the contract prints it
    sold = hall.handsets.sell(clerk, req)
    assert sold.contract_id is not None
    kinds = hall.documents.document_kinds(clerk, sold.order_id)
    assert DocumentKind.INSTALLMENT_CONTRACT in kinds and DocumentKind.INVOICE in kinds
    contract = hall.documents.print_document(
        clerk, sold.order_id, DocumentKind.INSTALLMENT_CONTRACT
    )
    text, _ = _pdf(contract.pdf, tmp_path, "sold_contract")
    flat = _flat(text)
    with hall.db.read() as s:
        rows = s.execute(
            select(
                Instalment.seq,
                Instalment.due_date,
                Instalment.principal_fen,
                Instalment.fee_fen,
                Instalment.amount_fen,
            )
            .where(Instalment.contract_id == sold.contract_id)
            .order_by(Instalment.seq)
        ).all()
        id_number = s.get_one(Customer, req.customer_id).id_number
    assert len(rows) == 12
    for row in rows:
        assert (
            f"第 {row.seq} 期 {row.due_date:%Y-%m-%d} {format_yuan(row.principal_fen)} "
            f"{format_yuan(row.fee_fen)} {format_yuan(row.amount_fen)} "
            f"{capital_amount(row.amount_fen)}"
        ) in flat
    assert f"分期手续费：{format_yuan(INSTALMENT_FEE)}" in flat
    assert f"加提前结清手续费 {format_yuan(PAYOFF_FEE)}（{capital_amount(PAYOFF_FEE)}）" in flat
    assert st.imeis[0] in text and st.product_name in flat
    assert id_number and mask_id_number(id_number) in text and id_number not in text
    for line in req.terms_text.splitlines():  # the terms as signed, every line
        assert line in flat
    receipt, _ = _pdf(
        hall.documents.print_document(clerk, sold.order_id, DocumentKind.RECEIPT).pdf,
        tmp_path,
        "sold_receipt",
    )
    flat = _flat(receipt)
    assert f"串号（IMEI）：{st.imeis[0]}" in flat and "保修起始日期：2026-11-24" in flat
    # the sale's financed line names the first instalment (wrapped beside its amount)
    assert f"首期 {rows[0].due_date:%Y-%m-%d}" in flat and format_yuan(rows[0].amount_fen) in flat
    assert "预存话费发票" not in receipt and capital_amount(sold.total_fen) in receipt


def test_receipt_of_a_contract_phone_sold_by_the_sale_service(
    hall: HallApp, clerk: Actor, tmp_path: Path
) -> None:
    st = prepare_handsets(hall)
    sold = hall.handsets.sell(clerk, signed(hall, clerk, sale_request(st, SaleMode.CONTRACT)))
    text, _ = _pdf(
        hall.documents.print_document(clerk, sold.order_id, DocumentKind.RECEIPT).pdf,
        tmp_path,
        "sold_contract_receipt",
    )
    flat = _flat(text)
    assert "合约期限：24 个月（2026-11-24 至 2028-11-23）" in flat
    assert f"串号（IMEI）：{st.imeis[0]}" in flat and "最低月消费：" in flat
    assert DocumentKind.INSTALLMENT_CONTRACT not in hall.documents.document_kinds(
        clerk, sold.order_id
    )
