"""Screenshots of the kiosk, its ticket slip, the registration dialog and the till dialog, on
a copy of the demo database. Run under Xvfb by scripts/screenshot.sh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from hall_app.db.models import (
    Counter,
    Customer,
    Order,
    PhoneNumber,
    ResourceClash,
    SyncOutbox,
)
from hall_app.demo.reader import NEW_PERSON_EVERY, DemoIdCardReader
from hall_app.domain.enums import NumberStatus
from hall_app.domain.masking import mask_phone
from scripts.shots import start
from ui.cash.dialog import CashDialog
from ui.customers.search import CustomerSearchPage
from ui.kiosk.window import KioskWindow
from ui.sync.quarantine import QuarantineDialog


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

    # A clash the central database found, as a pull brings it to the hall's supervisors.
    with hall.db.unit_of_work() as s:
        counters = {c.code: c for c in s.scalars(select(Counter))}
        number = s.scalars(
            select(PhoneNumber.number).where(PhoneNumber.status == NumberStatus.AVAILABLE)
        ).first()
        assert number is not None
        order = s.scalars(select(Order).where(Order.counter_id == counters["02"].id)).first()
        s.add(
            ResourceClash(
                hall_id=counters["02"].hall_id,
                counter_id=counters["02"].id,
                order_id=order.id if order else None,
                resource="number",
                resource_key=number,
                detected_at=hall.clock(),
                detail=f"号码 {mask_phone(number)} 已由1号窗口办理，2号窗口的受理单 "
                f"{order.order_no if order else ''} 同时使用了它。"
                "以中心为准：请主管联系客户，换号或换卡后标记已处理。",
            )
        )
        # ... and a record the central database refused (a value too long for its column).
        customer = s.scalars(select(Customer.id)).first()
        s.add(
            SyncOutbox(
                table_name="customers",
                row_id=customer,
                status="quarantined",
                attempts=1,
                version=0,
                last_error="22001 value too long for type character varying(128)",
            )
        )
    boss = hall.auth.log_in("super1", "hall1234")
    review = QuarantineDialog(hall.sync, boss, ops)
    review.show()
    wait(lambda: review.clash_rows.rowCount() == 1 and review.rows.rowCount() == 1)
    shot(review, "quarantine.png")
    review.tabs.setCurrentIndex(1)
    review.resolution.setText("已联系客户，改选新号码并重新开户")
    shot(review, "resource-clash.png")
    return run.close()


if __name__ == "__main__":
    sys.exit(main())
