"""The demo customers the README's first screen names are found as it says, in the default
demo build (seed 1). Chunk 0 of a build holds its first 20,000 customers, drawn from their own
seeded RNG, so the first thousand are the same whatever the build's size and day."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.engine import make_engine
from hall_app.db.migrate import upgrade_to_head
from hall_app.db.models import Customer
from hall_app.demo.builder import CHUNK, DemoBuilder
from hall_app.demo.reference import DEMO_PASSWORD
from tests.conftest import DEMO_TODAY

README = Path(__file__).resolve().parents[2] / "README.md"


def _named_customers() -> list[tuple[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- demo-customers:start -->")[1].split("<!-- demo-customers:end -->")[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        queries = re.findall(r"`([^`]+)`", cells[1]) if len(cells) > 2 else []
        if queries:
            rows.append((cells[0], queries))
    return rows


def test_the_readme_customers_are_found_as_it_says(tmp_path: Path) -> None:
    named = _named_customers()
    assert len(named) >= 5
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    DemoBuilder(engine, seed=1, today=DEMO_TODAY, chunk=CHUNK, workers=1).build(1000, 1)
    engine.dispose()
    hall = build_app(Settings.load(env={}, db_url=url))
    try:
        clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        for name, queries in named:
            for query in queries:
                found = hall.customers.search_customers(clerk, query)
                assert name in [row.name for row in found.rows], (name, query)
    finally:
        hall.close()


def test_the_same_people_whatever_day_the_demo_is_built(tmp_path: Path) -> None:
    def people(day: str) -> list[tuple[object, ...]]:
        engine = make_engine(f"sqlite:///{tmp_path / day}.sqlite3")
        upgrade_to_head(engine)
        DemoBuilder(engine, seed=1, today=date.fromisoformat(day), workers=1).build(200, 1)
        with Session(engine) as s:  # opened: the columns are sealed, bound to their rows
            rows = [
                (c.name, c.id_number, c.uscc, c.contact_phone)
                for c in s.scalars(select(Customer).order_by(literal_column("customers.rowid")))
            ]
        engine.dispose()
        return rows

    assert people("2026-11-24") == people("2027-06-01")
