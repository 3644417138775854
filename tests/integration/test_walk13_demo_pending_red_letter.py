"""Walk-through of issue 13: the demo's red-letter request waiting in 审批 (Alt+1).

The inbox showed 林晓燕 · 发票红冲 · 客户 姚** · 发票红冲 26351000000000059858 with an empty
金额. That invoice is 吴敏妍's ¥50.00: the demo names a random customer and no amount, while a
request raised at the counter (红冲所选发票 → 请求远程审批) carries the invoice's customer and
its total (夏** … ¥199.00). The demo README: "where there is one, the amount"."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Approval, Invoice
from hall_app.demo.builder import DemoBuilder
from hall_app.domain.enums import ApprovalState
from tests.conftest import DEMO_TODAY
from tests.integration.test_demo_today import MORNING


def test_the_pending_red_letter_names_the_invoices_customer_and_amount(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=3, today=DEMO_TODAY, chunk=300, workers=1, queue_until=MORNING).build(
        300, 2
    )
    try:
        with engine.connect() as conn:
            pending = conn.execute(
                select(Approval.subject_ref, Approval.customer_id, Approval.amount_fen).where(
                    Approval.kind == "red_letter", Approval.state == ApprovalState.PENDING
                )
            ).all()
            assert pending, "the demo's inbox has a red-letter request waiting"
            for subject, customer_id, amount_fen in pending:
                invoice = conn.execute(
                    select(Invoice.customer_id, Invoice.total_fen).where(
                        Invoice.invoice_no == subject
                    )
                ).one()
                assert (customer_id, amount_fen) == (invoice.customer_id, invoice.total_fen)
    finally:
        engine.dispose()
