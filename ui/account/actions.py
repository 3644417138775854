"""The businesses on an existing customer's account, opened from the customer page: 缴费
(Ctrl+J), 充值 (Ctrl+U) and the 号码业务 menu (Ctrl+E, then the item's digit) of changes to
the number selected on the record's 号码 tab.

Each business adds one ``AccountAction`` line to ``ACTIONS`` below, naming the function that
opens its dialog; the customer page builds its buttons and menu from this list and the main
window opens the dialog with the visit's context. Nothing else needs to know a business."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QDialog, QWidget

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from hall_app.services.customers import SubscriptionView
from ui.ops import Operations


@dataclass(frozen=True)
class AccountContext:
    """What a business's dialog starts from: the open customer record and the visit."""

    app: HallApp
    actor: Actor
    ops: Operations
    customer_id: uuid.UUID
    customer_name: str
    subscription: SubscriptionView | None  # the row selected on the record's 号码 tab
    ticket_id: uuid.UUID | None  # the ticket being served: the order belongs to the visit
    parent: QWidget


# Opens the business's dialog (not yet shown) for the context; raises HallError (shown to the
# clerk) when it cannot start, e.g. no number selected for a change that needs one.
Opener = Callable[[AccountContext], QDialog]


@dataclass(frozen=True)
class AccountAction:
    key: str  # plan_change …
    label: str  # 套餐变更 …
    opener: Callable[[], Opener]  # imported late: the dialogs' modules load when first used
    shortcut: str = ""  # a button of its own with this key (缴费, 充值); "" : in the menu
    needs_number: bool = True  # the 号码 tab's selected number is required


def _opener(module: str, name: str) -> Callable[[], Opener]:
    def load() -> Opener:
        import importlib

        opener: Opener = getattr(importlib.import_module(module), name)
        return opener

    return load


# In the order the customer page shows them: the two with keys of their own, then the
# 号码业务 menu in the order a clerk reaches for them (its digits follow this order).
ACTIONS: tuple[AccountAction, ...] = (
    AccountAction(
        "bill_payment",
        "缴费",
        _opener("ui.bills.wizard", "open_bill_payment"),
        shortcut="Ctrl+J",
        needs_number=False,
    ),
    AccountAction(
        "top_up",
        "充值",
        _opener("ui.top_up.wizard", "open_top_up"),
        shortcut="Ctrl+U",
        needs_number=False,
    ),
    AccountAction("plan_change", "套餐变更", _opener("ui.plan.change", "open_plan_change")),
    AccountAction("value_added", "增值业务", _opener("ui.plan.value_added", "open_value_added")),
    AccountAction(
        "customer_data",
        "资料变更",
        _opener("ui.account_changes.customer_data", "open_customer_data"),
        needs_number=False,
    ),
    AccountAction("loss", "挂失/解挂", _opener("ui.account_changes.number", "open_loss")),
    AccountAction("sim_swap", "补换卡", _opener("ui.sim_cancel.swap", "open_sim_swap")),
    AccountAction("suspend", "停机保号/复机", _opener("ui.account_changes.number", "open_suspend")),
    AccountAction("transfer", "过户", _opener("ui.transfer.dialog", "open_transfer")),
    AccountAction("porting", "携号转网资格", _opener("ui.porting.dialog", "open_porting")),
    AccountAction("cancel", "销户", _opener("ui.sim_cancel.cancel", "open_cancel")),
)


def action(key: str) -> AccountAction:
    for a in ACTIONS:
        if a.key == key:
            return a
    raise KeyError(key)
