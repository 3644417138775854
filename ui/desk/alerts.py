"""审计警告: the hall's audit alerts on the supervisor's desk — a break of the audit chain
found at start on this counter, and (on a synced counter, over the live link) what the central
database flagged: attempts there to change or delete audit entries, entries a counter resent
changed. Offline the page lists this counter's alerts and says the central ones are missing.
A supervisor acknowledges one (确认已知悉): it leaves the list of open alerts, audited."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.clock import fmt_local
from hall_app.domain.errors import HallError
from hall_app.services.audit_chain import (
    CENTRAL,
    CENTRAL_OFFLINE,
    CENTRAL_READ,
    DeskAlert,
    DeskAlerts,
)
from ui.desk.pages import DeskContext
from ui.keys import shortcut
from ui.ops import Changes
from ui.style import set_role
from ui.table import RowsModel, fit_columns, make_table

HEADERS = ("发现时间", "来源", "类型", "审计链", "详情", "处理情况")
SAMPLES = (
    "2026-11-24 16:45:12",
    "中心",
    "中心审计记录被试图删除",
    "6号窗口（VIP）",
    "有人试图删除中心数据库中的审计记录（第 12 条，order.open_mobile），已拒绝",
    "已确认：黄丽华（FZ0003）11-24 16:50",
)
CENTRAL_NOTES = {
    CENTRAL_READ: ("", "含中心数据库的审计警告（窗口同步到中心后在中心发现的修改、删除企图）。"),
    CENTRAL_OFFLINE: (
        "warn",
        "中心数据库暂时无法连接：只列出本机的审计警告，中心的警告须待恢复连接后查看和确认。",
    ),
}
NOT_SYNCED_NOTE = "本机未接入中心数据库：列出的是本机数据库的审计警告。"


def alert_row(a: DeskAlert) -> list[str]:
    done = (
        f"已确认：{a.acknowledged_by or '—'} {fmt_local(a.acknowledged_at)[5:]}"
        if a.acknowledged_at is not None
        else "待处理"
    )
    return [
        fmt_local(a.detected_at, with_seconds=True),
        a.source_label,
        a.kind_label,
        a.counter_name,
        a.detail,
        done,
    ]


class AuditAlertsPage(QWidget):
    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditAlerts")
        self._ctx = ctx
        self._asked = 0  # the latest query's number: a late older answer is dropped
        self._busy = False
        self._keep_status = False
        self.shown: DeskAlerts | None = None
        note = QLabel(
            "审计记录被修改、删除或审计链断裂时在此列出（本机启动时的核查，以及中心数据库"
            "拒绝的修改、删除企图）。请核查（hall-app audit verify）并按规定上报后确认已知悉。"
        )
        note.setWordWrap(True)
        self.with_done = QCheckBox("显示已确认的")
        self.with_done.setObjectName("alertsWithDone")
        self.refresh_button = QPushButton("刷新 (Ctrl+R)")
        self.refresh_button.setObjectName("alertsRefresh")
        self.ack_button = QPushButton("确认已知悉 (Ctrl+Enter)")
        self.ack_button.setObjectName("alertsAcknowledge")
        self.ack_button.setEnabled(False)
        self.count = QLabel("")
        self.count.setObjectName("alertsCount")
        # As wide as it will be from the start: the bar never squeezes its buttons later.
        self.count.setMinimumWidth(
            self.count.fontMetrics().horizontalAdvance("待处理 999 条，共列出 999 条")
        )
        self.central = QLabel("")
        self.central.setObjectName("alertsCentral")
        self.central.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("alertsStatus")
        self.status.setWordWrap(True)
        self.model = RowsModel(HEADERS, self)
        self.table = make_table(self.model, SAMPLES, self)
        fit_columns(self.table, {4: 1})

        bar = QHBoxLayout()
        bar.addWidget(self.with_done)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.ack_button)
        bar.addStretch(1)
        bar.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(bar)
        layout.addWidget(self.central)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.refresh_button.clicked.connect(self.refresh)
        self.with_done.toggled.connect(lambda _on: self.refresh())
        self.ack_button.clicked.connect(self.acknowledge)
        self.table.selectionModel().selectionChanged.connect(self._chosen)
        shortcut(self, "Ctrl+R", self.refresh)
        shortcut(self, "Ctrl+Return", self.acknowledge)
        shortcut(self, "Ctrl+Enter", self.acknowledge)
        self.refresh()

    @property
    def chosen(self) -> DeskAlert | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.payload(rows[0].row()) if rows else None

    def _chosen(self, *_args: object) -> None:
        alert = self.chosen
        self.ack_button.setEnabled(alert is not None and alert.is_open and not self._busy)

    def refresh(self) -> None:
        service, actor = self._ctx.app.audit_chain, self._ctx.actor
        done = self.with_done.isChecked()
        self._asked += 1
        asked = self._asked
        self._ctx.ops.query(
            lambda: service.desk_alerts(actor, acknowledged=done),
            lambda found: self._show(asked, found),
            self._failed,
            parent=self,
        )

    def _show(self, asked: int, found: DeskAlerts) -> None:
        if asked != self._asked:
            return
        chosen = self.chosen
        self.shown = found
        self.model.set_rows([alert_row(a) for a in found.alerts], found.alerts)
        opened = len(found.open)
        self.count.setText(f"待处理 {opened} 条，共列出 {len(found.alerts)} 条")
        role, text = CENTRAL_NOTES.get(found.central, ("muted", NOT_SYNCED_NOTE))
        set_role(self.central, role or "muted")
        self.central.setText(text)
        if self._keep_status:  # what the acknowledgement answered stays in view
            self._keep_status = False
        elif opened:
            set_role(self.status, "warn")
            self.status.setText(f"有 {opened} 条待处理的审计警告：审计记录可能被篡改")
        else:
            set_role(self.status, "ok")
            self.status.setText("没有待处理的审计警告")
        keep = next(
            (i for i, a in enumerate(found.alerts) if chosen is not None and a.id == chosen.id),
            0 if found.alerts and found.alerts[0].is_open else None,
        )
        if keep is not None:
            self.table.selectRow(keep)
        self._chosen()

    def acknowledge(self) -> None:
        alert = self.chosen
        if alert is None or not alert.is_open or self._busy:
            return
        service, actor = self._ctx.app.audit_chain, self._ctx.actor
        self._busy = True
        self._chosen()

        def ok(_result: object) -> None:
            self._keep_status = True
            set_role(self.status, "ok")
            self.status.setText(f"已确认：{alert.kind_label}（{fmt_local(alert.detected_at)}）")

        def again() -> None:
            self._busy = False
            self.refresh()

        self._ctx.ops.mutate(
            lambda: service.acknowledge(actor, alert.id, central=alert.source == CENTRAL),
            ok,
            self._refused,
            changes=Changes.NONE,
            parent=self,
            label="正在确认审计警告…",
            always=again,
        )

    def _refused(self, exc: HallError) -> None:
        self._keep_status = True
        self._failed(exc)

    def _failed(self, exc: HallError) -> None:
        set_role(self.status, "error")
        self.status.setText(exc.text)
