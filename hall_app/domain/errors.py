"""Typed errors for expected failures.

Every expected failure carries the Chinese label of the field it concerns and a message a clerk
can act on. Anything that is not a ``HallError`` is a bug.
"""

from __future__ import annotations


class HallError(Exception):
    """Base of all expected, clerk-facing failures."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """The full Chinese message, field label first: ``证件号码：校验位错误``."""
        return f"{self.field}：{self.message}" if self.field else self.message


class ValidationError(HallError):
    """A value typed, scanned or imported is not acceptable."""


class PermissionDenied(HallError):
    """The acting staff member lacks the permission for this operation."""


class AuthenticationError(HallError):
    """Login failed: unknown user, wrong password, or locked account."""


class NotFound(HallError):
    """A record the clerk asked for does not exist."""


class StorageError(HallError):
    """The database could not be reached or refused the operation."""


class DeviceError(HallError):
    """A printer, file or other device at the counter failed (out of paper, disk full…)."""
