"""What every counter wizard's pages share (the 开户 and the broadband/landline wizards): the
environment (app, actor, operations, the order being built) and the page contract."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from hall_app.app import HallApp
from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from ui import messages
from ui.ops import Changes, Operations
from ui.widgets.fields import error_label

__all__ = ["DraftBase", "WizardEnv", "WizardPage", "error_label"]


@dataclass
class DraftBase:
    """What every order being built has: the customer, the visit's ticket, the signature."""

    customer_id: uuid.UUID
    ticket_id: uuid.UUID | None = None
    signature_png: bytes | None = None


@dataclass
class WizardEnv:
    app: HallApp
    actor: Actor
    ops: Operations
    draft: Any  # a DraftBase subclass: each wizard's pages narrow it (``draft`` property)


class WizardPage(QWidget):
    """A page says when it is complete; ``leave`` may do work (off the GUI thread) before the
    wizard moves on, and calls ``proceed`` when it may."""

    complete_changed = Signal()
    title = ""

    def __init__(self, env: WizardEnv) -> None:
        super().__init__()
        self.env = env

    @property
    def draft(self) -> DraftBase:
        draft = self.env.draft
        assert isinstance(draft, DraftBase)
        return draft

    def enter(self) -> None:
        """Called each time the page is shown."""

    def is_complete(self) -> bool:
        return True

    def missing(self) -> str:
        """Shown beside 下一步 while the page is not complete: what the clerk still has to do."""
        return ""

    def leave(self, proceed: Callable[[], None]) -> None:
        proceed()

    def _on_error(
        self, on_error: Callable[[HallError], bool] | None
    ) -> Callable[[HallError], None]:
        def failed(exc: HallError) -> None:
            if on_error is None or not on_error(exc):
                messages.failure(self, exc)

        return failed

    def query(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[HallError], bool] | None = None,
        *,
        label: str | None = None,
    ) -> None:
        """A read off the GUI thread; a domain error goes to ``on_error`` (which returns whether
        it placed the message next to a field), anything else to the crash dialog."""
        self.env.ops.query(fn, on_success, self._on_error(on_error), parent=self, label=label)

    def mutate(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_error: Callable[[HallError], bool] | None = None,
        *,
        changes: Changes,
        label: str | None = None,
    ) -> None:
        """A write on the writer thread, announced with ``changes`` for this customer."""
        customer_id = self.draft.customer_id
        self.env.ops.mutate(
            fn,
            on_success,
            self._on_error(on_error),
            changes=changes,
            parent=self,
            label=label,
            initiator=self,
            customer=lambda _result: customer_id,
        )
