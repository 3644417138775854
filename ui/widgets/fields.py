"""Small pieces the forms share: the colours of field messages, a message label, and the face
check every real-name step records (which device, or which clerk compared face and photo)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel

from hall_app.domain.enums import FaceCheckMethod

FACE_DEVICE_ID = "HK-FR-200"  # the counter's face-comparison terminal


def error_label(name: str) -> QLabel:
    label = QLabel("")
    label.setObjectName(name)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    return label


class FaceCheck:
    """The method chooser and the clerk's confirmation that face and photo match."""

    def __init__(self, clerk_name: str, name: str = "face") -> None:
        self._clerk = clerk_name
        self.method_box = QComboBox()
        self.method_box.setObjectName(f"{name}Method")
        self.method_box.addItem(f"人像比对设备（{FACE_DEVICE_ID}）", FaceCheckMethod.DEVICE.value)
        self.method_box.addItem(f"人工核验（核验人：{clerk_name}）", FaceCheckMethod.MANUAL.value)
        self.passed = QCheckBox("人证比对通过：本人与证件照片一致")
        self.passed.setObjectName(f"{name}Passed")

    @property
    def method(self) -> FaceCheckMethod:
        return FaceCheckMethod(self.method_box.currentData())

    @property
    def checked_by(self) -> str:
        """The device's id, or the name of the clerk who compared."""
        return FACE_DEVICE_ID if self.method is FaceCheckMethod.DEVICE else self._clerk
