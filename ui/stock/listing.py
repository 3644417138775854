"""终端库存: every handset model on sale with its units by status, refreshed whenever stock
changes (a delivery received, a unit sold or returned)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

from hall_app.services.actor import Actor
from hall_app.services.stock import HandsetStockService, StockModelView
from ui import format as fmt
from ui.ops import Changes, Operations
from ui.widgets.list_dialog import ListDialog

HEADERS = ("品牌", "机型", "颜色", "存储", "型号编码", "售价", "在库", "预占", "已售", "故障")
SAMPLE = (
    "Apple",
    "华为 Mate 70 12+256GB 雅川青",
    "雅川青",
    "12+256GB",
    "HW_MATE70_256_G",
    "¥5,499.00",
    "00000",
    "0000",
    "00000",
    "0000",
)


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
            headers=[
                "品牌",
                "机型",
                "颜色",
                "存储",
                "型号编码",
                "售价",
                "在库",
                "预占",
                "已售",
                "故障",
            ],
            sample=(
                "Apple",
                "华为 Mate 70 12+256GB 雅川青",
                "雅川青",
                "12+256GB",
                "HW_MATE70_256_G",
                "¥5,499.00",
                "00000",
                "0000",
                "00000",
                "0000",
            ),
            refresh_on=Changes.STOCK,
            size=QSize(1200, 560),
            share=(0.85, 0.7),
            parent=parent,
        )
        self._stock, self._actor = stock, actor
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
                    m.name,
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
