"""Resident ID card readers (二代证读卡器). Real readers come with vendor SDKs; the app talks to
this interface only, so a new model needs one adapter class."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from hall_app.domain.errors import HallError


class DeviceError(HallError):
    """A device did not deliver: no card on the reader, a read error, unplugged."""


@dataclass(frozen=True)
class IdCardData:
    name: str
    gender: str  # "M" / "F", as printed on the card
    ethnicity: str
    birth_date: date
    address: str
    id_number: str
    issuer: str  # 签发机关
    valid_from: date
    valid_to: date | None  # None: 长期 (long-term)


class IdCardReader(Protocol):
    def read(self, expect_customer_id: uuid.UUID | None = None) -> IdCardData:
        """Read the card on the reader, or raise ``DeviceError``. ``expect_customer_id``: the
        customer whose card the page checks for (the owner, for 解挂, 补换卡, 资料变更): a hint
        for a simulated reader only; a real one reads the card placed, whoever's it is."""
        ...


class SimulatedIdCardReader:
    """Hands out the given cards in turn; ``present(None)`` simulates an empty reader."""

    def __init__(self, cards: Sequence[IdCardData]) -> None:
        self._cards = list(cards)
        self._next = 0
        self._empty = False

    def present(self, card: IdCardData | None) -> None:
        if card is None:
            self._empty = True
            return
        self._empty = False
        self._cards.insert(self._next, card)

    def read(self, expect_customer_id: uuid.UUID | None = None) -> IdCardData:
        """The next card, whatever ``expect_customer_id`` (the tests place the cards)."""
        if self._empty or not self._cards:
            raise DeviceError("未检测到身份证，请将证件平放在读卡区后重试", "读卡器")
        card = self._cards[self._next % len(self._cards)]
        self._next += 1
        return card
