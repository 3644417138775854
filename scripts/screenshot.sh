#!/usr/bin/env bash
# Screenshots of the real windows on a virtual X screen (Xvfb), for docs/ and the README.
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${DEMO_DB:-var/demo.sqlite3}"
# The windows size themselves from the screen (ui/screen.py): shoot them on a counter's monitor.
SCREEN="${SCREEN:-1366x768}"
[ -f "$DB" ] || .venv/bin/hall-app --db "sqlite:///$DB" demo --customers 20000 --days 30 --seed 1
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 ${SCREEN}x24" \
  .venv/bin/python scripts/screenshot.py --db "sqlite:///$PWD/$DB" --out docs "$@"
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 ${SCREEN}x24" \
  .venv/bin/python scripts/screenshot_wizard.py --db "$PWD/$DB" --out docs
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 ${SCREEN}x24" \
  .venv/bin/python scripts/screenshot_extras.py --db "$PWD/$DB" --out docs
