from __future__ import annotations

from pathlib import Path

import pytest

from hall_app.config import BusinessRules, Settings


def test_defaults_follow_domain_rules() -> None:
    rules = BusinessRules()
    assert rules.max_numbers_per_id == 5
    assert rules.recent_open_window_days == 30
    assert (rules.min_age_alone, rules.min_age_with_guardian) == (16, 10)
    assert (rules.login_max_failures, rules.login_lock_minutes) == (5, 15)
    settings = Settings.load(env={})
    assert settings.db_url.startswith("sqlite:///") and settings.db_url.endswith("hall.sqlite3")


def test_environment_and_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "hall.toml"
    cfg.write_text('counter_code = "03"\n[rules]\nmax_numbers_per_id = 3\n', encoding="utf-8")
    settings = Settings.load(
        env={"HALL_CONFIG": str(cfg), "HALL_DB_URL": "sqlite:///x.db", "HALL_COUNTER": "06"}
    )
    assert settings.db_url == "sqlite:///x.db"
    assert settings.counter_code == "06"  # the environment wins over the file
    assert settings.rules.max_numbers_per_id == 3
    assert settings.rules.login_max_failures == 5


def test_unknown_rule_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[rules]\nmax_numbers = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="max_numbers"):
        Settings.load(env={"HALL_CONFIG": str(cfg)})


def test_demo_mode_from_the_environment() -> None:
    assert Settings.load(env={}).demo is False
    assert Settings.load(env={"HALL_DEMO": "1"}).demo is True
    assert Settings.load(env={"HALL_DEMO": "0"}).demo is False
    with pytest.raises(ValueError, match="HALL_DEMO"):
        Settings.load(env={"HALL_DEMO": "maybe"})
