"""终端库存: every handset model on sale with its units by status, refreshed whenever stock
changes (a delivery received, a unit sold or returned)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHeaderView, QWidget

from hall_app.services.actor import Actor
from hall_app.services.stock import HandsetStockService, StockModelView
from ui import format as fmt
from ui.ops import Changes, Operations
from ui.widgets.list_dialog import ListDialog

HEADERS = ("品牌", "机型", "颜色", "存储", "型号编码", "售价", "在库", "预占", "已售", "故障")
# A typical row, for the columns' widths: the longest colour, storage and code in the catalog
# whole; 机型 (the model alone: brand, colour and storage have their own columns) takes what
# is left of the width, not 故障 (a count).
SAMPLE = (
    "Apple",
    "iPhone 17 Pro Max",
    "薰衣草紫",
    "16+512GB",
    "HW_MATE70_512_BLK",
    "¥15,999.00",
    "00000",
    "0000",
    "00000",
    "00000",
)
MODEL_COLUMN = 1


def model_text(m: StockModelView) -> str:
    return m.model or m.name


class StockListDialog(ListDialog):
    def __init__(
        self,
        stock: HandsetStockService,
        actor: Actor,
        ops: Operations,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            ops,
            name="stockList",
            title="终端库存",
            headers=HEADERS,
            sample=SAMPLE,
            refresh_on=Changes.STOCK,
            size=QSize(1200, 560),
            share=(0.85, 0.7),
            parent=parent,
        )
        self._stock, self._actor = stock, actor
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(MODEL_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.shown: list[StockModelView] = []
        self.refresh()

    def refresh(self) -> None:
        stock, actor = self._stock, self._actor
        self._ops.query(lambda: stock.models(actor), self._show, parent=self)

    def _show(self, models: list[StockModelView]) -> None:
        self.shown = models
        self.rows.set_rows(
            [
                (
                    m.brand,
                    model_text(m),
                    m.colour or "—",
                    m.storage or "—",
                    m.code,
                    fmt.money(m.price_fen),
                    str(m.in_stock),
                    str(m.reserved),
                    str(m.sold),
                    str(m.faulty),
                )
                for m in models
            ],
            models,
        )
        units = sum(m.in_stock for m in models)
        empty = [m.name for m in models if m.in_stock == 0]
        text = f"在售机型 {len(models)} 个，在库 {units:,} 台（含退货入库）"
        if empty:
            text += "；无库存：" + "、".join(empty[:5]) + ("等" if len(empty) > 5 else "")
        self.count.setText(text)
        if models:
            self.table.selectRow(0)
            self.table.setFocus()
