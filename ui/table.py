"""A read-only table model over rows of display strings (with an optional payload per row)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    def __init__(self, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._rows: list[Sequence[str]] = []
        self._payloads: list[Any] = []

    def set_rows(
        self, rows: Sequence[Sequence[str]], payloads: Sequence[Any] | None = None
    ) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._payloads = list(payloads) if payloads is not None else [None] * len(self._rows)
        self.endResetModel()

    def payload(self, row: int) -> Any:
        return self._payloads[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]  # the tooltip: an elided cell whole
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None


def make_table(
    model: RowsModel, samples: Sequence[str] | None = None, parent: QWidget | None = None
) -> QTableView:
    """A read-only table. Each column is sized once, from a sample of its typical content (or
    its header, if wider), and rows have a fixed height: ResizeToContents would measure every
    cell again on each layout, which stalled the event loop for up to 200 ms on 50 rows of
    Chinese text."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    rows = view.verticalHeader()
    rows.setVisible(False)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    metrics = view.fontMetrics()
    for column, sample in enumerate(samples or ()):
        title = str(model.headerData(column, Qt.Orientation.Horizontal))
        width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title) + 8)
        view.setColumnWidth(column, width + 16)
    return view


class _ColumnFitter(QObject):
    """Keeps a table's columns inside its viewport: the fixed ones at their sampled width, the
    elastic ones sharing what is left (down to their minimum, text elided, whole in the
    tooltip), so the columns that matter never hide behind horizontal scrolling."""

    def __init__(self, view: QTableView, elastic: dict[int, int]) -> None:
        super().__init__(view)
        self._view = view
        self._elastic = elastic
        self._natural = [view.columnWidth(c) for c in range(view.model().columnCount())]
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        view, natural, elastic = self._view, self._natural, self._elastic
        fixed = sum(w for c, w in enumerate(natural) if c not in elastic)
        room = view.viewport().width() - fixed
        floor = {c: min(elastic[c], natural[c]) for c in elastic}
        give = {c: natural[c] - floor[c] for c in elastic}  # what each may lose
        wanted = sum(natural[c] for c in elastic)
        spare = max(0, room - sum(floor.values()))  # above the minimums, shared by give
        for c in elastic:
            if room >= wanted:
                width = natural[c]
            else:
                width = floor[c] + spare * give[c] // max(sum(give.values()), 1)
            view.setColumnWidth(c, width)


def fit_columns(view: QTableView, elastic: dict[int, int]) -> None:
    """Fit ``view``'s columns to its width: ``elastic`` maps the columns that may narrow (and
    elide) to their minimum width; the others keep the width ``make_table`` sampled."""
    _ColumnFitter(view, elastic)
