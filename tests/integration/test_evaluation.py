"""The customer's evaluation at the end of a visit: one press within the window, of the clerk
who served; no press recorded as 未评价; 不满意 with its reason, in the supervisor's alerts;
made on the central database on a synced hall."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hall_app.app import HallApp
from hall_app.cli import main as cli_main
from hall_app.clock import business_date
from hall_app.db.crypto import open_value, plain_for
from hall_app.db.engine import make_engine
from hall_app.db.models import AuditEntry, QueueTicket
from hall_app.demo.reference import DEMO_PASSWORD
from hall_app.domain.enums import Rating
from hall_app.domain.errors import PermissionDenied, ValidationError
from hall_app.services.actor import Actor
from hall_app.sync.push import Pusher
from tests.conftest import FakeClock, synced_counter


def served(hall: HallApp, clerk: Actor, code: str = "general") -> uuid.UUID:
    """A ticket issued, called and finished by ``clerk``."""
    hall.queue.issue_ticket(clerk, code)
    called = hall.queue.call_next(clerk)
    assert called is not None
    return hall.queue.finish(clerk, called.id).id


def test_one_press_within_the_window_counts(hall: HallApp, clerk: Actor, clock: FakeClock) -> None:
    ticket_id = served(hall, clerk)
    clock.now += timedelta(seconds=hall.settings.rules.evaluation_window_seconds)
    view = hall.evaluations.rate(clerk, ticket_id, Rating.SATISFIED)
    assert view.rating is Rating.SATISFIED and view.rated_at == clock()
    with pytest.raises(ValidationError, match="一次评价为准"):
        hall.evaluations.rate(clerk, ticket_id, Rating.VERY_SATISFIED)
    with hall.db.read() as s:
        t = s.get_one(QueueTicket, ticket_id)
        assert (t.rating, t.staff_id, t.rating_note) == (Rating.SATISFIED, clerk.staff_id, "")
        entries = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_id == str(ticket_id), AuditEntry.action == "evaluation.rate"
            )
        ).all()
        assert len(entries) == 1  # the refused second press wrote nothing


def test_after_the_window_no_answer_is_recorded(
    hall: HallApp, clerk: Actor, clock: FakeClock
) -> None:
    ticket_id = served(hall, clerk)
    with pytest.raises(ValidationError, match="顾客仍可评价"):
        hall.evaluations.no_answer(clerk, ticket_id)  # the customer may still press
    clock.now += timedelta(seconds=hall.settings.rules.evaluation_window_seconds + 1)
    with pytest.raises(ValidationError, match="评价时间已过"):
        hall.evaluations.rate(clerk, ticket_id, Rating.VERY_SATISFIED)
    view = hall.evaluations.no_answer(clerk, ticket_id)
    assert view.rating is Rating.NO_ANSWER
    with pytest.raises(ValidationError, match="已评价（未评价）"):
        hall.evaluations.no_answer(clerk, ticket_id)
    assert hall.evaluations.get(clerk, ticket_id).rating is Rating.NO_ANSWER


def test_no_answer_is_not_a_press(hall: HallApp, clerk: Actor) -> None:
    ticket_id = served(hall, clerk)
    with pytest.raises(ValidationError, match="请选择"):
        hall.evaluations.rate(clerk, ticket_id, Rating.NO_ANSWER)


def test_only_a_finished_ticket_of_this_clerk(hall: HallApp, clerk: Actor) -> None:
    hall.queue.issue_ticket(clerk, "general")
    called = hall.queue.call_next(clerk)
    assert called is not None
    with pytest.raises(ValidationError, match="尚未办结"):
        hall.evaluations.rate(clerk, called.id, Rating.SATISFIED)
    hall.queue.finish(clerk, called.id)
    other = hall.auth.log_in("clerk2", DEMO_PASSWORD)
    with pytest.raises(ValidationError, match="不是由您办结的"):
        hall.evaluations.rate(other, called.id, Rating.DISSATISFIED)
    with hall.db.read() as s:
        assert s.get_one(QueueTicket, called.id).rating is None


def test_dissatisfied_keeps_its_reason_and_alerts_the_supervisor(
    hall: HallApp, clerk: Actor, supervisor: Actor, clock: FakeClock
) -> None:
    first = served(hall, clerk)
    hall.evaluations.rate(clerk, first, Rating.DISSATISFIED)  # the press counts at once
    clock.now += timedelta(seconds=10)
    with pytest.raises(ValidationError, match="请选择或填写"):
        hall.evaluations.give_reason(clerk, first, "  ")
    with pytest.raises(ValidationError, match="最多 200 个字"):
        hall.evaluations.give_reason(clerk, first, "慢" * 201)
    view = hall.evaluations.give_reason(clerk, first, "等候时间太长")
    assert view.note == "等候时间太长"
    with pytest.raises(ValidationError, match="已填写"):
        hall.evaluations.give_reason(clerk, first, "办理速度慢")
    second = served(hall, clerk)
    with pytest.raises(ValidationError, match="只有“不满意”"):
        hall.evaluations.rate(clerk, second, Rating.SATISFIED, "很好")
    clock.now += timedelta(seconds=5)
    hall.evaluations.rate(clerk, second, Rating.DISSATISFIED, "问题没有解决")
    third = served(hall, clerk)
    hall.evaluations.rate(clerk, third, Rating.SATISFIED)
    with pytest.raises(ValidationError, match="无需填写原因"):
        hall.evaluations.give_reason(clerk, third, "办理速度慢")

    alerts = hall.evaluations.alerts(supervisor, business_date(clock()))
    assert [(a.ticket_id, a.note) for a in alerts] == [
        (second, "问题没有解决"),  # newest first
        (first, "等候时间太长"),
    ]
    assert {a.staff_name for a in alerts} == {clerk.full_name}
    assert alerts[0].counter_name == clerk.counter_name and alerts[0].service_name == "综合业务"
    # yesterday's are the demo history's own 不满意, none of today's
    yesterday = business_date(clock()) - timedelta(days=1)
    with hall.db.read() as s:
        history = set(
            s.scalars(
                select(QueueTicket.id).where(
                    QueueTicket.business_date == yesterday,
                    QueueTicket.rating == Rating.DISSATISFIED,
                )
            )
        )
    assert {a.ticket_id for a in hall.evaluations.alerts(supervisor, yesterday)} == history
    assert not history & {first, second}
    with pytest.raises(PermissionDenied):
        hall.evaluations.alerts(clerk, business_date(clock()))


@pytest.mark.postgres
def test_a_synced_counter_rates_on_the_central_database(
    pg_url: str, demo_template: Path, tmp_path: Path, clock: FakeClock
) -> None:
    assert cli_main(["--db", "sqlite:///:memory:", "central", "init", "--central", pg_url]) == 0
    hall = synced_counter(demo_template, tmp_path, pg_url, clock)
    central = make_engine(pg_url)
    try:
        Pusher(hall.db, central, clock).enqueue_all()
        hall.sync.run_round()
        clerk = hall.auth.log_in("clerk1", DEMO_PASSWORD)
        supervisor = hall.auth.log_in("super1", DEMO_PASSWORD)
        ticket_id = served(hall, clerk)
        hall.evaluations.rate(clerk, ticket_id, Rating.DISSATISFIED, "服务态度不好")
        with central.connect() as conn:  # at once on the central database, not by the push
            row = conn.execute(
                select(QueueTicket.rating, QueueTicket.rating_note).where(
                    QueueTicket.id == ticket_id
                )
            ).one()
        note = open_value(row.rating_note, "queue_tickets", "rating_note", ticket_id)
        assert (row.rating, note) == (Rating.DISSATISFIED, "服务态度不好")  # sealed, bound
        with hall.db.read() as s:  # and mirrored here
            assert s.get_one(QueueTicket, ticket_id).rating is Rating.DISSATISFIED
        alerts = hall.evaluations.alerts(supervisor, business_date(clock()))
        assert [a.ticket_id for a in alerts] == [ticket_id]
        # another counter's 不满意, on the central database only: the supervisor's desk and
        # the figures read the hall's tickets there
        yesterday = business_date(clock()) - timedelta(days=1)
        with central.begin() as conn:
            other = conn.execute(  # one the demo history's customer did not rate 不满意
                select(QueueTicket.id, QueueTicket.staff_id, QueueTicket.rating)
                .where(
                    QueueTicket.business_date == yesterday,
                    QueueTicket.status == "done",
                    QueueTicket.rating != Rating.DISSATISFIED,
                )
                .order_by(QueueTicket.ticket_no)
                .limit(1)
            ).one()
            conn.execute(
                update(QueueTicket)
                .where(QueueTicket.id == other.id)
                .values(
                    rating=Rating.DISSATISFIED,
                    rated_at=clock(),
                    rating_note=plain_for("queue_tickets", "rating_note", other.id, "办理速度慢"),
                )
            )
            unhappy = conn.execute(
                select(QueueTicket.id, QueueTicket.staff_id).where(
                    QueueTicket.business_date == yesterday,
                    QueueTicket.rating == Rating.DISSATISFIED,
                )
            ).all()
        with hall.db.read() as s:
            assert s.get_one(QueueTicket, other.id).rating is other.rating  # not here
        alerts = hall.evaluations.alerts(supervisor, yesterday)
        assert {a.ticket_id for a in alerts} == {u.id for u in unhappy}
        assert [a.note for a in alerts if a.ticket_id == other.id] == ["办理速度慢"]
        figures = hall.performance.clerk(supervisor, other.staff_id, yesterday, yesterday)
        assert {c.ticket_id for c in figures.dissatisfied} == {
            u.id for u in unhappy if u.staff_id == other.staff_id
        }
    finally:
        central.dispose()
        hall.close()
