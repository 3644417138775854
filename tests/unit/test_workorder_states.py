"""The work order's state machine: each step from each status, allowed or refused in Chinese."""

from __future__ import annotations

import pytest

from hall_app.domain.enums import WorkOrderStatus as S
from hall_app.domain.errors import ValidationError
from hall_app.domain.workorders import ALLOWED, OPEN, STEP_NAMES, check_step

EXPECTED = {
    "dispatch": {S.SCHEDULED},
    "install": {S.DISPATCHED},
    "fail": {S.SCHEDULED, S.DISPATCHED},
    "reschedule": {S.SCHEDULED, S.DISPATCHED, S.FAILED},
    "cancel": {S.SCHEDULED, S.DISPATCHED, S.FAILED},
}


@pytest.mark.parametrize("step", sorted(EXPECTED))
@pytest.mark.parametrize("status", list(S))
def test_each_step_from_each_status(step: str, status: S) -> None:
    assert ALLOWED[step] == EXPECTED[step]
    if status in EXPECTED[step]:
        check_step(step, status, "GD1")
        return
    with pytest.raises(ValidationError) as refused:
        check_step(step, status, "GD1")
    assert refused.value.field == "工单状态"
    assert f"工单 GD1 当前为“{status.label}”" in refused.value.text
    assert STEP_NAMES[step] in refused.value.text


def test_the_refusals_say_what_would_do() -> None:
    with pytest.raises(ValidationError, match="尚未派单，须先派单才能报装机完成"):
        check_step("install", S.SCHEDULED, "GD1")
    with pytest.raises(ValidationError, match="须先改约重新预约才能报装机完成"):
        check_step("install", S.FAILED, "GD1")
    with pytest.raises(ValidationError, match="已结束，不能再改约"):
        check_step("reschedule", S.INSTALLED, "GD1")


def test_installed_and_cancelled_are_final_and_the_rest_open() -> None:
    assert {S.SCHEDULED, S.DISPATCHED, S.FAILED} == OPEN
    for final in (S.INSTALLED, S.CANCELLED):
        assert not any(final in allowed for allowed in ALLOWED.values())
