"""The 过户记录 line of a customer record's 基本资料: each number transferred out or in."""

from __future__ import annotations

from collections.abc import Sequence

from hall_app.services.transfer_history import OUT, TransferView
from ui import format as fmt


def transfer_lines(transfers: Sequence[TransferView]) -> str:
    """One line per transfer, newest first: when, the number, to or from whom, the order."""
    return "\n".join(
        f"{fmt.when(t.transferred_at)}　{t.number_masked} {t.direction}"
        f"{'给' if t.direction == OUT else '自'} {t.other_name_masked}（{t.order_no}）"
        for t in transfers
    )
