"""The handset sale being built (购机: outright, contract or installment), and the pages' base
class that knows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hall_app.app import HallApp
from hall_app.domain.enums import OfferKind, SaleMode
from hall_app.domain.handsets import ScheduledInstalment, schedule
from hall_app.domain.payments import PaymentInput
from hall_app.services.actor import Actor
from hall_app.services.handsets import (
    CreditView,
    DeviceView,
    HandsetModelView,
    HandsetQuote,
    HandsetSaleRequest,
    HandsetSold,
    OfferView,
    PlanChoice,
)
from ui import format as fmt
from ui.wizard import base
from ui.wizard.base import DraftBase

OFFER_KIND = {SaleMode.CONTRACT: OfferKind.CONTRACT, SaleMode.INSTALLMENT: OfferKind.INSTALLMENT}


def offers_of(model: HandsetModelView, mode: SaleMode) -> list[OfferView]:
    """The model's offers for a way of selling (none for outright), shortest first."""
    kind = OFFER_KIND.get(mode)
    return sorted((o for o in model.offers if o.kind is kind), key=lambda o: (o.months, o.code))


def instalment_cost(o: OfferView) -> str:
    """What an installment offer costs: its stated fee, its stated monthly rate, or nothing."""
    if o.fee_fen:
        return f"手续费 {fmt.money(o.fee_fen)}"
    if o.monthly_rate:
        return f"月费率 {o.monthly_rate * 100:.2f}%"
    return "免手续费"


def instalment_conditions(o: OfferView) -> str:
    payoff = f"，提前结清手续费 {fmt.money(o.payoff_fee_fen)}" if o.payoff_fee_fen else ""
    return f"首付不低于 {o.min_down_payment_pct}%{payoff}"


def offer_text(o: OfferView) -> str:
    """An offer's terms as the clerk and the customer read them (its name aside: a catalog's
    names may say the same at length)."""
    if o.kind is OfferKind.CONTRACT:
        return (
            f"合约 {o.months} 个月，直降 {fmt.money(o.subsidy_fen)}，"
            f"套餐月费不低于 {fmt.money(o.min_plan_fen)}"
        )
    return f"分期 {o.months} 期，{instalment_cost(o)}，{instalment_conditions(o)}"


@dataclass
class HandsetDraft(DraftBase):
    customer_name: str = ""
    model: HandsetModelView | None = None
    mode: SaleMode = SaleMode.OUTRIGHT
    offer: OfferView | None = None
    device: DeviceView | None = None
    plan: PlanChoice | None = None  # a contract phone's mobile number
    down_payment_fen: int = 0
    credit: CreditView | None = None
    credit_for: tuple[object, ...] | None = None  # (offer id, down payment) it was made for
    quote: HandsetQuote | None = None
    sold: HandsetSold | None = None

    def credit_key(self) -> tuple[object, ...]:
        return (self.offer.id if self.offer else None, self.down_payment_fen)

    @property
    def credit_current(self) -> CreditView | None:
        """The assessment of this very instalment (another offer or down payment: none)."""
        return self.credit if self.credit_for == self.credit_key() else None

    def preview_schedule(self, sale_day: date) -> tuple[ScheduledInstalment, ...]:
        """The instalments as the offer and the down payment make them (the quote's are the
        service's; this is the page's live view, with the same domain arithmetic)."""
        assert self.model is not None and self.offer is not None
        return schedule(
            self.model.price_fen - self.down_payment_fen,
            self.offer.months,
            sale_day,
            fee_fen=self.offer.fee_fen,
            monthly_rate=self.offer.monthly_rate,
        )

    def request(self, payments: tuple[PaymentInput, ...] = ()) -> HandsetSaleRequest:
        assert self.model is not None and self.device is not None
        credit = self.credit_current
        return HandsetSaleRequest(
            customer_id=self.customer_id,
            product_id=self.model.product_id,
            imei=self.device.imei,
            mode=self.mode,
            payments=payments,
            offer_id=self.offer.id if self.offer and self.mode is not SaleMode.OUTRIGHT else None,
            subscription_id=(
                self.plan.subscription_id
                if self.plan is not None and self.mode is SaleMode.CONTRACT
                else None
            ),
            down_payment_fen=self.down_payment_fen if self.mode is SaleMode.INSTALLMENT else 0,
            credit_assessment_id=(
                credit.assessment_id
                if credit is not None and self.mode is SaleMode.INSTALLMENT
                else None
            ),
            ticket_id=self.ticket_id,
            signature_png=self.signature_png,
            terms_text=self.quote.terms if self.quote else "",
        )

    def price(self, app: HallApp, actor: Actor) -> HandsetQuote:
        """The quote (a read): the lines, the total due now, the terms, the schedule."""
        return app.handsets.quote(actor, self.request())

    def sell(self, app: HallApp, actor: Actor, payments: tuple[PaymentInput, ...]) -> HandsetSold:
        """The sale (a write)."""
        return app.handsets.sell(actor, self.request(payments))


class HandsetPage(base.WizardPage):
    @property
    def draft(self) -> HandsetDraft:
        draft = self.env.draft
        assert isinstance(draft, HandsetDraft)
        return draft
