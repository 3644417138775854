"""Deterministic, realistic demo data: ``hall-app demo --customers N --days D --seed S``."""
