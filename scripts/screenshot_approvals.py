"""Screenshots of 审批: the desk's inbox page with requests from several counters (and today's
decided ones), the decision dialog, and a clerk's remote-approval dialog waiting, at
1366×768 and 1920×1080.

    python scripts/screenshot_approvals.py --db demo.sqlite3 --out docs
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hall_app.db.models import Counter, Customer, Subscription
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.services.actor import Actor
from hall_app.services.approvals import ApprovalRequest
from scripts.shots import ShotRun, start
from ui.approvals.remote import RemoteApprovalDialog
from ui.desk.approvals import ApprovalsPage, DecisionDialog
from ui.desk.pages import DeskContext
from ui.open_mobile.wizard import OpenMobileWizard

SIZES = {"": (1366, 768), "-1920": (1920, 1080)}


def _at(run: ShotRun, actor: Actor, code: str) -> Actor:
    with run.hall.db.read() as s:
        counter = s.scalars(select(Counter).where(Counter.code == code)).one()
        return replace(actor, counter_id=counter.id, counter_name=counter.name)


def main() -> int:
    run = start(__doc__ or "")
    if isinstance(run, int):
        return run
    hall = run.hall
    clerk1 = _at(run, hall.auth.log_in("clerk1", DEMO_PASSWORD), "01")
    clerk2 = _at(run, hall.auth.log_in("clerk2", DEMO_PASSWORD), "02")
    boss = hall.auth.log_in("super1", DEMO_PASSWORD)
    with hall.db.read() as s:
        people = s.scalars(
            select(Customer.id).where(Customer.id_number.is_not(None)).order_by(Customer.id)
        ).all()[:6]
    asks = [
        (clerk1, ApprovalRequest(
            "second_number_30d", str(people[0]), "客户因工作需要再办一个号码，已核实本人",
            "30天内再次开户 189****1234", customer_id=people[0])),
        (clerk2, ApprovalRequest(
            "installment_credit", "credit-demo-1", "在网不足 90 天，客户为老用户家属",
            "分期月还款 ¥458.25：实名在网不足 90 天", customer_id=people[1], amount_fen=45_825)),
        (clerk1, ApprovalRequest(
            "handset_return", "sale-demo-1", "七天无理由退货，包装完好",
            "手机退货 SL202612010100007：华为 Mate 70", customer_id=people[2],
            amount_fen=549_900)),
        (clerk2, ApprovalRequest(
            "red_letter", "26351000000000123", "购买方名称有误，需重开",
            "红冲发票 26351000000000123（¥129.00）", customer_id=people[3], amount_fen=12_900)),
        (clerk1, ApprovalRequest(
            "red_letter", "26351000000000045", "客户要求开具单位抬头",
            "红冲发票 26351000000000045（¥69.50）", customer_id=people[4], amount_fen=6_950)),
    ]  # fmt: skip
    views = [hall.approvals.request(who, ask) for who, ask in asks]
    hall.approvals.decide(boss, views[3].id, True, "核实无误")
    hall.approvals.decide(boss, views[4].id, False, "原发票抬头与营业执照一致，不予红冲")

    page = ApprovalsPage(DeskContext(hall, boss, run.ops))
    page.setWindowTitle("主管工作台 — 审批")
    for suffix, (w, h) in SIZES.items():
        page.resize(w, h)
        page.show()
        run.pause(300)
        run.wait(lambda: page.model.rowCount() == 3)
        page.table.selectRow(0)
        run.shot(page, f"approvals-inbox{suffix}.png")
    decision = DecisionDialog(page.pending[1], approve=False, parent=page)
    decision.reason.setText("在网时长不足且无担保，请客户改为全款购买")
    decision.show()
    run.pause(200)
    run.shot(decision, "approvals-reject.png")
    decision.close()
    page.close()

    ask = ApprovalRequest(
        "second_number_30d",
        str(people[5]),
        "客户因工作需要再办一个号码，已核实本人",
        "30天内再次开户 3501**********1234",
        customer_id=people[5],
    )
    dialog = RemoteApprovalDialog(hall.approvals, clerk1, run.ops, ask)
    dialog.show()
    dialog.send()
    run.wait(lambda: dialog.approval_id is not None)
    run.pause(200)
    run.shot(dialog, "approvals-waiting.png")
    dialog.timer.stop()
    dialog.close()

    # the 开户 wizard's first step for a customer who opened a number lately: the supervisor
    # signs here, or 请求远程审批
    since = hall.clock() - timedelta(days=hall.settings.rules.recent_open_window_days)
    with hall.db.read() as s:
        lately = s.scalars(
            select(Subscription.customer_id)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(Subscription.activated_at >= since, Customer.guardian_id.is_(None))
            .order_by(Subscription.activated_at.desc())
        ).first()
    wizard = OpenMobileWizard(hall, clerk1, run.ops, lately)
    wizard.resize(1350, 688)
    wizard.show()
    run.wait(lambda: wizard.draft.context is not None)
    run.pause(300)
    run.shot(wizard, "approvals-open-mobile.png")
    wizard.close()
    return run.close()


if __name__ == "__main__":
    raise SystemExit(main())
