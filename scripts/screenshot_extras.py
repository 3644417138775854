"""Screenshots of the kiosk, its ticket slip, the registration dialog and the till dialog, on
a copy of the demo database. Run under Xvfb by scripts/screenshot.sh."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.demo.reader import NEW_PERSON_EVERY
from scripts.screenshot import wait_until
from ui.app import ensure_chinese_font
from ui.cash.dialog import CashDialog
from ui.customers.search import CustomerSearchPage
from ui.kiosk.window import KioskWindow
from ui.ops import Operations


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="the demo SQLite file (copied, not changed)")
    parser.add_argument("--out", default="docs")
    args = parser.parse_args()
    out = Path(args.out)
    work = Path(tempfile.mkdtemp(prefix="hall-shots-"))
    db_file = work / "demo.sqlite3"
    shutil.copyfile(args.db, db_file)
    app = QApplication(sys.argv[:1])
    if not ensure_chinese_font(app):
        return 3
    hall = build_app(Settings.load(db_url=f"sqlite:///{db_file}"))
    clerk = hall.auth.log_in("clerk1", "hall1234")
    ops = Operations()
    idle = lambda: not ops.busy  # noqa: E731

    def shot(widget: QWidget, name: str) -> None:
        wait_until(app, idle)
        app.processEvents()
        widget.grab().save(str(out / name))
        print("saved", out / name)

    def to_file() -> QPrinter:
        p = QPrinter(QPrinter.PrinterMode.HighResolution)
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        p.setOutputFileName(str(work / "printed.pdf"))
        return p

    kiosk = KioskWindow(hall, clerk, ops, to_file)
    kiosk.resize(1280, 800)
    kiosk.show()
    wait_until(app, lambda: "general" in kiosk.buttons)
    for code in ("general", "general", "vip"):
        hall.queue.issue_ticket(clerk, code)
    kiosk.take("general")
    wait_until(app, lambda: kiosk.last_slip is not None)
    kiosk.refresh()
    shot(kiosk, "kiosk.png")
    assert kiosk.last_slip is not None
    (work / "slip.pdf").write_bytes(kiosk.last_slip)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "110",
            "-singlefile",
            str(work / "slip.pdf"),
            str(out / "ticket_slip"),
        ],
        check=True,
    )
    print("saved", out / "ticket_slip.png")
    kiosk.stop()
    kiosk.close()

    page = CustomerSearchPage(hall.customers, clerk, ops, hall.id_reader)
    page.resize(1200, 700)
    page.show()
    for _ in range(NEW_PERSON_EVERY):  # the demo reader's fourth card is a new person
        page.register_dialog = None
        page.read_card()
        wait_until(app, lambda: page.read_button.isEnabled())
    wait_until(app, lambda: page.register_dialog is not None)
    dialog = page.register_dialog
    assert dialog is not None
    dialog.phone.setText("13959112345")
    dialog.face_passed.setChecked(True)
    shot(dialog, "register.png")
    dialog.close()

    till = CashDialog(hall.cash, clerk, ops)
    till.show()
    wait_until(app, lambda: till.action.text() != "")
    till.amount.setText("200")
    till.submit()
    wait_until(app, lambda: till.action.text() == "日结")
    shot(till, "cash.png")
    ops.wait_idle()
    hall.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
