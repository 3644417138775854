"""Step 1: the handset model (brand, model, colour, storage, price and how many are in stock)
and the way to sell it: outright (裸机购买), on contract (合约购机) or in installments (分期购机),
with the model's offers for that way."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QTableView,
    QVBoxLayout,
)

from hall_app.domain.enums import OfferKind, SaleMode
from hall_app.services.handsets import HandsetModelView, OfferView
from ui import format as fmt
from ui.handsets.draft import HandsetPage, instalment_conditions, instalment_cost, offers_of
from ui.keys import shortcut
from ui.style import set_role
from ui.table import RowsModel, make_table
from ui.wizard.base import WizardEnv, error_label

ALL_BRANDS = "全部品牌"
MODES = (
    (SaleMode.OUTRIGHT, "裸机购买 (Alt+1)", "Alt+1"),
    (SaleMode.CONTRACT, "合约购机 (Alt+2)", "Alt+2"),
    (SaleMode.INSTALLMENT, "分期购机 (Alt+3)", "Alt+3"),
)


def model_row(m: HandsetModelView) -> tuple[str, ...]:
    return (
        m.brand,
        m.model,
        m.colour,
        m.storage,
        fmt.money(m.price_fen),
        f"{m.in_stock} 台" if m.in_stock else "无货",
        f"合约 {sum(1 for o in m.offers if o.kind is OfferKind.CONTRACT)} / "
        f"分期 {sum(1 for o in m.offers if o.kind is OfferKind.INSTALLMENT)}",
    )


def offer_row(o: OfferView) -> tuple[str, ...]:
    if o.kind is OfferKind.CONTRACT:
        return (
            f"{o.months} 个月",
            f"直降 {fmt.money(o.subsidy_fen)}",
            f"套餐月费不低于 {fmt.money(o.min_plan_fen)}",
            o.name,
        )
    return (f"{o.months} 期", instalment_cost(o), instalment_conditions(o), o.name)


class _FirstLastRow(QObject):
    """Home and End in a row-selecting table go to the first and the last row (Qt's own move
    to the row's first and last cell, which selects the same row again: nothing happens)."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if key not in (Qt.Key.Key_Home, Qt.Key.Key_End):
            return False
        count = self._view.model().rowCount()
        if count:
            row = 0 if key == Qt.Key.Key_Home else count - 1
            self._view.selectRow(row)
            self._view.scrollTo(self._view.model().index(row, 0))
        return True


class ModelPage(HandsetPage):
    title = "选择机型"

    def __init__(self, env: WizardEnv) -> None:
        super().__init__(env)
        self.models: list[HandsetModelView] = []
        self.brand = QComboBox()
        self.brand.setObjectName("handsetBrand")
        self.brand.currentIndexChanged.connect(lambda _i: self._filter())
        self.rows = RowsModel(["品牌", "型号", "颜色", "存储", "售价", "库存", "可选方案"])
        self.table = make_table(
            self.rows,
            (
                "华为",
                "iPhone 17 Pro Max",
                "薰衣草紫色",
                "16+512GB",
                "¥12,999.00",
                "999 台",
                "合约 3 / 分期 4",
            ),
        )
        self.table.setObjectName("handsetModels")
        _FirstLastRow(self.table)
        self.table.selectionModel().selectionChanged.connect(self._model_chosen)
        self.table.activated.connect(lambda _i: self.mode_buttons[self.draft.mode].setFocus())
        self.stock_note = error_label("handsetStockNote")

        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[SaleMode, QRadioButton] = {}
        modes = QHBoxLayout()
        modes.addWidget(QLabel("购买方式："))
        for mode, text, key in MODES:
            button = QRadioButton(text)
            button.setObjectName(f"mode_{mode.value}")
            button.toggled.connect(lambda on, m=mode: self._mode_toggled(m, on))
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            shortcut(self, key, button.click)
            modes.addWidget(button)
        modes.addStretch(1)

        self.offer_rows = RowsModel(["期限", "优惠/费用", "条件", "方案名称"])
        self.offers = make_table(
            self.offer_rows,
            ("24 个月", "直降 ¥1,200.00", "首付不低于 30%，提前结清手续费 ¥100.00"),
        )
        self.offers.setObjectName("handsetOffers")
        self.offers.selectionModel().selectionChanged.connect(self._offer_chosen)
        self.offers.setMaximumHeight(150)
        self.offer_note = QLabel("")
        self.offer_note.setObjectName("offerNote")
        self.offer_note.setWordWrap(True)
        offer_box = QGroupBox("方案")
        ob = QVBoxLayout(offer_box)
        ob.addWidget(self.offers)
        ob.addWidget(self.offer_note)
        self.offer_box = offer_box

        top = QHBoxLayout()
        top.addWidget(QLabel("品牌："))
        top.addWidget(self.brand)
        top.addWidget(QLabel("↑↓ 选择机型，回车后选择购买方式（Alt+1/2/3）"), 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.stock_note)
        layout.addLayout(modes)
        layout.addWidget(offer_box, 1)
        self._loaded = False
        self._shown: list[HandsetModelView] = []
        self._offers: list[OfferView] = []
        self.mode_buttons[SaleMode.OUTRIGHT].setChecked(True)

    # -- loading ---------------------------------------------------------------------------
    def enter(self) -> None:
        if self._loaded:
            self.table.setFocus()
            return
        service, actor = self.env.app.handsets, self.env.actor
        self.query(lambda: service.models(actor), self._fill, label="正在读取机型与库存…")

    def _fill(self, models: list[HandsetModelView]) -> None:
        self._loaded = True
        self.models = models
        self.brand.blockSignals(True)
        self.brand.clear()
        self.brand.addItem(ALL_BRANDS, "")
        for brand in dict.fromkeys(m.brand for m in models):
            self.brand.addItem(brand, brand)
        self.brand.blockSignals(False)
        self._filter()
        self.table.setFocus()

    def _filter(self) -> None:
        brand = self.brand.currentData() or ""
        self._shown = [m for m in self.models if not brand or m.brand == brand]
        self.rows.set_rows([model_row(m) for m in self._shown], self._shown)
        chosen = self.draft.model
        index = next(
            (i for i, m in enumerate(self._shown) if chosen and m.product_id == chosen.product_id),
            0 if self._shown else -1,
        )
        if index >= 0:
            self.table.selectRow(index)
        else:
            self._set_model(None)

    # -- choosing --------------------------------------------------------------------------
    def _model_chosen(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = selected.indexes()
        if rows:
            self._set_model(self._shown[rows[0].row()])

    def _set_model(self, model: HandsetModelView | None) -> None:
        d = self.draft
        if (d.model.product_id if d.model else None) != (model.product_id if model else None):
            d.device = None  # a unit of the model before is not this one
            d.offer = None
            self._invalidate()
        d.model = model
        if model is not None and model.in_stock == 0:
            set_role(self.stock_note, "error")
            self.stock_note.setText(f"{model.name} 暂无库存，请为客户选择其他颜色或机型")
        else:
            self.stock_note.clear()
        self._show_offers()

    def _mode_toggled(self, mode: SaleMode, on: bool) -> None:
        if on:
            self._mode_chosen(mode)

    def _mode_chosen(self, mode: SaleMode) -> None:
        if self.draft.mode is not mode:
            self.draft.mode = mode
            self.draft.offer = None
            self._invalidate()
        self._show_offers()

    def _show_offers(self) -> None:
        d = self.draft
        model, mode = d.model, d.mode
        self._offers = offers_of(model, mode) if model is not None else []
        self.offer_rows.set_rows([offer_row(o) for o in self._offers], self._offers)
        self.offer_box.setEnabled(mode is not SaleMode.OUTRIGHT)
        if model is None:
            self.offer_note.setText("")
        elif mode is SaleMode.OUTRIGHT:
            self.offer_box.setTitle("方案")
            self.offer_note.setText(
                f"裸机购买：按售价 {fmt.money(model.price_fen)} 全款，开具增值税发票（13%），"
                "保修自购买之日起计算；7 天内未损坏可退货。"
            )
        elif not self._offers:
            self.offer_note.setText(f"{model.name} 没有{mode.label}方案")
        elif mode is SaleMode.CONTRACT:
            self.offer_box.setTitle("合约方案（↑↓ 选择）")
            self.offer_note.setText(
                "合约购机：售价直降补贴，须绑定客户名下符合最低月费的手机号码并履约至期满；"
                "提前解约须退还未履约月份的补贴。"
            )
        else:
            self.offer_box.setTitle("分期方案（期数在下一步“合约/分期”中也可调整）")
            self.offer_note.setText(
                "分期购机：仅限年满 18 周岁的客户，须通过信用评估；首付今日收取，"
                "其余按月还款，可提前结清。"
            )
        # installments default to the longest term (the smallest monthly amount: the shortest
        # exceeds the credit limit on an expensive phone); contracts to the first
        default = len(self._offers) - 1 if mode is SaleMode.INSTALLMENT else 0
        index = next(
            (i for i, o in enumerate(self._offers) if d.offer and o.id == d.offer.id), default
        )
        if self._offers and mode is not SaleMode.OUTRIGHT:
            self.offers.selectRow(index)
        self.complete_changed.emit()

    def _offer_chosen(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = selected.indexes()
        offer = self._offers[rows[0].row()] if rows else None
        if (offer.id if offer else None) != (self.draft.offer.id if self.draft.offer else None):
            self.draft.offer = offer
            self._invalidate()
        self.complete_changed.emit()

    def _invalidate(self) -> None:
        d = self.draft
        d.plan = None
        d.quote = None
        self.complete_changed.emit()

    def is_complete(self) -> bool:
        d = self.draft
        if d.model is None or d.model.in_stock == 0:
            return False
        return d.mode is SaleMode.OUTRIGHT or d.offer is not None

    def missing(self) -> str:
        d = self.draft
        if not self._loaded:
            return "正在读取机型…"
        if d.model is None:
            return "请选择机型"
        if d.model.in_stock == 0:
            return "该机型暂无库存"
        if d.offer is None:
            return f"该机型没有{d.mode.label}方案" if not self._offers else "请选择方案"
        return ""
