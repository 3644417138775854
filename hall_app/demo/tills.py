"""The tills of the demo history: each clerk's till of a day, its blind count, its Z report
(日结单) and the hall's day close.

``ZReport.content_json`` (frozen when the Z report is made) holds what the printed Z report
shows, in the shape the tills service writes at a close (``hall_app.services.tills.z_content``:
the same keys, times as the hall shows them, ``2026-11-23 18:07:12``), so the app prints and
reconciles the demo's Z reports as its own. Prints and reprints (重打, copy 2…) are print
records (``document_type="z_report"``, ``document_ref`` the hall's code and the number,
``hall_app.domain.till.z_print_ref``: FZ-GL-01-Z00000123).

``HallDayClose.summary_json``::

    {
      "business_date": "…", "closed_at": "…", "closed_by": "黄丽华",
      "tills": [{"z_no": …, "z_label": "…", "counter_code": "01", "counter_name": "…",
                 "clerk_name": "…", "expected_fen": {method: fen}, "counted_fen": {method: fen},
                 "variance_fen": …}],
      "z_totals_fen": {"cash": …, "bank_card": …, "qr_wallet": …},   # Σ Z sales by method
      "payments_fen": {"cash": …, "bank_card": …, "qr_wallet": …},   # the day's payments
      "invoices": {"blue_fen": …, "red_fen": …, "net_fen": …, "z_net_fen": …},
      "variance_fen": …,             # Σ of the tills' variances
      "differences": [{"what": "…", "amount_fen": …}],   # each named; [] when it agrees
      "balanced": true
    }
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hall_app.clock import HALL_TZ
from hall_app.domain.enums import PaymentMethod

DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10)  # 100 … 0.1 yuan, in fen
FLOAT_FEN = 50000
TILL_METHODS = (PaymentMethod.CASH, PaymentMethod.BANK_CARD, PaymentMethod.QR_WALLET)


def z_label(z_no: int) -> str:
    return f"Z{z_no:08d}"


def blind_count(amount_fen: int, rng: random.Random) -> dict[str, int]:
    """A drawer holding ``amount_fen`` (a multiple of 10 fen) by denomination: some small
    notes and coins first, the rest in the largest notes."""
    assert amount_fen >= 0 and amount_fen % 10 == 0
    left = amount_fen
    counts: dict[int, int] = {}
    for d in (10, 50, 100, 500, 1000, 2000, 5000):
        k = min(rng.randint(0, 6), left // d // 4)
        if k:
            counts[d] = k
            left -= k * d
    for d in DENOMINATIONS:
        k, left = divmod(left, d)
        if k:
            counts[d] = counts.get(d, 0) + k
    assert left == 0
    return {str(d): counts[d] for d in DENOMINATIONS if counts.get(d)}


@dataclass
class Till:
    """One clerk's till of a day as the history fills it."""

    id: uuid.UUID
    counter_id: uuid.UUID
    staff_id: uuid.UUID
    opened_at: datetime
    sales: dict[PaymentMethod, int] = field(default_factory=dict)
    payments: dict[PaymentMethod, int] = field(default_factory=dict)
    tendered_fen: int = 0
    change_fen: int = 0
    orders: int = 0
    blue: list[int] = field(default_factory=list)
    red: list[dict[str, Any]] = field(default_factory=list)
    cash_log: list[tuple[datetime, int]] = field(default_factory=list)  # cash kept, when
    moves_in: list[dict[str, Any]] = field(default_factory=list)
    moves_out: list[dict[str, Any]] = field(default_factory=list)

    def paid(
        self, method: PaymentMethod, amount: int, tendered: int, change: int, at: datetime
    ) -> None:
        self.sales[method] = self.sales.get(method, 0) + amount
        self.payments[method] = self.payments.get(method, 0) + 1
        self.orders += 1
        if method is PaymentMethod.CASH:
            self.tendered_fen += tendered
            self.change_fen += change
            self.cash_log.append((at, amount))

    def cash_before(self, at: datetime) -> int:
        return sum(a for t, a in self.cash_log if t < at)

    @property
    def cash_in_fen(self) -> int:
        return sum(int(m["amount_fen"]) for m in self.moves_in)

    @property
    def cash_out_fen(self) -> int:
        return sum(int(m["amount_fen"]) for m in self.moves_out)

    @property
    def expected_cash_fen(self) -> int:
        return (
            FLOAT_FEN + self.sales.get(PaymentMethod.CASH, 0) + self.cash_in_fen - self.cash_out_fen
        )


def local_iso(at: datetime) -> str:
    """A moment as the JSON holds it: the hall's local time with its offset, to the second."""
    return at.astimezone(HALL_TZ).isoformat(timespec="seconds")
