"""The desk's pages, declared once: a page is a title, a shortcut, the permission that shows
it and a builder. Adding a page to the desk is adding a ``DeskPage`` to ``DESK_PAGES``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from hall_app.domain.permissions import Permission

if TYPE_CHECKING:
    from hall_app.app import HallApp
    from hall_app.services.actor import Actor
    from ui.ops import Operations


@dataclass(frozen=True)
class DeskContext:
    app: HallApp
    actor: Actor
    ops: Operations


@dataclass(frozen=True)
class DeskPage:
    key: str  # "approvals"
    title: str  # 审批
    shortcut: str  # "Alt+1"
    permission: Permission
    build: Callable[[DeskContext, QWidget], QWidget]


def _pages() -> list[DeskPage]:
    """Imported here, when the desk opens, so a clerk's window never loads the desk."""
    pages: list[DeskPage] = []
    from ui.desk.performance import PerformancePage

    pages.append(
        DeskPage("performance", "员工考核", "Alt+4", Permission.REPORTS_VIEW, PerformancePage)
    )
    from ui.desk.staff import StaffPage

    pages.append(DeskPage("staff", "员工账号", "Alt+5", Permission.STAFF_UNLOCK, StaffPage))
    from ui.desk.approvals import ApprovalsPage
    from ui.desk.tills import TillsPage

    pages.append(DeskPage("approvals", "审批", "Alt+1", Permission.APPROVE, ApprovalsPage))
    pages.append(DeskPage("tills", "现金管理", "Alt+3", Permission.CASH_RECONCILE, TillsPage))
    from ui.desk.queue_review import QueueReviewPage

    pages.append(
        DeskPage("queue_review", "排队日报", "Alt+2", Permission.REPORTS_VIEW, QueueReviewPage)
    )
    from ui.desk.sensitive import SensitiveViewsPage

    pages.append(
        DeskPage("sensitive", "敏感信息查看", "Alt+6", Permission.REPORTS_VIEW, SensitiveViewsPage)
    )
    from ui.desk.alerts import AuditAlertsPage

    pages.append(DeskPage("alerts", "审计警告", "Alt+7", Permission.APPROVE, AuditAlertsPage))
    return pages


# The rights of a supervisor's or an admin's desk; a clerk holds none of them, so a clerk's
# window has no desk (and every service behind a page refuses a clerk anyway).
DESK_PERMISSIONS = frozenset(
    {
        Permission.APPROVE,
        Permission.REPORTS_VIEW,
        Permission.CASH_RECONCILE,
        Permission.STAFF_UNLOCK,
        Permission.STAFF_ADMIN,
    }
)


def may_open_desk(actor: Actor) -> bool:
    """Whether this staff member's window offers the desk (without loading its pages)."""
    return any(actor.can(p) for p in DESK_PERMISSIONS)


def desk_pages(actor: Actor) -> list[DeskPage]:
    """The pages this staff member may open, in the desk's order (by their Alt+N key)."""
    return sorted((p for p in _pages() if actor.can(p.permission)), key=lambda p: p.shortcut)
