"""The audit chain's alerts, put before a supervisor as they log in: a break found at start,
or (kept by the central database, read over the live link on a synced counter) an attempt to
change the audit log. The desk's 审计警告 page (ui/desk/audit_alerts.py) lists them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from hall_app.domain.permissions import Permission
from hall_app.services.actor import Actor
from hall_app.services.audit_chain import CENTRAL, AlertView, DeskAlert
from ui import messages
from ui.format import when
from ui.ops import Changes, Operations

if TYPE_CHECKING:
    from hall_app.app import HallApp

SHOWN = 5  # the rest are counted


def alerts_text(alerts: list[AlertView] | list[DeskAlert]) -> str:
    lines = "\n".join(
        f"• {a.kind_label}（{when(a.detected_at)}）：{a.detail}" for a in alerts[:SHOWN]
    )
    more = f"\n……另有 {len(alerts) - SHOWN} 条" if len(alerts) > SHOWN else ""
    return (
        f"发现 {len(alerts)} 条待处理的审计警告，审计记录可能被篡改：\n{lines}{more}\n\n"
        "请核查（hall-app audit verify）并按规定上报。\n"
        "选“是”表示已知悉，不再提示这些警告；选“否”下次主管登录时再提示。"
    )


def warn_supervisor(hall: HallApp, actor: Actor, ops: Operations, parent: QWidget) -> None:
    """After a supervisor's login: the open alerts, if any, in a warning they acknowledge."""
    if not actor.can(Permission.APPROVE) or actor.must_change_password:
        return
    service = hall.audit_chain

    def show(alerts: list[DeskAlert]) -> None:
        if not alerts:
            return
        if messages.confirm_default_no(parent, alerts_text(alerts), title="审计链警告"):

            def acknowledge() -> None:
                for alert in alerts:
                    service.acknowledge(actor, alert.id, central=alert.source == CENTRAL)

            ops.mutate(acknowledge, changes=Changes.NONE, parent=parent)

    ops.query(lambda: service.desk_alerts(actor).open, show, parent=parent)
