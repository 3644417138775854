"""Worker processes forked from the soak's own process (hall_app already imported, so a
trial costs the app's start, not Python's), and what each told its parent."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from soak.checks import Findings

CJK = range(0x4E00, 0xA000)
RAW_WORDS = ("locked", "sqlite", "operationalerror", "traceback", "psycopg", "integrityerror")


@dataclass
class Told:
    """What a worker said before it ended or was killed."""

    ready: bool = False
    ended: bool = False
    completed: list[str] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # typed: "kind Class message"
    raw: list[str] = field(default_factory=list)  # untyped, or a message a clerk can't act on
    last: str = ""  # the last marker: where the kill found it
    in_order: bool = False
    order_seconds: list[float] = field(default_factory=list)  # each completed order, as seen
    _began: float = 0.0

    def feed(self, line: str) -> None:
        mark, _, rest = line.partition(" ")
        if mark == "READY":
            self.ready = True
        elif mark == "END":
            self.ended = True
        elif mark == "B":
            self.in_order = True
            self._began = time.monotonic()
        elif mark == "E":
            kind, _, order_no = rest.partition(" ")
            self.completed.append(order_no)
            self.order_seconds.append(time.monotonic() - self._began)
            self.by_kind[kind] += 1
            self.in_order = False
        elif mark in ("X", "N"):
            self.in_order = False
            if mark == "X":
                self.errors[rest] += 1
                if not clear_message(rest.split(" ", 2)[-1]):
                    self.raw.append(rest)
        elif mark == "R":
            self.in_order = False
            self.raw.append(rest)
        if mark in ("W", "C", "c", "r", "B", "E", "X", "N", "R", "READY"):
            self.last = mark

    @property
    def moment(self) -> str:
        """Where a kill found the process."""
        if not self.ready:
            return "start-up"
        if self.last == "W":
            return "mid-transaction"
        if self.last == "C":
            return "mid-commit"
        if self.in_order:
            return "mid-order, no write open"
        return "between orders"


def clear_message(message: str) -> bool:
    """A message a clerk can act on: Chinese, never a driver's words."""
    lowered = message.lower()
    return any(ord(ch) in CJK for ch in message) and not any(w in lowered for w in RAW_WORDS)


class Worker:
    """``soak.worker.main(args)`` in a forked child; its stdout is a pipe read here."""

    def __init__(self, args: list[str], stderr: Path) -> None:
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()  # else the child would write the parent's buffered lines again
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 70
            try:
                os.close(read_fd)
                os.dup2(write_fd, 1)
                err = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.dup2(err, 2)
                from soak import worker

                code = worker.main(args)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(write_fd)
        self.pid = pid
        self.fd = read_fd
        self.told = Told()
        self._buffer = b""
        self.started = time.monotonic()
        self.exit_code: int | None = None

    def pump(self, timeout_s: float) -> bool:
        """Read what the child wrote within ``timeout_s``; False at the end of its output."""
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout_s))
        if not ready:
            return True
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return False
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self.told.feed(line.decode(errors="replace"))
        return True

    def run_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and self.pump(left):
            pass

    def wait_ready(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.told.ready:
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(left):
                self.kill()
                raise RuntimeError(f"worker {self.pid} never became ready")

    def kill(self) -> None:
        """SIGKILL, then read what it wrote up to that instant."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.finish()

    def finish(self) -> None:
        while self.pump(5.0):
            pass
        os.close(self.fd)
        _pid, status = os.waitpid(self.pid, 0)
        self.exit_code = os.waitstatus_to_exitcode(status)


@dataclass
class Tally:
    trials: int = 0
    orders: Counter[str] = field(default_factory=Counter)
    moments: Counter[str] = field(default_factory=Counter)
    checks_passed: int = 0
    checks_failed: int = 0
    chain_entries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    raw: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def by_field(self) -> list[tuple[str, int]]:
        """The typed errors by order kind and the field their message names ("bill 账单"),
        most first: what the counters contended for."""
        counts: Counter[str] = Counter()
        for entry, n in self.errors.items():  # "kind Class field：message"
            kind, _cls, message = [*entry.split(" ", 2), "", ""][:3]
            field_name = message.split("：", 1)[0] if "：" in message else "?"
            counts[f"{kind} {field_name}"] += n
        return counts.most_common()

    def told(self, told: Told) -> None:
        self.orders.update(told.by_kind)
        self.errors.update(told.errors)
        self.raw.extend(told.raw)

    def checked(self, label: str, found: Findings) -> None:
        self.chain_entries += found.chain_checked
        if found.ok:
            self.checks_passed += 1
        else:
            self.checks_failed += 1
            self.problems.extend(f"{label}: {p}" for p in found.problems)
