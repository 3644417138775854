"""终端入库: the supervisor receives handsets, scanned one by one (each IMEI checked as it is
scanned, the error inline; the list is bound to the model it is scanned for: the model box is
locked while the list has units, and 确认入库 names that model) or from a supplier's delivery
file (checked on a worker thread with a progress bar, the per-row errors in a table, and
确认导入 N 条 for the valid rows only)."""

from __future__ import annotations

import uuid
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.errors import HallError
from hall_app.services.actor import Actor
from hall_app.services.stock import (
    HandsetStockService,
    ImportReport,
    ImportResult,
    ReceiveResult,
    StockModelView,
)
from ui import format as fmt
from ui import messages
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.style import set_role
from ui.table import RowsModel, make_table

FILE_FILTER = "到货清单 (*.csv *.xlsx *.txt);;所有文件 (*)"


class _Progress(QObject):
    """Carries a worker's progress to the GUI thread (a queued signal)."""

    moved = Signal(int, int)


def model_label(m: StockModelView) -> str:
    return f"{m.name}（{m.code}）· {fmt.money(m.price_fen)} · 库存 {m.in_stock} 台"


def report_summary(report: ImportReport) -> str:
    text = (
        f"{Path(report.path).name}：共 {report.rows_total:,} 行，有效 {report.valid:,} 行，"
        f"有误 {report.error_rows:,} 行"
    )
    if report.per_model:
        text += "；有效行按型号：" + "，".join(f"{c} {n:,} 台" for c, n in report.per_model.items())
    if report.unlisted:
        text += f"（另有 {report.unlisted:,} 处错误未列出）"
    return text


class ReceiveStockDialog(QDialog):
    def __init__(
        self,
        stock: HandsetStockService,
        actor: Actor,
        ops: Operations,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("receiveStock")
        self.setWindowTitle("终端入库")
        self._stock, self._actor, self._ops = stock, actor, ops
        self.scanned: list[str] = []
        self._checking: list[str] = []  # scanned, still being checked
        # The model the list is scanned for: fixed by the first scan, saved by 确认入库 whatever
        # the model box shows, and let go only when the list is empty again.
        self.scanned_for: uuid.UUID | None = None
        self._models: dict[uuid.UUID, StockModelView] = {}
        self.report: ImportReport | None = None
        self._progress = _Progress(self)
        self._progress.moved.connect(self._moved)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._scan_tab(), "逐台扫描 (Alt+1)")
        self.tabs.addTab(self._file_tab(), "导入到货文件 (Alt+2)")
        shortcut(self, "Alt+1", lambda: self._tab(0))
        shortcut(self, "Alt+2", lambda: self._tab(1))
        close = QPushButton("关闭 (Esc)")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        fit_to_screen(self, QSize(1100, 660), share=(0.8, 0.85))
        self._load_models()

    # -- scanning -----------------------------------------------------------------------------
    def _scan_tab(self) -> QWidget:
        page = QWidget()
        self.model_box = QComboBox()
        self.model_box.setObjectName("stockModel")
        # Changed anyhow while the list is bound (a wheel, a key, code): back to the bound model.
        self.model_box.currentIndexChanged.connect(lambda _i: self._update_receive())
        self.model_hint = QLabel("")
        self.model_hint.setObjectName("stockModelHint")
        set_role(self.model_hint, "muted")
        self.imei = QLineEdit()
        self.imei.setObjectName("stockImei")
        self.imei.setPlaceholderText("扫描或输入 15 位串号，回车")
        self.imei.setMaxLength(20)
        self.imei.returnPressed.connect(self._scan)
        self.scan_message = QLabel("扫描枪扫描后自动回车；每台即时校验")
        self.scan_message.setObjectName("stockScanMessage")
        self.scan_message.setWordWrap(True)
        set_role(self.scan_message, "muted")
        self.list = QListWidget()
        self.list.setObjectName("stockScanned")
        remove = QPushButton("删除所选 (Del)")
        remove.clicked.connect(self._remove)
        shortcut(self.list, "Del", self._remove)
        clear = QPushButton("清空列表")
        clear.clicked.connect(self._clear)
        self.receive_button = QPushButton("确认入库 (Ctrl+Enter)")
        self.receive_button.setObjectName("stockReceive")
        self.receive_button.setEnabled(False)
        self.receive_button.clicked.connect(self._receive)
        shortcut(self, "Ctrl+Return", self._receive_if_scanning)
        for b in (remove, clear, self.receive_button):
            b.setAutoDefault(False)
        form = QFormLayout()
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_box, 1)
        model_row.addWidget(self.model_hint)
        model_caption = QLabel("机型 (&M)")
        model_caption.setBuddy(self.model_box)  # a label's "&" is a mnemonic only with a buddy
        form.addRow(model_caption, model_row)
        form.addRow("串号 IMEI (&I)", self.imei)
        form.addRow("", self.scan_message)
        buttons = QHBoxLayout()
        buttons.addWidget(remove)
        buttons.addWidget(clear)
        buttons.addStretch(1)
        buttons.addWidget(self.receive_button)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        return page

    def _tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        (self.imei if index == 0 else self.choose_button).setFocus()

    def _load_models(self) -> None:
        stock, actor = self._stock, self._actor
        self._ops.query(lambda: stock.models(actor), self._show_models, parent=self)

    def _show_models(self, models: list[StockModelView]) -> None:
        current = self.scanned_for or self.model_box.currentData()
        self._models = {m.product_id: m for m in models}
        self.model_box.clear()
        for m in models:
            self.model_box.addItem(model_label(m), m.product_id)
        if current is not None and (i := self._index_of(current)) >= 0:
            self.model_box.setCurrentIndex(i)
        self._update_receive()
        self.imei.setFocus()

    def _index_of(self, product_id: object) -> int:
        """The box's row for ``product_id``, compared by value: ``findData`` compares the
        wrapped Python objects by identity, so a reloaded list (new UUID objects) was never
        found and the box fell back to its first model after 确认入库."""
        for i in range(self.model_box.count()):
            if self.model_box.itemData(i) == product_id:
                return i
        return -1

    def _model_name(self, product_id: uuid.UUID) -> str:
        model = self._models.get(product_id)
        return model.name if model is not None else "所选机型"

    def _scan(self) -> None:
        text = self.imei.text().strip()
        if not text:
            return
        self.imei.clear()
        if self.scanned_for is None:
            chosen = self.model_box.currentData()
            if not isinstance(chosen, uuid.UUID):
                self._scan_failed(text, "请先选择机型")
                return
            self.scanned_for = chosen  # the list is this model's until it is empty again
        pending = [*self.scanned, *self._checking]
        self._checking.append(text)
        self._update_receive()
        stock, actor, product_id = self._stock, self._actor, self.scanned_for

        def done(imei: str) -> None:
            self._checking.remove(text)
            if imei in self.scanned:  # two scans of one unit, both checked at once
                self._scan_failed(text, f"{imei} 已在本次入库列表中，请勿重复扫描")
                return
            self.scanned.append(imei)
            self.list.addItem(f"{len(self.scanned):>3}.  {imei}")
            self.list.scrollToBottom()
            self._scan_ok(f"已扫描 {imei}")

        def failed(exc: HallError) -> None:
            self._checking.remove(text)
            self._scan_failed(text, exc.message)

        self._ops.query(
            lambda: stock.check_imei(actor, text, pending, product_id), done, failed, parent=self
        )

    def _scan_ok(self, text: str) -> None:
        self.scan_message.setText(f"{text}。本次共 {len(self.scanned)} 台")
        set_role(self.scan_message, "ok")
        set_role(self.imei, None)
        self._update_receive()

    def _scan_failed(self, scanned: str, message: str) -> None:
        self.scan_message.setText(f"串号 {scanned[:20]}：{message}")
        set_role(self.scan_message, "error")
        set_role(self.imei, "error")
        if not self.imei.text():  # back in the field, selected: one wrong digit can be
            self.imei.setText(scanned)  # corrected, and the next scan replaces it whole
            self.imei.selectAll()
        self._update_receive()

    def _update_receive(self) -> None:
        """The button names the model the list is for; the model box is locked while the list
        has units (or scans being checked), so a mouse wheel or a stray key over it cannot
        change what the units are received as."""
        n = len(self.scanned)
        if not n and not self._checking:
            self.scanned_for = None
        bound = self.scanned_for
        if bound is not None and (i := self._index_of(bound)) >= 0:
            self.model_box.setCurrentIndex(i)  # the box shows what the list will be saved as
        self.model_box.setEnabled(bound is None)
        self.model_hint.setText("换机型请先清空列表" if bound is not None else "")
        self.receive_button.setEnabled(n > 0 and bound is not None)
        self.receive_button.setText(
            f"确认入库 {self._model_name(bound)} {n} 台 (Ctrl+Enter)"
            if n and bound is not None
            else "确认入库 (Ctrl+Enter)"
        )

    def _remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.scanned):
            del self.scanned[row]
            self._refill()

    def _clear(self) -> None:
        bound = self.scanned_for
        if (
            self.scanned
            and bound is not None
            and not messages.confirm(
                self,
                f"清空已扫描的 {len(self.scanned)} 台 {self._model_name(bound)}？清空后可换机型。",
            )
        ):
            return
        self.scanned.clear()
        self._refill()

    def _refill(self) -> None:
        self.list.clear()
        self.list.addItems([f"{k:>3}.  {imei}" for k, imei in enumerate(self.scanned, 1)])
        self._update_receive()
        self.imei.setFocus()

    def reject(self) -> None:
        """Esc or 关闭: a scanned list not yet received is not thrown away unasked (a stray
        Enter keeps it)."""
        n = len(self.scanned) + len(self._checking)
        bound = self.scanned_for
        if n and not messages.confirm_default_no(
            self,
            f"已扫描的 {n} 台{f' {self._model_name(bound)} ' if bound else ''}还未入库。"
            "关闭将丢弃这个列表，确定关闭？",
        ):
            self.imei.setFocus()
            return
        super().reject()

    def _receive_if_scanning(self) -> None:
        if self.tabs.currentIndex() == 0 and self.receive_button.isEnabled():
            self._receive()

    def _receive(self) -> None:
        product_id = self.scanned_for  # what the units were scanned for, not what the box shows
        if product_id is None or not self.scanned:
            return
        stock, actor, imeis = self._stock, self._actor, tuple(self.scanned)
        self.receive_button.setEnabled(False)
        self._ops.mutate(
            lambda: stock.receive(actor, product_id, imeis),
            self._received,
            self._receive_failed,
            changes=Changes.STOCK,
            parent=self,
            label="正在入库…",
            always=self._update_receive,
            initiator=self,
        )

    def _received(self, done: ReceiveResult) -> None:
        self.scanned.clear()
        self._refill()
        self.scan_message.setText(f"已入库 {done.name} {done.count} 台，存放于{done.location}")
        set_role(self.scan_message, "ok")
        self._load_models()

    def _receive_failed(self, exc: HallError) -> None:
        self.scan_message.setText(f"未入库：{exc.text}")
        set_role(self.scan_message, "error")

    # -- a delivery file ----------------------------------------------------------------------
    def _file_tab(self) -> QWidget:
        page = QWidget()
        self.choose_button = QPushButton("导入文件… (Ctrl+O)")
        self.choose_button.setObjectName("stockChooseFile")
        self.choose_button.clicked.connect(self.choose_file)
        shortcut(self, "Ctrl+O", self.choose_file)
        hint = QLabel(
            "CSV（UTF-8 或 GBK）或 .xlsx；表头含 IMEI、型号编码，可选 备注。"
            "先逐行检查，确认后只导入有效行，一次保存。"
        )
        hint.setWordWrap(True)
        set_role(hint, "muted")
        self.bar = QProgressBar()
        self.bar.setObjectName("stockProgress")
        self.bar.setVisible(False)
        self.file_summary = QLabel("")
        self.file_summary.setObjectName("stockFileSummary")
        self.file_summary.setWordWrap(True)
        self.errors = RowsModel(["行号", "IMEI", "字段", "说明"])
        self.error_table = make_table(
            self.errors, ("100000", "8600000000000000", "型号编码", "与第 100000 行重复")
        )
        self.error_table.setObjectName("stockErrors")
        self.import_button = QPushButton("确认导入")
        self.import_button.setObjectName("stockImport")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self._import)
        for b in (self.choose_button, self.import_button):
            b.setAutoDefault(False)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(hint, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.import_button)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.error_table, 1)
        layout.addWidget(self.file_summary)
        layout.addLayout(bottom)
        return page

    def choose_file(self) -> None:
        self._tab(1)
        if not self.choose_button.isEnabled():  # a check or an import is under way
            return
        path, _ = QFileDialog.getOpenFileName(self, "选择到货清单", "", FILE_FILTER)
        if path:
            self.check(path)

    def check(self, path: str) -> None:
        """Check every row of ``path`` on a worker thread; nothing is written."""
        self.report = None
        self.errors.set_rows([])
        self.import_button.setEnabled(False)
        self.import_button.setText("确认导入")
        self.choose_button.setEnabled(False)
        self._begin(f"正在检查 {Path(path).name} …")
        stock, actor, tell = self._stock, self._actor, self._progress.moved.emit
        self._ops.query(
            lambda: stock.check_file(actor, path, tell),
            self._checked,
            self._file_failed,
            parent=self,
            always=self._end,
        )

    def _begin(self, text: str) -> None:
        self.bar.setRange(0, 0)
        self.bar.setVisible(True)
        self.file_summary.setText(text)
        set_role(self.file_summary, None)

    def _end(self) -> None:
        self.bar.setVisible(False)
        self.choose_button.setEnabled(True)

    def _moved(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.bar.setFormat(f"{done:,} / {total:,} 行")

    def _checked(self, report: ImportReport) -> None:
        self.report = report
        self.errors.set_rows(
            [(str(e.row_no), e.imei, e.field, e.message) for e in report.errors], report.errors
        )
        self.file_summary.setText(report_summary(report))
        set_role(self.file_summary, "error" if report.error_count else "ok")
        self.import_button.setEnabled(report.valid > 0)
        self.import_button.setText(
            f"确认导入 {report.valid:,} 条" if report.valid else "没有可导入的有效行"
        )
        (self.import_button if report.valid else self.choose_button).setFocus()

    def _file_failed(self, exc: HallError) -> None:
        self.file_summary.setText(exc.text)
        set_role(self.file_summary, "error")

    def _import(self) -> None:
        report = self.report
        if report is None or not report.valid:
            return
        if report.error_rows and not messages.confirm(
            self,
            f"有误的 {report.error_rows:,} 行不会导入。确认导入有效的 {report.valid:,} 条？",
        ):
            return
        path = report.path
        self.import_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self._begin(f"正在导入 {Path(path).name} …")
        stock, actor, tell = self._stock, self._actor, self._progress.moved.emit
        self._ops.mutate(
            lambda: stock.import_file(actor, path, tell, accepted=report),
            self._imported,
            self._import_failed,
            changes=Changes.STOCK,
            parent=self,
            always=self._end,
            initiator=self,
        )

    def _imported(self, done: ImportResult) -> None:
        # The per-row errors stay listed (what goes back to the supplier); only the import
        # button is spent.
        self.report = None
        self.import_button.setText("确认导入")
        models = "，".join(f"{c} {n:,} 台" for c, n in done.per_model.items())
        self.file_summary.setText(
            f"已导入 {Path(done.path).name}：{done.imported:,} 台（{models}）"
            + (f"；有误的 {done.skipped:,} 行未导入（见上表）" if done.skipped else "")
        )
        set_role(self.file_summary, "ok")
        self._load_models()

    def _import_failed(self, exc: HallError) -> None:
        self.file_summary.setText(f"未导入任何内容：{exc.text}")
        set_role(self.file_summary, "error")
        self.import_button.setEnabled(self.report is not None and self.report.valid > 0)
