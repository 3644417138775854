"""Screenshots of the kiosk, its ticket slip, the registration dialog and the till dialog, on
a copy of the demo database. Run under Xvfb by scripts/screenshot.sh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall_app.demo.reader import NEW_PERSON_EVERY, DemoIdCardReader
from scripts.shots import start
from ui.cash.dialog import CashDialog
from ui.customers.search import CustomerSearchPage
from ui.kiosk.window import KioskWindow


def main() -> int:
    run = start(__doc__ or "")
    if isinstance(run, int):
        return run
    hall, ops, out, work, shot = run.hall, run.ops, run.out, run.work, run.shot
    wait = run.wait
    clerk = hall.auth.log_in("clerk1", "hall1234")

    def to_file() -> QPrinter:
        p = QPrinter(QPrinter.PrinterMode.HighResolution)
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        p.setOutputFileName(str(work / "printed.pdf"))
        return p

    kiosk = KioskWindow(hall, clerk, ops, to_file)
    kiosk.resize(1280, 800)
    kiosk.show()
    wait(lambda: "general" in kiosk.buttons)
    for code in ("general", "general", "vip"):
        hall.queue.issue_ticket(clerk, code)
    kiosk.take("general")
    wait(lambda: kiosk.last_slip is not None)
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

    page = CustomerSearchPage(hall.customers, clerk, ops, DemoIdCardReader(hall.db, hall.clock))
    page.resize(1200, 700)
    page.show()
    for _ in range(NEW_PERSON_EVERY):  # the demo reader's fourth card is a new person
        page.register_dialog = None
        page.read_card()
        wait(lambda: page.read_button.isEnabled())
    wait(lambda: page.register_dialog is not None)
    dialog = page.register_dialog
    assert dialog is not None
    dialog.phone.setText("13959112345")
    dialog.face_passed.setChecked(True)
    shot(dialog, "register.png")
    dialog.close()

    till = CashDialog(hall.cash, clerk, ops)
    till.show()
    wait(lambda: till.action.text() != "")
    till.amount.setText("200")
    till.submit()
    wait(lambda: till.action.text() == "日结")
    shot(till, "cash.png")
    return run.close()


if __name__ == "__main__":
    sys.exit(main())
