"""Review of issue 13 (approvals): defects shown by failing tests."""

from __future__ import annotations

from typing import Any

import pytest

from hall_app.app import HallApp
from hall_app.domain.enums import ApprovalState
from hall_app.services import audit
from hall_app.services.actor import Actor
from tests.integration.test_approvals import _ask


def test_review13_a_decision_is_not_kept_when_its_audit_entry_fails(
    hall: HallApp, clerk: Actor, supervisor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Standalone, decide() commits the decision in one transaction (_on_hall) and writes its
    audit entry in a second one: when the audit write fails, the approval stays APPROVED
    with no audit entry (a decision unaudited; the rules want both in one unit of work)."""
    asked = _ask(hall, clerk, subject="R-AUDIT")
    real = audit.record

    def failing(session: Any, **kw: Any) -> None:
        if kw.get("action") == "approval.decide":
            raise RuntimeError("audit write failed")
        real(session, **kw)

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        hall.approvals.decide(supervisor, asked, True, "同意")
    monkeypatch.setattr(audit, "record", real)
    assert hall.approvals.get(clerk, asked).state is ApprovalState.PENDING


def test_review13_a_request_is_not_kept_when_its_audit_entry_fails(
    hall: HallApp, clerk: Actor, supervisor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """request() likewise inserts the request in one transaction and audits it in another:
    a failed audit leaves an unaudited request in the supervisors' inbox."""
    before = {v.id for v in hall.approvals.inbox(supervisor)}
    real = audit.record

    def failing(session: Any, **kw: Any) -> None:
        if kw.get("action") == "approval.request":
            raise RuntimeError("audit write failed")
        real(session, **kw)

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        _ask(hall, clerk, subject="R-AUDIT-2")
    monkeypatch.setattr(audit, "record", real)
    assert {v.id for v in hall.approvals.inbox(supervisor)} == before
