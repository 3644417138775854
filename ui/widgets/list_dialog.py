"""A list a supervisor reads: a table, a line counting what it shows, 刷新 (F5) and 关闭 (Esc),
refreshed whenever a write announces what the list shows. A list supplies its columns and
``refresh`` (an ``ops.query`` that fills ``rows``)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.keys import shortcut
from ui.ops import ChangeEvent, Changes, Operations
from ui.screen import fit_to_screen
from ui.table import RowsModel, make_table


class ListDialog(QDialog):
    def __init__(
        self,
        ops: Operations,
        *,
        name: str,
        title: str,
        headers: Sequence[str],
        sample: Sequence[str],  # a typical row, for the columns' widths
        refresh_on: Changes,
        size: QSize,
        share: tuple[float, float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self._ops = ops
        self._refresh_on = refresh_on
        self.rows = RowsModel(list(headers))
        self.table = make_table(self.rows, tuple(sample))
        self.table.setObjectName(f"{name}Table")
        self.count = QLabel("正在读取…")
        self.count.setObjectName(f"{name}Count")
        self.count.setWordWrap(True)
        refresh = QPushButton("刷新 (F5)")
        refresh.clicked.connect(self.refresh)
        close = QPushButton("关闭 (Esc)")
        close.clicked.connect(self.reject)
        for b in (refresh, close):
            b.setAutoDefault(False)
        shortcut(self, "F5", self.refresh)
        self._controls = QHBoxLayout()
        self._controls.addWidget(self.count, 1)
        self._controls.addWidget(refresh)
        self._controls.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._controls)
        ops.changed.connect(self._on_changed)
        fit_to_screen(self, size, share=share)

    def add_control(self, widget: QWidget) -> None:
        """A filter, option or action beside the count, in the order added, before 刷新."""
        self._controls.insertWidget(self._controls.count() - 2, widget)

    def _on_changed(self, event: ChangeEvent) -> None:
        if event.touches(self._refresh_on) and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError  # each list reads its own rows
