"""The status bar's sync corner: online or offline, how many records wait, the last successful
sync. Rounds run in a worker; after a failure the next try waits longer (15 s doubling up to
5 minutes); Ctrl+Shift+S syncs now."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from hall_app.clock import fmt_local
from hall_app.sync.push import LINK_LOST, PushReport
from hall_app.sync.service import SyncService, SyncStatus, next_delay
from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes, Operations
from ui.style import set_role

log = logging.getLogger("hall.sync")
# What a round may change here: the outbox, and what it pulls (tickets, numbers, SIMs, staff,
# the catalog…). It pulls no customer: announcing one would reload the open record after every
# round (an audited unmasked view each time for a supervisor, the invoice selection lost).
PULLED = Changes.SYNC | Changes.QUEUE | Changes.STOCK


class SyncStatusLabel(QLabel):
    def __init__(
        self, service: SyncService, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self._service = service
        self._ops = ops
        self.failures = 0
        self.online: bool | None = None  # unknown until the first round
        self.running = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        if not service.configured:
            self.setText("单机模式：未配置中心数据库")
            return
        shortcut(self.window(), "Ctrl+Shift+S", self.sync_now)
        ops.changed.connect(self._on_changed)
        self.setText("正在连接中心数据库…")
        QTimer.singleShot(0, self.sync_now)

    @property
    def next_delay_s(self) -> float:
        return next_delay(self.failures)

    def sync_now(self) -> None:
        if self.running or not self._service.configured:
            return
        self.running = True
        self._timer.stop()
        service = self._service
        outcome: list[int] = []

        def done(_report: PushReport) -> None:
            outcome.append(1)

        def after() -> None:  # a typed failure (a dead link, a refusal) or a bug alike
            if outcome:
                self.failures = 0
                self.online = True
            else:
                self.failures += 1
                self.online = False
            self._after_round()

        # A round writes (the outbox, pulled rows): a write, on its own background lane so a
        # slow link never holds up the clerk's writes.
        self._ops.mutate(
            service.run_round,
            done,
            lambda _exc: None,  # the status line shows the reason (SyncStatus.last_error)
            changes=PULLED,
            parent=self,
            always=after,
            initiator=self,
            background=True,
        )

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.initiator is not self and event.touches(Changes.SYNC) and not self.running:
            self._refresh_status()

    def _after_round(self) -> None:
        self._refresh_status()

    def _refresh_status(self) -> None:
        service = self._service

        shown: list[int] = []

        def show(status: SyncStatus) -> None:
            shown.append(1)
            self._show(status)

        def after() -> None:  # unreadable (a typed error, or a bug already reported): keep trying
            self.running = False
            if not shown:
                self.setText("同步状态暂不可读，稍后重试")
                self._timer.start(int(self.next_delay_s * 1000))

        self._ops.query(service.status, show, lambda _exc: None, parent=self, always=after)

    def _show(self, status: SyncStatus) -> None:
        self.running = False
        last = fmt_local(status.last_success_at)[5:] if status.last_success_at else "从未"
        state = "联网" if self.online else "离线（暂存本机，恢复后自动补传）"
        text = f"{state} · 待同步 {status.waiting:,} 条 · 上次同步 {last}"
        if status.quarantined:
            text += f" · 中心拒收 {status.quarantined} 条待主管处理"
        if status.clashes:
            text += f" · 资源冲突 {status.clashes} 条待主管处理"
        reason = status.last_error or ""
        if not self.online and reason and reason != LINK_LOST:  # why (a dead link says 离线)
            text += f" · {reason[:40]}{'…' if len(reason) > 40 else ''}"
        retry = f"{self.next_delay_s:.0f} 秒后自动重试（Ctrl+Shift+S 立即同步）"
        self.setToolTip(f"{reason}\n{retry}" if reason else retry)
        self.setText(text)
        set_role(self, None if self.online else "warn")
        self._timer.start(int(self.next_delay_s * 1000))

    def stop(self) -> None:
        self._timer.stop()
