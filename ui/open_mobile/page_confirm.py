"""Step 5: the customer reads the number, plan, fees and terms on the screen facing them and
signs (the confirmation every wizard shares: ui/wizard/confirm.py)."""

from __future__ import annotations

import html

from ui.open_mobile.base import OrderDraft
from ui.wizard import confirm
from ui.wizard.confirm import CustomerConfirmDialog, fees_html

__all__ = ["ConfirmPage", "CustomerConfirmDialog", "summary_html"]


def summary_html(draft: OrderDraft) -> str:
    """The order as the customer sees it: number, plan, every fee, the total, the terms."""
    q, r = draft.quote, draft.reservation
    assert q is not None and r is not None
    return (
        f"<p style='font-size:15pt'><b>新号码：{r.number.number}</b>　"
        f"套餐：{html.escape(draft.plan_name)}</p>" + fees_html(q.lines, q.total_fen, q.terms)
    )


class ConfirmPage(confirm.ConfirmPage):
    @property
    def draft(self) -> OrderDraft:
        draft = self.env.draft
        assert isinstance(draft, OrderDraft)
        return draft

    def summary_html(self) -> str:
        return summary_html(self.draft)

    def signed_quote(self) -> object:
        return self.draft.quote
