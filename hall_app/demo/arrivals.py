"""Customers arriving while a demo runs: every 40 to 90 seconds someone takes a ticket, issued
through the queue service exactly as the kiosk issues it (permission, numbering, audit).

``arrival_at`` is a pure function of a seed and a moment; ``DemoArrivals.arrive`` issues the
ticket. The screen only drives the timer (ui/demo.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from hall_app.clock import Clock
from hall_app.demo.today import SERVICE_WEIGHTS
from hall_app.services.actor import Actor
from hall_app.services.queue import QueueService, TicketView

GAP_SECONDS = (40, 90)
MAX_WAITING = 40  # a demo left running all day does not pile up a queue nobody serves


@dataclass(frozen=True)
class Arrival:
    service_code: str  # the service the customer touches on the kiosk
    next_in_seconds: int  # when the next customer arrives


@dataclass(frozen=True)
class Arrived:
    ticket: TicketView | None  # None: the queue was long enough, nobody took a ticket
    next_in_seconds: int


def arrival_at(seed: int, now: datetime) -> Arrival:
    """Who arrives at ``now`` (to the second) and when the next one comes."""
    rng = random.Random(f"demo-arrival:{seed}:{int(now.timestamp())}")
    codes = list(SERVICE_WEIGHTS)
    code = rng.choices(codes, weights=[SERVICE_WEIGHTS[c] for c in codes])[0]
    return Arrival(code, rng.randint(*GAP_SECONDS))


class DemoArrivals:
    def __init__(
        self, queue: QueueService, clock: Clock, seed: int = 1, max_waiting: int = MAX_WAITING
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._seed = seed
        self._max_waiting = max_waiting

    def first_in_seconds(self) -> int:
        return arrival_at(self._seed, self._clock()).next_in_seconds

    def arrive(self, actor: Actor) -> Arrived:
        """One customer takes a ticket (unless the queue is already long)."""
        arrival = arrival_at(self._seed, self._clock())
        waiting = sum(c.waiting for c in self._queue.waiting_counts(actor))
        if waiting >= self._max_waiting:
            return Arrived(None, arrival.next_in_seconds)
        ticket = self._queue.issue_ticket(actor, arrival.service_code)
        return Arrived(ticket, arrival.next_in_seconds)
