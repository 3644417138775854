"""What may need a supervisor's approval (审批): one registry of kinds.

Each kind has a code (stored in ``approvals.kind``), the label a supervisor reads in the inbox
and the permission that decides it. Adding an approval later is one ``declare`` line here and
the service that needs it calling ``hall_app.services.approvals.redeem`` (remote) or
``record_inline`` (the supervisor at the counter) in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass

from hall_app.domain.errors import ValidationError
from hall_app.domain.permissions import Permission


@dataclass(frozen=True)
class ApprovalKind:
    code: str
    label: str
    permission: Permission = Permission.APPROVE


APPROVAL_KINDS: dict[str, ApprovalKind] = {}


def declare(code: str, label: str, permission: Permission = Permission.APPROVE) -> ApprovalKind:
    """Register an approval kind; a code is declared once (``approvals.kind`` is 32 chars)."""
    if code in APPROVAL_KINDS:
        raise ValueError(f"approval kind {code!r} declared twice")
    if not code or len(code) > 32:
        raise ValueError(f"approval kind code {code!r} must be 1 to 32 characters")
    kind = ApprovalKind(code, label, permission)
    APPROVAL_KINDS[code] = kind
    return kind


def kind_of(code: str) -> ApprovalKind:
    """The declared kind, or a clear refusal for a code nobody declared."""
    kind = APPROVAL_KINDS.get(code)
    if kind is None:
        raise ValidationError(f"没有“{code}”这种审批事项", "审批类型")
    return kind


def kind_label(code: str) -> str:
    """The label of a kind; an undeclared code (an old row) shows as it is stored."""
    kind = APPROVAL_KINDS.get(code)
    return kind.label if kind is not None else code


SECOND_NUMBER_30D = declare("second_number_30d", "30天内再次开户")
INSTALLMENT_CREDIT = declare("installment_credit", "分期信用评估")
HANDSET_RETURN = declare("handset_return", "手机退货")
RED_LETTER = declare("red_letter", "发票红冲")
CASH_VARIANCE = declare("cash_variance", "现金差异")
OWNERSHIP_TRANSFER = declare("ownership_transfer", "过户")
LATE_FEE_WAIVER = declare("late_fee_waiver", "违约金减免")
