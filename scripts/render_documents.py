"""Opens a demo order (pretty number, cash + QR, signature) on a copy of a demo database,
prints its receipt, acceptance form and invoice plus a reprint, and times the rendering.
Usage: python scripts/render_documents.py sqlite:///path/to/demo-copy.sqlite3 OUT_DIR"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
OUT = sys.argv[2]
Path(OUT).mkdir(parents=True, exist_ok=True)
from sqlalchemy import select  # noqa: E402

from hall_app.app import build_app  # noqa: E402
from hall_app.config import Settings  # noqa: E402
from hall_app.db.models import Customer, SimCard, Subscription  # noqa: E402
from hall_app.domain.enums import (  # noqa: E402
    CustomerKind,
    FaceCheckMethod,
    PaymentMethod,
    SimStatus,
    SubscriptionKind,
)
from hall_app.domain.payments import PaymentInput  # noqa: E402
from hall_app.services.documents import DocumentKind  # noqa: E402
from hall_app.services.numbers import NumberFilter  # noqa: E402
from hall_app.services.orders import OpenMobileRequest  # noqa: E402

hall = build_app(Settings.load(env={}, db_url=sys.argv[1]))
clerk = hall.auth.log_in("clerk1", "hall1234")
with hall.db.read() as s:
    cid = s.scalars(
        select(Customer.id)
        .where(
            Customer.kind == CustomerKind.INDIVIDUAL,
            Customer.guardian_id.is_(None),
            ~Customer.id.in_(
                select(Subscription.customer_id).where(Subscription.kind == SubscriptionKind.MOBILE)
            ),
        )
        .limit(1)
    ).one()
    iccid = s.scalars(
        select(SimCard.iccid).where(SimCard.status == SimStatus.IN_STOCK).limit(1)
    ).one()
number = hall.numbers.find_numbers(clerk, NumberFilter(tier_code="T3"))[0].number
hall.numbers.reserve_number(clerk, number)
import io  # noqa: E402

from PIL import Image, ImageDraw  # noqa: E402

img = Image.new("RGBA", (400, 120), (255, 255, 255, 0))
d = ImageDraw.Draw(img)
d.line(
    [(20, 80), (80, 30), (140, 90), (200, 40), (260, 85), (330, 35)],
    fill=(20, 20, 120, 255),
    width=5,
)
buf = io.BytesIO()
img.save(buf, "PNG")
quote = hall.orders.quote(clerk, number, "5G129", ("VAS_RING",))  # with the plan's promotion
done = hall.orders.open_mobile_number(
    clerk,
    OpenMobileRequest(
        customer_id=cid,
        number=number,
        plan_code="5G129",
        iccid=iccid,
        addon_codes=("VAS_RING",),
        payments=(
            PaymentInput(PaymentMethod.CASH, 10_000, 10_000),
            PaymentInput(
                PaymentMethod.QR_WALLET, quote.total_fen - 10_000, None, "WX2026112400123"
            ),
        ),
        face_check=FaceCheckMethod.DEVICE,
        face_checked_by="HK-FR-200",
        signature_png=buf.getvalue(),
        terms_text=quote.terms,
    ),
)
assert done.invoice_no is not None
boss = hall.auth.log_in("super1", "hall1234")
hall.invoices.issue_red_letter(boss, done.invoice_no, "购买方名称有误，重开")
for kind in hall.documents.document_kinds(clerk, done.order_id):  # the ones it has
    p = hall.documents.print_document(clerk, done.order_id, kind)
    Path(f"{OUT}/{kind.value}.pdf").write_bytes(p.pdf)
p = hall.documents.print_document(clerk, done.order_id, DocumentKind.RECEIPT, "卡纸")
Path(f"{OUT}/receipt-reprint.pdf").write_bytes(p.pdf)
print(done.order_no, done.invoice_no)
from hall_app.documents import layouts  # noqa: E402
from hall_app.services.documents import DocumentService  # noqa: E402

loader = DocumentService(hall.db, hall.clock)
with hall.db.read() as session:
    for kind, render in (
        (DocumentKind.RECEIPT, layouts.render_receipt),
        (DocumentKind.ACCEPTANCE_FORM, layouts.render_acceptance),
        (DocumentKind.INVOICE, layouts.render_invoice),
    ):
        _, document = loader._load(session, done.order_id, kind)
        times = []
        for _ in range(30):
            t = time.perf_counter()
            render(document)
            times.append((time.perf_counter() - t) * 1000)
        print(f"{kind.value}: median {statistics.median(times):.1f} ms over 30 renders")
