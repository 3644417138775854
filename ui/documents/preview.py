"""Preview a document inside the app (QtPdf), print it through QPrinter, or save it as PDF.

The PDF bytes come from the document service; nothing here builds a document. Printing renders
the pages in a worker thread (QPainter may paint on a QPrinter outside the GUI thread)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSize
from PySide6.QtGui import QKeySequence, QPageLayout, QPageSize, QPainter, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.services.documents import PrintedDocument
from ui import messages
from ui.ops import Operations

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


class DocumentPreview(QDialog):
    """One document: the pages on screen, 打印 (Ctrl+P), 另存为 (Ctrl+S), 关闭 (Esc)."""

    def __init__(
        self, printed: PrintedDocument, title: str, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("documentPreview")
        self.setWindowTitle(f"{title} — 预览")
        self.resize(760, 900)
        self.printed = printed
        self._ops = ops
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(printed.pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)

        copy = f"（第 {printed.copy_no} 次打印，已加盖“重打”）" if printed.copy_no > 1 else ""
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
        QShortcut(QKeySequence("Ctrl+P"), self, activated=self.print_document)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save_pdf)

    def print_document(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.printed.filename)
        if not _choose_printer(self, printer):
            return
        pdf = self.printed.pdf
        self.print_button.setEnabled(False)

        def done(pages: int) -> None:
            self.print_button.setEnabled(True)
            self.info.setText(f"已发送到打印机，共 {pages} 页")

        def failed(exc: BaseException) -> None:
            self.print_button.setEnabled(True)
            if isinstance(exc, OSError):
                messages.error(self, f"打印失败：{exc}")
            else:
                messages.failure(self, exc)

        self.printer = printer  # kept alive until the worker is done with it
        self._ops.run(lambda: print_pdf(pdf, printer), done, failed, parent=self, label="正在打印…")

    def save_pdf(self) -> None:
        path = _ask_save_path(self, self.printed.filename)
        if not path:
            return
        target = Path(path if path.lower().endswith(".pdf") else f"{path}.pdf")
        pdf = self.printed.pdf

        def failed(exc: BaseException) -> None:
            messages.error(
                self, f"保存失败（{target}）：{exc.strerror if isinstance(exc, OSError) else exc}"
            )

        self._ops.run(
            lambda: target.write_bytes(pdf),
            lambda _n: self.info.setText(f"已保存到 {target}"),
            failed,
            parent=self,
        )
