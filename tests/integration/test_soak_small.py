"""`make soak` in small (issue 15 §5): ten order-taking workers killed with SIGKILL at random
moments and four processes sharing one SQLite file, every check passed; and the checks
themselves find a payment, an invoice number, a SIM, a bill, a modem, an install slot and an
instalment plan that went wrong."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hall_app.app import HallApp
from hall_app.services.actor import Actor
from soak.checks import Baseline, check_database
from soak.runner import Tally, Told, clear_message
from soak.worker import Orders
from tests.conftest import TEST_KEYS

ROOT = Path(__file__).resolve().parents[2]


def test_ten_kills_and_four_processes_leave_every_order_whole(
    demo_template: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(TEST_KEYS.to_json())
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "soak",
            *("--trials", "10", "--max-delay", "1.0", "--processes", "4", "--seconds", "4"),
            *("--no-central", "--work", str(tmp_path), "--json", str(out)),
            *("--template", str(demo_template), "--keys", str(keys), "--seed", "3"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,  # a loaded machine; alone it takes well under a minute
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    result = json.loads(out.read_text())
    trials, shared = result["kill_trials"], result["shared_file"]
    assert trials["trials"] == 10
    assert trials["checks_passed"] == 10 and trials["checks_failed"] == 0
    assert sum(trials["killed"].values()) == 10
    assert sum(trials["orders_completed"].values()) > 0
    assert trials["untyped_errors"] == 0
    assert shared["trials"] == 4 and shared["checks_passed"] == 1 and not shared["problems"]
    assert shared["untyped_errors"] == 0
    assert sum(shared["orders_completed"].values()) > 0
    assert "KILL TRIALS" in done.stdout and "orders completed" in done.stdout


@pytest.fixture
def soaked(hall: HallApp, clerk: Actor, demo_url: str) -> tuple[Path, Baseline, list[str]]:
    """The test's demo copy (with the coming days' install slots, as the soak prepares it) and
    its baseline, then one order of each kind on it."""
    import random

    from hall_app.demo.today import top_up_slots

    path = Path(demo_url.removeprefix("sqlite:///"))
    assert top_up_slots(hall.db, hall.clock(), hall.settings.rules) > 0
    base = Baseline.take(path)
    orders = Orders(hall, clerk, random.Random(5))
    made = [
        orders.mobile(),
        orders.broadband(),
        orders.handset(),
        orders.installment(),
        orders.bill(),
        orders.top_up(),
    ]
    assert all(made), made
    hall.close()
    return path, base, [str(n) for n in made]


def _damage(path: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def test_the_checks_pass_on_whole_orders(soaked: tuple[Path, Baseline, list[str]]) -> None:
    path, base, made = soaked
    found = check_database(path, base, made)
    assert found.ok, found.problems
    assert sum(found.orders.values()) == 6
    assert found.orders["broadband_install"] == 1 and found.orders["handset_sale"] == 2


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (
            "DELETE FROM payments WHERE order_id = (SELECT id FROM orders WHERE order_no = ?)",
            "paid",
        ),
        (
            "DELETE FROM invoice_lines WHERE invoice_id IN (SELECT i.id FROM invoices i "
            "JOIN orders o ON o.id = i.order_id WHERE o.order_no = ?)",
            "invoice",
        ),
        ("UPDATE orders SET state = 'submitted' WHERE order_no = ?", "left in state submitted"),
        ("DELETE FROM orders WHERE order_no = ?", "reported complete but is missing"),
    ],
)
def test_the_checks_name_a_broken_order(
    soaked: tuple[Path, Baseline, list[str]], damage: str, named: str
) -> None:
    path, base, made = soaked
    _damage(path, damage, made[0])  # the mobile opening
    found = check_database(path, base, made, chain=False)
    assert any(named in p for p in found.problems), found.problems


def test_the_checks_name_resources_taken_without_an_order(
    soaked: tuple[Path, Baseline, list[str]],
) -> None:
    path, base, made = soaked
    _damage(
        path,
        "UPDATE sim_cards SET status = 'assigned' WHERE rowid = "
        "(SELECT min(rowid) FROM sim_cards WHERE status = 'in_stock')",
    )
    _damage(
        path,
        "UPDATE bills SET paid_fen = paid_fen + 100 WHERE rowid = "
        "(SELECT min(rowid) FROM bills WHERE status = 'unpaid')",
    )
    _damage(
        path,
        "UPDATE subscriptions SET balance_fen = balance_fen + 1 WHERE rowid = "
        "(SELECT min(rowid) FROM subscriptions WHERE kind = 'mobile')",
    )
    problems = check_database(path, base, made, chain=False).problems
    assert any(p.startswith("SIM ") and "without an order" in p for p in problems), problems
    assert any(p.startswith("bill ") and "paid 100 more" in p for p in problems), problems
    assert any(p.startswith("subscription ") for p in problems), problems


@pytest.mark.parametrize(
    ("order", "damage", "named"),
    [
        (  # the broadband install's modem back in stock
            1,
            "UPDATE equipment SET status = 'in_stock' WHERE order_id = "
            "(SELECT id FROM orders WHERE order_no = ?)",
            "modems ['in_stock']",
        ),
        (  # its work order gone
            1,
            "DELETE FROM work_orders WHERE order_id = (SELECT id FROM orders WHERE order_no = ?)",
            "work orders []",
        ),
        (  # the instalment sale's last instalment gone
            3,
            "DELETE FROM instalments WHERE rowid = (SELECT max(i.rowid) FROM instalments i "
            "JOIN installment_contracts c ON c.id = i.contract_id JOIN orders o "
            "ON o.id = c.order_id WHERE o.order_no = ?)",
            "contract active",
        ),
    ],
)
def test_the_checks_name_a_broken_install_or_instalment_plan(
    soaked: tuple[Path, Baseline, list[str]], order: int, damage: str, named: str
) -> None:
    path, base, made = soaked
    _damage(path, damage, made[order])
    found = check_database(path, base, made, chain=False)
    assert any(made[order] in p and named in p for p in found.problems), found.problems


def test_the_checks_name_a_modem_slot_or_contract_taken_without_an_order(
    soaked: tuple[Path, Baseline, list[str]],
) -> None:
    path, base, made = soaked
    _damage(
        path,
        "UPDATE equipment SET status = 'lent' WHERE rowid = "
        "(SELECT min(rowid) FROM equipment WHERE status = 'in_stock')",
    )
    _damage(
        path,
        "UPDATE install_slots SET booked = booked + 1 WHERE rowid = "
        "(SELECT min(rowid) FROM install_slots WHERE booked < capacity)",
    )
    _damage(
        path,
        "UPDATE orders SET state = 'cancelled' WHERE order_no = ?",
        made[3],  # the instalment sale
    )
    problems = check_database(path, base, made, chain=False).problems
    assert any(p.startswith("modem ") and "without an order" in p for p in problems), problems
    assert any(p.startswith("install slot ") and "1 more booked" in p for p in problems), problems
    assert any(p.startswith("installment contract ") for p in problems), problems


def test_the_checks_name_an_invoice_number_gap(soaked: tuple[Path, Baseline, list[str]]) -> None:
    path, base, made = soaked
    _damage(path, "UPDATE invoice_segments SET next_seq = next_seq + 1")
    problems = check_database(path, base, made, chain=False).problems
    assert any("invoice segment" in p and "missing" in p for p in problems), problems


def test_a_message_a_clerk_cannot_act_on_is_flagged() -> None:
    told = Told()
    for line in (
        "READY",
        "B mobile",
        "X mobile StorageError 数据库无法访问或繁忙，本次操作未保存，请稍后重试",
        "B bill",
        "X bill StorageError database is locked",
        "B top_up",
        "R top_up KeyError 'x'",
        "B handset",
        "W",
    ):
        told.feed(line)
    assert told.raw == ["bill StorageError database is locked", "top_up KeyError 'x'"]
    assert sum(told.errors.values()) == 2
    assert told.moment == "mid-transaction"
    assert clear_message("号码：19002410186 已被其他窗口预占或已使用，请另选号码")
    assert not clear_message("(sqlite3.OperationalError) 数据库")


def test_the_refusals_are_counted_by_order_and_field() -> None:
    tally = Tally()
    for line in (
        "X bill ValidationError 账单：2026-08 账单（177****2366）已由其他窗口缴费，本次未收费",
        "X bill ValidationError 账单：2026-08 账单（180****4666）已由其他窗口缴费，本次未收费",
        "X mobile ValidationError ICCID：这张卡已使用，请换一张",
        "X top_up ValidationError 没有字段的消息",
    ):
        told = Told()
        told.feed(line)
        tally.told(told)
    assert tally.by_field() == [("bill 账单", 2), ("mobile ICCID", 1), ("top_up ?", 1)]


def test_the_checks_name_an_altered_audit_entry(soaked: tuple[Path, Baseline, list[str]]) -> None:
    path, base, made = soaked
    assert check_database(path, base, made).chain_checked > 0
    _damage(
        path,
        "UPDATE audit_log SET actor_name = actor_name || 'x' WHERE rowid = "
        "(SELECT max(rowid) FROM audit_log WHERE seq IS NOT NULL)",
    )
    problems = check_database(path, base, made).problems
    assert any(p.startswith("audit chain:") for p in problems), problems
