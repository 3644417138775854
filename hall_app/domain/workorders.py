"""The install work order's states (装机工单): what may follow what, and the Chinese refusal.

scheduled → dispatched → installed; scheduled or dispatched → failed (with a reason);
scheduled, dispatched or failed → scheduled again on a new slot (改约); scheduled,
dispatched or failed → cancelled. installed and cancelled are final; the others are open
(a failed one waits to be rescheduled: the customer still waits, the promise still runs)."""

from __future__ import annotations

from hall_app.domain.enums import WorkOrderStatus as S
from hall_app.domain.errors import ValidationError

STATUS_FIELD = "工单状态"

# What each step is called at the counter, for the refusal message.
STEP_NAMES = {
    "dispatch": "派单",
    "install": "报装机完成",
    "fail": "报装机失败",
    "reschedule": "改约",
    "cancel": "取消工单",
}

ALLOWED: dict[str, frozenset[S]] = {
    "dispatch": frozenset({S.SCHEDULED}),
    "install": frozenset({S.DISPATCHED}),
    "fail": frozenset({S.SCHEDULED, S.DISPATCHED}),
    "reschedule": frozenset({S.SCHEDULED, S.DISPATCHED, S.FAILED}),
    "cancel": frozenset({S.SCHEDULED, S.DISPATCHED, S.FAILED}),
}

OPEN = frozenset({S.SCHEDULED, S.DISPATCHED, S.FAILED})


def check_step(step: str, status: S, work_order_no: str) -> None:
    """Refuse a step the work order's status does not allow, saying what would."""
    if status in ALLOWED[step]:
        return
    name = STEP_NAMES[step]
    if status in (S.INSTALLED, S.CANCELLED):
        why = "已结束，不能再"
    elif step == "install" and status is S.SCHEDULED:
        why = "尚未派单，须先派单才能"
    elif step == "install" and status is S.FAILED:
        why = "须先改约重新预约才能"
    else:
        why = "不能"
    raise ValidationError(f"工单 {work_order_no} 当前为“{status.label}”，{why}{name}", STATUS_FIELD)
