"""Handset screens: returns (退货)."""
