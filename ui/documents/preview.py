"""Preview a document inside the app (QtPdf), print it through QPrinter, or save it as PDF.

The PDF bytes come from the document service; nothing here builds a document. Printing renders
the pages in a worker thread (QPainter may paint on a QPrinter outside the GUI thread)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSize
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.domain.errors import DeviceError, HallError
from hall_app.services.documents import PrintedDocument
from ui import messages
from ui.keys import shortcut
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen

# Pages are rendered for the printer at this resolution at most: sharp barcodes, small spools.
PRINT_DPI = 300


def _choose_printer(parent: QWidget, printer: QPrinter) -> bool:
    """The system print dialog (patched in tests)."""
    return QPrintDialog(printer, parent).exec() == QDialog.DialogCode.Accepted


def _ask_save_path(parent: QWidget, suggested: str) -> str:
    """The save dialog (patched in tests); an empty string when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, "另存为 PDF", suggested, "PDF 文件 (*.pdf)")
    return path


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Render every page of ``pdf`` onto ``printer`` at its own paper size; returns pages."""
    document = QPdfDocument()
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        raise OSError("无法读取文档内容，未打印")
    first = document.pagePointSize(0)
    printer.setPageLayout(
        QPageLayout(
            QPageSize(first, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.ExactMatch),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("打印机不可用，请检查打印机是否连接")
    try:
        dpi = min(printer.resolution(), PRINT_DPI)
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            points = document.pagePointSize(page)
            image = document.render(
                page, QSize(int(points.width() * dpi / 72), int(points.height() * dpi / 72))
            )
            target = QRectF(QPointF(0, 0), painter.viewport().size().toSizeF())
            painter.drawImage(target, image)
        return document.pageCount()
    finally:
        painter.end()
        document.close()


def _ask_reason(parent: QWidget, label: str) -> str:
    """Why a document is printed again (patched in tests); empty when cancelled."""
    text, ok = QInputDialog.getText(parent, "重打", f"{label}已打印过，请填写重打原因：")
    return text.strip() if ok else ""


class DocumentPreview(QDialog):
    """One document: the pages on screen, 打印 (Ctrl+P), 另存为 (Ctrl+S), 关闭 (Esc).

    Showing records nothing. Every print and every save goes through ``issue``, which records
    the copy (a reprint needs a reason and comes out stamped 重打) and returns the PDF to send."""

    def __init__(
        self,
        shown: PrintedDocument,
        title: str,
        ops: Operations,
        issue: Callable[[str], PrintedDocument],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("documentPreview")
        self.setWindowTitle(f"{title} — 预览")
        self.shown = shown
        self.title = title
        self.issued: list[PrintedDocument] = []
        self._issue = issue
        self._ops = ops
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(shown.pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)

        copy = f"（将是第 {shown.copy_no} 份，加盖“重打”）" if shown.copy_no > 1 else ""
        self.info = QLabel(f"{title}{copy}，共 {self.document.pageCount()} 页")
        self.info.setObjectName("previewInfo")
        self.print_button = QPushButton("打印 (Ctrl+P)")
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(self.print_document)
        self.save_button = QPushButton("另存为 PDF (Ctrl+S)")
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(self.save_pdf)
        close = QPushButton("关闭 (Esc)")
        close.clicked.connect(self.accept)
        bar = QHBoxLayout()
        bar.addWidget(self.info, 1)
        for button in (self.print_button, self.save_button, close):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        shortcut(self, "Ctrl+P", self.print_document)
        shortcut(self, "Ctrl+S", self.save_pdf)
        fit_to_screen(self, QSize(760, 900), share=(0.45, 0.92))

    def _reason(self) -> str | None:
        """The reprint reason when this copy would not be the first; None when cancelled."""
        if self.shown.copy_no == 1 and not self.issued:
            return ""
        reason = _ask_reason(self, self.title)
        return reason or None

    def _busy(self, busy: bool) -> None:
        self.print_button.setEnabled(not busy)
        self.save_button.setEnabled(not busy)

    def print_document(self) -> None:
        if not self.print_button.isEnabled():
            return
        reason = self._reason()
        if reason is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.shown.filename)
        if not _choose_printer(self, printer):
            return
        issue = self._issue
        self._busy(True)

        def work() -> tuple[PrintedDocument, int]:
            issued = issue(reason)
            try:
                return issued, print_pdf(issued.pdf, printer)
            except OSError as exc:
                raise _device_error(exc) from exc

        def done(result: tuple[PrintedDocument, int]) -> None:
            issued, pages = result
            self.issued.append(issued)
            self._busy(False)
            self.info.setText(f"已发送到打印机：第 {issued.copy_no} 份，共 {pages} 页")

        self.printer = printer  # kept alive until the worker is done with it
        self._ops.mutate(
            work,
            done,
            self._failed,
            changes=Changes.DOCUMENTS,
            parent=self,
            label="正在打印…",
            always=lambda: self._busy(False),
        )

    def save_pdf(self) -> None:
        if not self.save_button.isEnabled():
            return
        reason = self._reason()
        if reason is None:
            return
        path = _ask_save_path(self, self.shown.filename)
        if not path:
            return
        target = Path(path if path.lower().endswith(".pdf") else f"{path}.pdf")
        issue = self._issue
        self._busy(True)

        def work() -> PrintedDocument:
            issued = issue(reason)
            try:
                target.write_bytes(issued.pdf)
            except OSError as exc:
                raise _device_error(exc) from exc
            return issued

        def done(issued: PrintedDocument) -> None:
            self.issued.append(issued)
            self._busy(False)
            self.info.setText(f"已保存到 {target}（第 {issued.copy_no} 份）")

        self._ops.mutate(
            work,
            done,
            self._failed,
            changes=Changes.DOCUMENTS,
            parent=self,
            always=lambda: self._busy(False),
        )

    def _failed(self, exc: HallError) -> None:
        messages.error(self, exc.text)


def _device_error(exc: OSError) -> DeviceError:
    """The printer or the disk failed after the copy was recorded: say so, in Chinese."""
    detail = exc.strerror or str(exc)
    return DeviceError(f"打印或保存失败：{detail}。本份已登记，再打须填写重打原因")
