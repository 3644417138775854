"""Settings: where the data lives and the configurable business rules, with the defaults of
../shared/domain-rules.md. Values come from the environment and an optional TOML file; nothing
configurable is a literal in the services."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from hall_app.domain.eligibility import EligibilityRules
from hall_app.domain.handsets import CreditRules

APP_NAME = "hall-app"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_key_file() -> Path:
    return default_data_dir() / "hall-data.key"


def default_db_url() -> str:
    return f"sqlite:///{default_data_dir() / 'hall.sqlite3'}"


@dataclass(frozen=True)
class BusinessRules:
    operator: str = "telecom"
    max_numbers_per_id: int = 5
    recent_open_window_days: int = 30
    min_age_alone: int = 16
    min_age_with_guardian: int = 10
    min_age_installments: int = 18
    handset_return_days: int = 7  # a handset sold outright may be returned undamaged so long
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # The counter locks after this long without a key press or mouse input (0: never).
    idle_lock_minutes: float = 5.0
    number_reservation_minutes: int = 30
    search_result_limit: int = 50
    queue_recalls_before_no_show: int = 2
    queue_default_service_minutes: float = 8.0
    cash_float_max_fen: int = 2_000_000  # the largest float a till opens with: 20,000.00
    # Promised install date: within this many working days of the order, by technology.
    install_promise_ftth_days: int = 5
    install_promise_fttb_days: int = 5
    # Install windows on working days: (code, label, start, end), local time of the hall.
    install_windows: tuple[tuple[str, str, str, str], ...] = (
        ("morning", "上午", "09:00", "12:00"),
        ("afternoon", "下午", "14:00", "18:00"),
        ("evening", "晚间", "18:00", "20:00"),
    )
    install_lead_hours: int = 4  # the earliest bookable window starts this long after now
    install_search_working_days: int = 14  # how far ahead free slots are offered
    relocation_fee_fen: int = 10_000  # 移机费: 100.00
    landline_area_code: str = "0591"
    # A new broadband account number: fields area_code, day (a date), counter (its code), seq.
    broadband_account_format: str = "KD{area_code}{day:%y%m%d}{counter}{seq:04d}"
    # The credit assessment before an installment sale (the age is min_age_installments).
    credit_min_tenure_days: int = 90  # real-name tenure below this: a supervisor decides
    credit_max_arrears_fen: int = 0  # arrears above this on any subscription refuse
    credit_max_active_contracts: int = 2  # this many running installment contracts refuse
    credit_max_overdue_now: int = 0  # instalments overdue today above this refuse
    credit_max_paid_late: int = 0  # instalments ever paid late above this: a supervisor
    credit_monthly_limit_fen: int = 80_000  # all instalments a month up to this pass …
    credit_monthly_refer_limit_fen: int = 150_000  # … up to this a supervisor; above, refused
    # The supervisor's desk (issue 13).
    approval_expiry_minutes: int = 30  # a remote approval request left undecided expires
    cash_variance_tolerance_fen: int = 1_000  # a till's variance beyond 10.00: a supervisor
    evaluation_window_seconds: int = 30  # the customer screen waits this long for a press
    hall_first_day: str = "2025-01-01"  # reports refuse days before (ISO date)
    # Bills, payments and balances (issue 14).
    bill_due_day: int = 15  # the bill of a month is due on this day of the next month
    late_fee_per_mille_per_day: int = 3  # 违约金: 3‰ of the overdue amount a day
    arrears_suspend_days: int = 10  # unpaid this many days after the due date: 欠费停机
    bill_invoice_at_counter: bool = True  # a VAT invoice for bills paid at the counter
    top_up_min_fen: int = 100  # a top-up: 1.00 …
    top_up_max_fen: int = 500_000  # … to 5,000.00 a time
    keep_number_fee_fen: int = 500  # 停机保号: 5.00 a month while voluntarily suspended
    sim_replacement_fee_fen: int = 1_000  # 补卡/换卡: 10.00
    downgrade_penalty_fen: int = 10_000  # a downgrade inside a lock-in with no handset contract
    number_quarantine_days: int = 90  # a cancelled number rests this long before it is offered
    port_min_tenure_days: int = 120  # 携号转网: active at least this long
    port_code_valid_hours: int = 72  # a 携号转网授权码 is valid this long
    # The monthly appraisal (月度考核表): (kpi code, weight, target). A KPI's score is its
    # achievement of the target, capped at 100 %; the sheet's score is the weighted sum.
    appraisal_kpis: tuple[tuple[str, float, float], ...] = (
        ("served", 0.25, 600.0),  # tickets served in the month
        ("within_target_pct", 0.25, 90.0),  # served with a wait within the target, %
        ("avg_service_minutes", 0.15, 10.0),  # at most this average service time
        ("satisfied_pct", 0.25, 95.0),  # 非常满意 + 满意 of the answers, %
        ("revenue_fen", 0.10, 5_000_000.0),  # payments taken in the month, fen
    )

    def eligibility(self) -> EligibilityRules:
        return EligibilityRules(
            min_age_alone=self.min_age_alone,
            min_age_with_guardian=self.min_age_with_guardian,
            max_numbers_per_id=self.max_numbers_per_id,
            recent_open_window_days=self.recent_open_window_days,
        )

    def credit(self) -> CreditRules:
        return CreditRules(
            min_age=self.min_age_installments,
            min_tenure_days=self.credit_min_tenure_days,
            max_arrears_fen=self.credit_max_arrears_fen,
            max_active_contracts=self.credit_max_active_contracts,
            max_overdue_now=self.credit_max_overdue_now,
            max_paid_late=self.credit_max_paid_late,
            monthly_limit_fen=self.credit_monthly_limit_fen,
            monthly_refer_limit_fen=self.credit_monthly_refer_limit_fen,
        )


ID_READERS = ("none", "demo")
FLAG_VALUES = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off", ""), False),
}


@dataclass(frozen=True)
class Settings:
    db_url: str = field(default_factory=default_db_url)
    hall_code: str | None = None
    counter_code: str | None = None
    rules: BusinessRules = field(default_factory=BusinessRules)
    # The ID-card reader: "none" (no reader attached) or "demo" (cards of demo customers and,
    # every fourth read, a new person). A vendor's reader gets its own adapter and value.
    id_reader: str = "none"
    # The hall's central PostgreSQL (HALL_CENTRAL_URL); None: this counter works alone.
    central_url: str | None = None
    # Demo mode (HALL_DEMO=1, set by `make run`): today's queue is topped up at start, new
    # customers take tickets while the app runs, and F9 on the SIM page scans a free test SIM.
    demo: bool = False
    # The hall's data keys (HALL_KEY_FILE, TOML key_file): owner-only, never in the database.
    key_file: Path = field(default_factory=default_key_file)

    @classmethod
    def load(cls, env: dict[str, str] | None = None, db_url: str | None = None) -> Settings:
        """Defaults, then the TOML file named by HALL_CONFIG, then HALL_* variables."""
        env = dict(os.environ) if env is None else env
        settings = cls()
        config_path = env.get("HALL_CONFIG")
        if config_path:
            settings = settings._merge_toml(Path(config_path))
        if env.get("HALL_DB_URL"):
            settings = replace(settings, db_url=env["HALL_DB_URL"])
        if env.get("HALL_HALL"):
            settings = replace(settings, hall_code=env["HALL_HALL"])
        if env.get("HALL_COUNTER"):
            settings = replace(settings, counter_code=env["HALL_COUNTER"])
        if env.get("HALL_CENTRAL_URL"):
            settings = replace(settings, central_url=env["HALL_CENTRAL_URL"])
        if env.get("HALL_KEY_FILE"):
            settings = replace(settings, key_file=Path(env["HALL_KEY_FILE"]).expanduser())
        if env.get("HALL_ID_READER"):
            settings = replace(settings, id_reader=env["HALL_ID_READER"])
        if settings.id_reader not in ID_READERS:
            raise ValueError(
                f"HALL_ID_READER 应为 {' / '.join(ID_READERS)}，实际为 “{settings.id_reader}”"
            )
        if "HALL_DEMO" in env:
            flag = FLAG_VALUES.get(env["HALL_DEMO"].strip().lower())
            if flag is None:
                raise ValueError(f"HALL_DEMO 应为 1 或 0，实际为 “{env['HALL_DEMO']}”")
            settings = replace(settings, demo=flag)
        if db_url:
            settings = replace(settings, db_url=db_url)
        return settings

    def _merge_toml(self, path: Path) -> Settings:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
        rules_data = data.get("rules", {})
        known = {f.name for f in fields(BusinessRules)}
        unknown = set(rules_data) - known
        if unknown:
            raise ValueError(f"{path}: unknown rules {sorted(unknown)}")
        return replace(
            self,
            db_url=data.get("db_url", self.db_url),
            hall_code=data.get("hall_code", self.hall_code),
            counter_code=data.get("counter_code", self.counter_code),
            # A relative key file is beside the TOML file.
            key_file=path.parent / Path(data["key_file"]).expanduser()
            if "key_file" in data
            else self.key_file,
            rules=replace(self.rules, **rules_data),
        )
