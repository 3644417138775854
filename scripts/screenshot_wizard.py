"""Screenshots of every page of the 开户 wizard, the customer's confirmation screen, the
registration dialog and a document preview. Works on a copy of the demo database (it opens a
real number). Run under Xvfb by scripts/screenshot.sh."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from hall_app.app import build_app
from hall_app.config import Settings
from hall_app.db.models import Customer, SimCard, Subscription
from hall_app.domain.enums import CustomerKind, SimStatus, SubscriptionKind
from hall_app.services.documents import DocumentKind
from scripts.screenshot import wait_until
from ui.app import Session, ensure_chinese_font
from ui.ops import Operations
from ui.widgets.signature import SignaturePad


def stroke(pad: SignaturePad, points: list[tuple[float, float]]) -> None:
    def send(kind: QEvent.Type, x: float, y: float, held: bool) -> None:
        at = QPointF(x, y)
        buttons = Qt.MouseButton.LeftButton if held else Qt.MouseButton.NoButton
        QApplication.sendEvent(
            pad,
            QMouseEvent(
                kind,
                at,
                pad.mapToGlobal(at),
                Qt.MouseButton.LeftButton,
                buttons,
                Qt.KeyboardModifier.NoModifier,
            ),
        )

    send(QEvent.Type.MouseButtonPress, *points[0], True)
    for x, y in points[1:]:
        send(QEvent.Type.MouseMove, x, y, True)
    send(QEvent.Type.MouseButtonRelease, *points[-1], False)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="the demo SQLite file (copied, not changed)")
    parser.add_argument("--out", default="docs")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="hall-shots-"))
    db_file = work / "demo.sqlite3"
    shutil.copyfile(args.db, db_file)

    app = QApplication(sys.argv[:1])
    if not ensure_chinese_font(app):
        return 3
    hall = build_app(Settings.load(db_url=f"sqlite:///{db_file}"))
    with hall.db.read() as s:
        customer_id = s.scalars(
            select(Customer.id)
            .where(
                Customer.kind == CustomerKind.INDIVIDUAL,
                Customer.guardian_id.is_(None),
                ~Customer.id.in_(
                    select(Subscription.customer_id).where(
                        Subscription.kind == SubscriptionKind.MOBILE
                    )
                ),
            )
            .order_by(Customer.id)
            .limit(1)
        ).one()
        iccid = s.scalars(
            select(SimCard.iccid).where(SimCard.status == SimStatus.IN_STOCK).limit(1)
        ).one()
    ops = Operations()
    session = Session(hall, ops)
    login = session.show_login()
    login.username.setText("clerk1")
    login.password.setText("hall1234")
    login.login_button.click()
    wait_until(app, lambda: session.window is not None)
    window = session.window
    assert window is not None
    window.customers.open_customer(customer_id)
    wait_until(app, lambda: window.customers.open_mobile_button.isEnabled())
    window.open_mobile(customer_id)
    wizard = window.wizard
    assert wizard is not None
    idle = lambda: not ops.busy  # noqa: E731

    def shot(widget: QWidget, name: str) -> None:
        wait_until(app, idle)
        app.processEvents()
        widget.grab().save(str(out / name))
        print("saved", out / name)

    e = wizard.eligibility
    wait_until(app, lambda: e.draft.context is not None)
    e.face_passed.setChecked(True)
    shot(wizard, "wizard-1-eligibility.png")
    wizard.next()
    n = wizard.number
    wait_until(app, lambda: n.tier.count() > 2)
    n.tier.setCurrentIndex(n.tier.findData("T3"))
    n.no_four.setChecked(True)
    n.search()
    wait_until(app, lambda: "找到" in n.hint.text())
    n.choose(n.results.payload(0).number)
    wait_until(app, lambda: wizard.draft.reservation is not None)
    shot(wizard, "wizard-2-number.png")
    wizard.next()
    p = wizard.plan
    wait_until(app, lambda: p.plan_list.count() > 0)
    for row in (3, 4, 5):
        p.plan_list.item(row).setCheckState(Qt.CheckState.Checked)
    p.plan_combo.setCurrentIndex(p.plan_combo.findData(p.compared_codes()[1]))
    p.addon_list.item(1).setCheckState(Qt.CheckState.Checked)
    shot(wizard, "wizard-3-plans.png")
    wizard.next()
    wait_until(app, lambda: wizard.current is wizard.sim)
    wizard.sim.iccid.setText(iccid)
    wizard.sim.scan()
    wait_until(app, lambda: wizard.draft.sim is not None)
    shot(wizard, "wizard-4-sim.png")
    wizard.next()
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
    dialog.resize(820, 760)
    stroke(dialog.pad, [(80, 130), (120, 60), (150, 140), (200, 70), (240, 120), (300, 80)])
    stroke(dialog.pad, [(330, 60), (360, 140), (420, 90)])
    shot(dialog, "wizard-5-customer-confirm.png")
    dialog.confirm()
    shot(wizard, "wizard-5-clerk-confirm.png")
    wizard.next()
    pay = wizard.payment
    assert wizard.draft.quote is not None
    total = wizard.draft.quote.total_fen
    pay.tendered.setText(str((total // 10_000 + 1) * 100))
    pay._recompute()
    shot(wizard, "wizard-6-payment.png")
    wizard.next()
    wait_until(app, lambda: wizard.current is wizard.done_page)
    shot(wizard, "wizard-7-done.png")
    wizard.done_page.print_document(DocumentKind.ACCEPTANCE_FORM)
    wait_until(app, lambda: wizard.done_page.preview is not None)
    preview = wizard.done_page.preview
    assert preview is not None
    preview.resize(760, 900)
    rendered = {"at": 0}
    QTimer.singleShot(1500, lambda: rendered.update(at=1))  # QPdfView renders on its own thread
    wait_until(app, lambda: rendered["at"] == 1)
    shot(preview, "document-preview.png")
    ops.wait_idle()
    hall.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
