"""The till's count and variance rules, and the Z report content read in either shape."""

from __future__ import annotations

import pytest

from hall_app.domain.errors import ValidationError
from hall_app.domain.till import (
    MethodCheck,
    check_counts,
    counts_total,
    needs_sign_off,
    variance_fen,
)
from hall_app.services.tills import normalize_content, verdict


def test_counts_are_checked_and_totalled() -> None:
    counts = check_counts({10_000: 2, 50: 3, 10: 1})
    assert counts_total(counts) == 20_160 and set(counts) == {
        10_000,
        5_000,
        2_000,
        1_000,
        500,
        100,
        50,
        10,
    }
    with pytest.raises(ValidationError, match="1角的张数不能为负数"):
        check_counts({10: -1})
    with pytest.raises(ValidationError, match="超过 100,000 张"):
        check_counts({100: 100_001})


def test_the_variance_adds_each_methods_difference() -> None:
    checks = (
        MethodCheck("cash", "现金", 10_000, 9_400),
        MethodCheck("bank_card", "银行卡", 5_000, 5_600),
        MethodCheck("qr_wallet", "扫码支付", 0, None),
    )
    assert variance_fen(checks) == 1_200  # a shortage is not made good by an overage
    assert needs_sign_off(checks, 1_000) and not needs_sign_off(checks, 1_200)
    assert verdict(checks) == "现金短款 ¥6.00、银行卡长款 ¥6.00"
    assert verdict(checks[:1]) == "短款 ¥6.00"


def test_the_demo_historys_content_reads_like_the_tills_own() -> None:
    demo = {
        "z_no": 7,
        "z_label": "Z00000007",
        "business_date": "2026-11-23",
        "hall": {"code": "FZ", "name": "鼓楼营业厅"},
        "counter": {"code": "01", "name": "1号窗口"},
        "clerk": {"id": "x", "name": "林晓燕"},
        "opened_at": "2026-11-23T08:30:00+08:00",
        "closed_at": "2026-11-23T18:00:00+08:00",
        "opening_float_fen": 50_000,
        "cash_in": [],
        "cash_out": [{"amount_fen": 30_000, "reason": "解款", "at": "2026-11-23T11:45:00+08:00"}],
        "cash_in_fen": 0,
        "cash_out_fen": 30_000,
        "cash": {
            "sales_fen": 4_000,
            "tendered_fen": 5_000,
            "change_fen": 1_000,
            "counts": {"10000": 2, "500": 8},
        },
        "methods": [
            {
                "method": "cash",
                "label": "现金",
                "payments": 2,
                "expected_fen": 24_000,
                "counted_fen": 24_000,
                "variance_fen": 0,
            },
            {
                "method": "bank_card",
                "label": "银行卡",
                "payments": 1,
                "expected_fen": 9_900,
                "counted_fen": 9_800,
                "variance_fen": -100,
            },
        ],
        "variance_reason": "POS 少结",
        "sign_off": None,
        "voids": [],
        "red_letters": [
            {
                "invoice_no": "R1",
                "original_invoice_no": "B1",
                "total_fen": -500,
                "at": "2026-11-23T15:00:00+08:00",
            }
        ],
    }
    c = normalize_content(demo)
    assert c["z_ref"] == "Z00000007" and c["staff"] == "林晓燕" and c["payments"] == 3
    assert c["takings"] == {"cash": 4_000, "bank_card": 9_900, "qr_wallet": 0, "prepaid_card": 0}
    assert c["opened_at"] == "2026-11-23 08:30:00"
    assert c["movements"][0]["label"] == "现金支出" and c["variance_fen"] == 100
    assert c["verdict"] == "银行卡短款 ¥1.00" and c["red_letters"][0]["original_no"] == "B1"
    assert [d["pieces"] for d in c["counts"] if d["pieces"]] == [2, 8]
    assert normalize_content(c) is c  # the till's own shape passes as it is
