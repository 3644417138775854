"""How a work order's appointment and lateness read on screen."""

from __future__ import annotations

from hall_app.clock import local
from hall_app.services.workorders import WorkOrderView

WEEKDAYS = "一二三四五六日"
PROVISIONAL_NOTE = "（暂按周一至周五计算）"


def appointment(v: WorkOrderView) -> str:
    """11-26（周四）上午 09:00–12:00"""
    start, end = local(v.window_start), local(v.window_end)
    return (
        f"{start:%m-%d}（周{WEEKDAYS[start.weekday()]}）{v.window_label} {start:%H:%M}–{end:%H:%M}"
    )


def overdue_text(v: WorkOrderView) -> str:
    if v.overdue:
        return "已超期"
    if v.late_days:
        return f"晚装 {v.late_days} 天"
    return ""
