"""Screenshot of the main window with a customer open: logs in as a demo clerk, searches by a
phone number, opens the record, and saves PNGs. Run under Xvfb by scripts/screenshot.sh."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.models import Customer, Order, ServiceTicket, Subscription
from ui.app import Session, prepare_application
from ui.ops import Operations


def wait_until(app: QApplication, predicate: object, timeout_ms: int = 20_000) -> None:
    assert callable(predicate)
    waited = 0
    while not predicate():
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()
        waited += 50
        if waited > timeout_ms:
            raise TimeoutError("the app did not get there in time")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--user", default="clerk1")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    app = QApplication(sys.argv[:1])
    if not prepare_application(app):
        return 3
    hall = build_app(Settings.load(db_url=args.db))
    with hall.db.read() as s:  # a customer with a mobile number, orders and an open ticket
        phone = s.scalars(
            select(Subscription.service_number)
            .join(Customer, Customer.id == Subscription.customer_id)
            .join(ServiceTicket, ServiceTicket.customer_id == Customer.id)
            .join(Order, Order.customer_id == Customer.id)
            .where(Subscription.kind == "mobile", Customer.kind == "individual")
            .order_by(Subscription.service_number)
            .limit(1)
        ).first()
        if phone is None:
            phone = s.scalars(
                select(Subscription.service_number).where(Subscription.kind == "mobile").limit(1)
            ).one()
    reception = hall.auth.log_in("super2", "hall1234")  # reception issues a few tickets
    for code in ("general", "general", "billing", "vip", "fixed"):
        hall.queue.issue_ticket(reception, code)
    ops = Operations()
    session = Session(hall, ops)
    login = session.show_login()
    login.username.setText(args.user)
    login.password.setText("hall1234")
    login.grab().save(str(out / "login.png"))
    login.login_button.click()
    wait_until(app, lambda: session.window is not None)
    window = session.window
    assert window is not None
    window.queue.call_next()
    wait_until(app, lambda: window.queue.current is not None)
    page = window.customers
    page.query.setText(phone)
    page.search()
    wait_until(app, lambda: page.record.tabs.isEnabled())
    wait_until(app, lambda: not ops.busy)
    app.processEvents()
    window.grab().save(str(out / "main-window.png"))
    page.record.tabs.setCurrentIndex(1)
    app.processEvents()
    window.grab().save(str(out / "main-window-services.png"))
    print(
        f"saved {out / 'login.png'}, {out / 'main-window.png'}, {out / 'main-window-services.png'}"
    )
    ops.wait_idle()
    hall.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
