# Two commands for a fresh Debian/Ubuntu machine:
#   make run   - installs what is missing, builds demo data once, starts the counter app
#   make test  - installs what is missing, runs ruff, mypy (strict on hall_app/ and ui/) and the whole suite
# Beside them: make kiosk (the ticket kiosk on the same demo data), make reset-demo (rebuild it).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_DB ?= var/demo.sqlite3
DEMO_CUSTOMERS ?= 20000
DEMO_DAYS ?= 30
export QT_QPA_PLATFORM ?= $(if $(DISPLAY),xcb,offscreen)

.PHONY: run kiosk reset-demo test system venv lint typecheck pytest demo screenshot bench soak clean

QUICK ?=

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@echo "venv: creating $(VENV) and installing hall-app with its [test] extra"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# Built under a temporary name and renamed when complete, so an interrupted build is never used.
$(DEMO_DB): | venv
	@mkdir -p $(dir $(DEMO_DB))
	@rm -f $(DEMO_DB).building*
	$(VENV)/bin/hall-app --db sqlite:///$(DEMO_DB).building demo --customers $(DEMO_CUSTOMERS) --days $(DEMO_DAYS) --seed 1
	@mv $(DEMO_DB).building $(DEMO_DB)

demo: system venv $(DEMO_DB)

# Demo mode: the demo ID-card reader (F9 in the search), the demo SIM scanner (F9 on the SIM
# page), today's queue topped up at start and new customers taking tickets while it runs.
DEMO_ENV = HALL_DB_URL=sqlite:///$(abspath $(DEMO_DB)) HALL_ID_READER=demo HALL_DEMO=1

run: system venv $(DEMO_DB)
	$(DEMO_ENV) $(VENV)/bin/hall-app

# The self-service ticket kiosk on the same demo database, beside `make run` (log in as staff).
kiosk: system venv $(DEMO_DB)
	$(DEMO_ENV) $(VENV)/bin/hall-app --kiosk

# Delete the demo database and build it again (the virtualenv stays as it is).
reset-demo: | venv
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB)-journal
	@$(MAKE) --no-print-directory $(DEMO_DB)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

# Two workers (the machines have 2 cores), each taking whole test files.
PYTEST_WORKERS ?= 2
pytest: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test: system venv lint typecheck pytest

screenshot: system venv
	bash scripts/screenshot.sh

# The fuzz tests (hypothesis over every text-facing entry point) with many more examples than
# `make test` runs; FUZZ_ARGS passes more to pytest (e.g. FUZZ_ARGS=-x).
fuzz: venv
	HYPOTHESIS_PROFILE=long QT_QPA_PLATFORM=offscreen $(PY) -m pytest -p no:cacheprovider \
		tests/unit/test_fuzz_*.py tests/gui/test_fuzz_*.py tests/integration/test_fuzz_*.py $(FUZZ_ARGS)

# Benchmarks: a cached 1,000,000-customer database (built once), every scenario with its
# same-run baseline; `make bench QUICK=1` runs them all on a tiny database (the tests do).
bench: system venv
	QT_QPA_PLATFORM=offscreen $(PY) -m bench $(if $(QUICK),--quick,)

# Fault trials: 200 order-taking processes killed with SIGKILL at random moments, each followed
# by every check; 4 processes on one SQLite file and 8 counters on one central PostgreSQL
# (HALL_TEST_PG_URL or the local server) for a bounded time. `make soak TRIALS=20` for fewer.
TRIALS ?= 200
soak: system venv
	$(PY) -m soak --trials $(TRIALS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
