"""The installment contract's layout on its own: long signed terms run over as many pages as
they need, every page numbered, nothing lost; the early-payoff rule and the fee as stated."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from hall_app.documents.contract import fee_text, payoff_rule, render_installment_contract
from hall_app.documents.data import ContractDocument, DocInstalment
from hall_app.domain.handsets import schedule
from hall_app.domain.money import capital_amount


def _doc(
    terms: str, *, months: int = 24, rate: Decimal = Decimal(0), fee: int = 0
) -> ContractDocument:
    rows = schedule(500_001, months, date(2026, 1, 31), fee_fen=fee, monthly_rate=rate)
    return ContractDocument(
        seller_name="中国电信股份有限公司福州分公司",
        seller_tax_id="91350100MA0000000X",
        hall_name="福州鼓楼五四路营业厅",
        hall_address="福建省福州市鼓楼区五四路 128 号",
        counter_name="1号窗口",
        clerk_name="林晓燕",
        clerk_no="FZ0001",
        order_no="SL202601310010001",
        signed_at=datetime(2026, 1, 31, 2, 0, tzinfo=UTC),
        customer_name="王小明",
        customer_id_masked="3501**********1234",
        customer_phone_masked="138****0000",
        handset_name="华为 Mate 70 12+256GB 雅川青",
        imei="861041431000001",
        warranty_from=date(2026, 1, 31),
        price_fen=600_001,
        down_payment_fen=100_000,
        financed_fen=500_001,
        fee_fen=sum(r.fee_fen for r in rows),
        monthly_rate=rate or None,
        months=months,
        payoff_fee_fen=0,
        instalments=tuple(
            DocInstalment(r.seq, r.due_date, r.principal_fen, r.fee_fen, r.amount_fen) for r in rows
        ),
        terms=terms,
        signature_png=None,
        status="履约中",
        copy_no=1,
    )


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "contract.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_long_terms_go_on_over_numbered_pages_and_nothing_is_lost(tmp_path: Path) -> None:
    lines = [f"第 {n} 条 本条款为测试用长条款，编号 {n:03d}。" for n in range(1, 121)]
    text = _text(render_installment_contract(_doc("\n".join(lines))), tmp_path)
    flat = "".join(text.split())
    for n in range(1, 121):
        assert f"编号{n:03d}" in flat
    pages = text.count("\f")
    assert pages >= 3
    for page in range(1, pages + 1):
        assert f"第{page}页共{pages}页" in flat
    assert flat.index("编号120") < flat.index("乙方（签名）")  # the signature after the terms


def test_the_last_instalment_takes_the_remainder_and_is_printed_in_capitals(
    tmp_path: Path,
) -> None:
    doc = _doc("—", months=12, fee=1_000)
    last = doc.instalments[-1]
    # 5,000.01 over 12: 416.66 eleven times, 416.75 last; 10.00 fee: 0.83 ×11, 0.87 last
    assert (last.principal_fen, last.fee_fen) == (41_675, 87)
    flat = "".join(_text(render_installment_contract(doc), tmp_path).split())
    assert f"¥416.75¥0.87¥417.62{capital_amount(41_762)}" in flat
    assert "肆佰壹拾柒元陆角贰分" in flat
    assert doc.repaid_fen == 500_001 + 1_000 and doc.total_fen == 600_001 + 1_000


def test_fee_and_payoff_wording(tmp_path: Path) -> None:
    rated = _doc("—", rate=Decimal("0.006"))
    yuan = f"¥{rated.fee_fen // 100:,}.{rated.fee_fen % 100:02d}"
    # in capitals like every other amount (walk-through: 分期手续费 ¥180.00 had none)
    assert fee_text(rated) == f"月费率 0.6% × 24 期，计 {yuan}（{capital_amount(rated.fee_fen)}）"
    stated = _doc("—", fee=18_000)
    assert fee_text(stated) == "¥180.00（壹佰捌拾元整）"
    assert fee_text(_doc("—")) == "免手续费"
    flat = "".join(_text(render_installment_contract(stated), tmp_path).split())
    assert "分期手续费：¥180.00（壹佰捌拾元整）" in flat
    assert "不收提前结清手续费" in payoff_rule(_doc("—"))
