"""Screenshots of every page of the 开户 wizard, the customer's confirmation screen, the
registration dialog and a document preview. Works on a copy of the demo database (it opens a
real number). Run under Xvfb by scripts/screenshot.sh."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from hall_app.demo.picks import customers_without_mobile, sims_in_stock
from hall_app.services.documents import DocumentKind
from scripts.shots import start
from ui.app import Session
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
    run = start(__doc__ or "")
    if isinstance(run, int):
        return run
    hall, ops, shot, wait = run.hall, run.ops, run.shot, run.wait
    customer_id = customers_without_mobile(hall.db)[0]
    iccid = sims_in_stock(hall.db)[0]
    session = Session(hall, ops)
    login = session.show_login()
    login.username.setText("clerk1")
    login.password.setText("hall1234")
    login.login_button.click()
    wait(lambda: session.window is not None)
    window = session.window
    assert window is not None
    window.customers.open_customer(customer_id)
    wait(lambda: window.customers.open_mobile_button.isEnabled())
    window.open_mobile(customer_id)
    wizard = window.wizard
    assert wizard is not None
    e = wizard.eligibility
    wait(lambda: e.draft.context is not None)
    e.face_passed.setChecked(True)
    shot(wizard, "wizard-1-eligibility.png")
    wizard.next()
    n = wizard.number
    wait(lambda: n.tier.count() > 2)
    n.tier.setCurrentIndex(n.tier.findData("T3"))
    n.no_four.setChecked(True)
    n.search()
    wait(lambda: "找到" in n.hint.text())
    n.choose(n.results.payload(0).number)
    wait(lambda: wizard.draft.reservation is not None)
    shot(wizard, "wizard-2-number.png")
    wizard.next()
    p = wizard.plan
    wait(lambda: p.plan_list.count() > 0)
    for row in (3, 4, 5):
        p.plan_list.item(row).setCheckState(Qt.CheckState.Checked)
    p.plan_combo.setCurrentIndex(p.plan_combo.findData(p.compared_codes()[1]))
    p.addon_list.item(1).setCheckState(Qt.CheckState.Checked)
    shot(wizard, "wizard-3-plans.png")
    wizard.next()
    wait(lambda: wizard.current is wizard.sim)
    wizard.sim.iccid.setText(iccid)
    wizard.sim.scan()
    wait(lambda: wizard.draft.sim is not None)
    shot(wizard, "wizard-4-sim.png")
    wizard.next()
    dialog = wizard.confirm.customer_dialog
    assert dialog is not None
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
    wait(lambda: wizard.current is wizard.done_page)
    shot(wizard, "wizard-7-done.png")
    wizard.done_page.print_document(DocumentKind.ACCEPTANCE_FORM)
    wait(lambda: wizard.done_page.preview is not None)
    preview = wizard.done_page.preview
    assert preview is not None
    run.pause(1500)  # QPdfView renders on its own thread
    shot(preview, "document-preview.png")
    return run.close()


if __name__ == "__main__":
    sys.exit(main())
