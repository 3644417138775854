"""What the 补换卡 and 销户 dialogs share: the number they start from."""

from __future__ import annotations

from hall_app.domain.enums import SubscriptionKind
from hall_app.domain.errors import ValidationError
from hall_app.services.customers import SubscriptionView
from ui.account.actions import AccountContext

NUMBER_FIELD = "业务号码"


def number_of(context: AccountContext) -> SubscriptionView:
    """The mobile number selected on the record's 号码 tab, or a refusal naming what to do."""
    sub = context.subscription
    if sub is None or sub.id is None:
        raise ValidationError("请先在“号码”页选中要办理的号码", NUMBER_FIELD)
    if sub.kind is not SubscriptionKind.MOBILE:
        raise ValidationError("补换卡和销户只办理移动号码，请选中一个手机号码", NUMBER_FIELD)
    return sub
