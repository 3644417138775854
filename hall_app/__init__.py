"""营业厅前台受理系统 — the counter application's core (no Qt here)."""

__version__ = "0.1.0"
