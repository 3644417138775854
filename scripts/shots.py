"""What the screenshot scripts share: a copy of the demo database (they open real orders), the
Qt application with its Chinese font, the app wired to the copy, and waiting and grabbing."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall_app.app import HallApp, build_app
from hall_app.config import Settings
from scripts.screenshot import wait_until
from ui.app import prepare_application
from ui.ops import Operations


@dataclass
class ShotRun:
    app: QApplication
    hall: HallApp
    ops: Operations
    out: Path
    work: Path

    def wait(self, predicate: Callable[[], bool]) -> None:
        wait_until(self.app, predicate)

    def pause(self, ms: int) -> None:
        done = {"at": 0}
        QTimer.singleShot(ms, lambda: done.update(at=1))
        self.wait(lambda: done["at"] == 1)

    def shot(self, widget: QWidget, name: str) -> None:
        """Grab ``widget`` once no work is under way."""
        self.wait(lambda: not self.ops.busy)
        self.app.processEvents()
        widget.grab().save(str(self.out / name))
        print("saved", self.out / name)

    def close(self) -> int:
        self.ops.wait_idle()
        self.hall.close()
        shutil.rmtree(self.work, ignore_errors=True)
        return 0


def start(description: str) -> ShotRun | int:
    """Parse ``--db`` and ``--out``, copy the database, start Qt and the app."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", required=True, help="the demo SQLite file (copied, not changed)")
    parser.add_argument("--out", default="docs")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hall-shots-"))
    db_file = work / "demo.sqlite3"
    shutil.copyfile(args.db, db_file)
    app = QApplication(sys.argv[:1])
    if not prepare_application(app):
        return 3
    hall = build_app(Settings.load(db_url=f"sqlite:///{db_file}"))
    return ShotRun(app, hall, Operations(), out, work)
