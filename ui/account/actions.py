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


# In the order the customer page shows them; one line per business.
ACTIONS: tuple[AccountAction, ...] = (
    # e.g. AccountAction("bill_payment", "缴费", _opener("ui.bills.payment", "open_bill_payment"),
    #                    shortcut="Ctrl+J", needs_number=False),
    AccountAction(
        "bill_payment",
        "缴费",
        _opener("ui.bills.wizard", "open_bill_payment"),
        shortcut="Ctrl+J",
        needs_number=False,
    ),
)


def action(key: str) -> AccountAction:
    for a in ACTIONS:
        if a.key == key:
            return a
    raise KeyError(key)
