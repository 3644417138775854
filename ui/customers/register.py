"""New customer registration (实名登记) from a card on the ID reader: the card's data is read
only; the clerk adds the contact number and address, records the face check, and for ages 10
to 15 names the guardian (an adult customer, found by their ID number)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hall_app.devices.id_reader import IdCardData
from hall_app.domain.errors import HallError, ValidationError
from hall_app.domain.masking import mask_id_number
from hall_app.domain.resident_id import parse_resident_id
from hall_app.domain.telecom import parse_mobile_number
from hall_app.services.actor import Actor
from hall_app.services.customers import ADDRESS_MAX_CHARS, CustomerService, RegisterIndividual
from ui import messages
from ui.ops import Changes, Operations
from ui.screen import fit_to_screen
from ui.widgets.fields import FaceCheck, error_label


class RegisterDialog(QDialog):
    registered = Signal(object)  # the new customer's id

    def __init__(
        self,
        card: IdCardData,
        service: CustomerService,
        actor: Actor,
        ops: Operations,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("registerDialog")
        self.setWindowTitle("新客户实名登记")
        self._card, self._service, self._actor, self._ops = card, service, actor, ops
        form = QFormLayout()
        valid = f"{card.valid_from} 至 {card.valid_to or '长期'}"
        for label, value in (
            ("姓名", card.name),
            ("性别", {"M": "男", "F": "女"}.get(card.gender, card.gender)),
            ("民族", card.ethnicity),
            ("出生", f"{card.birth_date.year} 年"),
            ("证件号码", mask_id_number(card.id_number)),
            ("签发机关", card.issuer),
            ("有效期限", valid),
        ):
            shown = QLabel(value)
            shown.setObjectName(f"card_{label}")
            form.addRow(f"{label}：", shown)
        self.phone = QLineEdit()
        self.phone.setObjectName("regPhone")
        self.phone.setPlaceholderText("11 位手机号码")
        self.phone.setMaxLength(11)
        self.phone.textEdited.connect(self._check_phone)
        self.phone_error = error_label("regPhoneError")
        self.address = QLineEdit(card.address)
        self.address.setObjectName("regAddress")
        self.address.setMaxLength(ADDRESS_MAX_CHARS)  # pasting more is cut at the column's length
        self.address_error = error_label("regAddressError")
        self.guardian = QLineEdit()
        self.guardian.setObjectName("regGuardian")
        self.guardian.setPlaceholderText("仅 10 至 15 周岁须填写：监护人的身份证号码")
        self.guardian_error = error_label("regGuardianError")
        self.face = FaceCheck(actor.full_name, name="regFace")
        self.face_method, self.face_passed = self.face.method_box, self.face.passed
        self.face_error = error_label("regFaceError")
        form.addRow("联系电话：", self.phone)
        form.addRow("", self.phone_error)
        form.addRow("联系地址：", self.address)
        form.addRow("", self.address_error)
        form.addRow("监护人证件：", self.guardian)
        form.addRow("", self.guardian_error)
        form.addRow("人像比对：", self.face_method)
        form.addRow("", self.face_passed)
        form.addRow("", self.face_error)
        self.save_button = QPushButton("登记 (Ctrl+S)")
        self.save_button.setObjectName("regSave")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.clicked.connect(self.save)
        self.save_button.setDefault(True)  # Enter in any field registers
        cancel = QPushButton("取消 (Esc)")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        fit_to_screen(self, QSize(620, 520))
        self._errors = {
            "联系电话": self.phone_error,
            "手机号码": self.phone_error,
            "地址": self.address_error,
            "监护人": self.guardian_error,
            "人像比对": self.face_error,
        }

    def _check_phone(self, text: str) -> None:
        if not text or (len(text) < 11 and text.isdigit()):
            self.phone_error.clear()
            return
        try:
            parse_mobile_number(text)
        except ValidationError as exc:
            self.phone_error.setText(f"联系电话：{exc.message}")
            return
        self.phone_error.clear()

    def form_errors(self) -> list[tuple[QWidget, QLabel, str]]:
        """Every field that is wrong now, each with its message: all are shown at once, next
        to their fields (the service checks them all again, and the rest)."""
        errors: list[tuple[QWidget, QLabel, str]] = []
        try:
            parse_mobile_number(self.phone.text())
        except ValidationError as exc:
            errors.append((self.phone, self.phone_error, f"联系电话：{exc.message}"))
        if not self.address.text().strip():
            errors.append((self.address, self.address_error, "地址：请填写联系地址"))
        guardian = self.guardian.text().strip()
        if guardian:
            try:
                parse_resident_id(guardian)
            except ValidationError as exc:
                text = f"监护人：监护人证件号码{exc.message}"
                errors.append((self.guardian, self.guardian_error, text))
        if not self.face_passed.isChecked():
            text = "人像比对：请先完成人证比对并勾选确认"
            errors.append((self.face_passed, self.face_error, text))
        return errors

    def save(self) -> None:
        for label in self._errors.values():
            label.clear()
        errors = self.form_errors()
        for _field, label, text in errors:
            label.setText(text)
        if errors:
            errors[0][0].setFocus()
            return
        card, service, actor = self._card, self._service, self._actor
        guardian_text = self.guardian.text().strip()
        req = RegisterIndividual(
            name=card.name,
            id_number=card.id_number,
            address=self.address.text(),
            contact_phone=self.phone.text(),
            face_check=self.face.method,
            face_checked_by=self.face.checked_by,
            card_valid_to=card.valid_to,
        )

        def work() -> uuid.UUID:  # the service finds the guardian by their ID number
            return service.register_individual(
                actor, replace(req, guardian_id_number=guardian_text)
            )

        def failed(exc: HallError) -> None:
            label = self._errors.get(exc.field or "")
            if label is not None:
                label.setText(exc.text)
                return
            messages.failure(self, exc)

        def done(customer_id: uuid.UUID) -> None:
            self.registered.emit(customer_id)
            self.accept()

        self._ops.mutate(
            work,
            done,
            failed,
            changes=Changes.CUSTOMER,
            parent=self,
            label="正在登记…",
            initiator=self,
            customer=lambda customer_id: customer_id,
        )
