"""Requests in hand before new page loads when a worker is rushed.

When the all-staff email goes out, hundreds of people open the booking form within a
minute. Served first come, first served, someone who has filled in the form and pressed
"Book" queues behind everyone who has only just opened the page, and every answer is
slow (bench/booking_rush.py: POST p50 256 ms, p99 665 ms). So each process runs at most
ADMISSION_SLOTS requests at a time, and the requests waiting for a turn go in order of a
deadline: arrival time, plus ADMISSION_PAGE_GRACE_SECONDS for a page load. A form sent
within that grace of a page load goes first; no page waits more than the grace longer
than it would in order of arrival, so nothing starves.

Requests are ordered only once they are inside the process: gunicorn needs more threads
than slots (gunicorn.conf.py). A request waiting for its turn holds no database
connection. Sign-in is not gated: it waits on a password hash or the identity provider,
and a slot held meanwhile would hold up everyone behind it.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, request

PAGE_LOADS = frozenset({"GET", "HEAD"})
EXTENSION = "admission"
UNGATED_BLUEPRINTS = frozenset({"auth"})
UNGATED_ENDPOINTS = frozenset({"static", "main.healthz"})  # a load balancer must hear at once


class AdmissionGate:
    def __init__(self, slots: int, page_grace_seconds: float):
        self.slots = slots
        self.page_grace = page_grace_seconds
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: list[tuple[float, int, threading.Event]] = []
        self._arrivals = itertools.count()

    @contextmanager
    def turn(self, method: str) -> Iterator[None]:
        """Wait for a slot (page loads give way to submissions), hold it meanwhile."""
        self.enter(method)
        try:
            yield
        finally:
            self.leave()

    def enter(self, method: str) -> None:
        grace = self.page_grace if method in PAGE_LOADS else 0.0
        self._enter(time.monotonic() + grace)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def in_use(self) -> int:
        return self.slots - self._free

    def _enter(self, deadline: float) -> None:
        with self._lock:
            if self._free:
                self._free -= 1
                return
            turn = threading.Event()
            heapq.heappush(self._waiting, (deadline, next(self._arrivals), turn))
        turn.wait()  # leave() hands its slot straight over: it is never free in between

    def leave(self) -> None:
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()
            else:
                self._free += 1


def install(app) -> None:
    """One gate per process (gunicorn forks before any request, so none is shared), taken
    before anything else a request does and given back when it is torn down, whatever
    happened (the body of a streamed response is sent after that)."""
    if not app.config["ADMISSION_SLOTS"]:
        return
    gate = app.extensions[EXTENSION] = AdmissionGate(app.config["ADMISSION_SLOTS"],
                                                     app.config["ADMISSION_PAGE_GRACE_SECONDS"])

    @app.before_request
    def wait_for_a_turn() -> None:
        if request.blueprint in UNGATED_BLUEPRINTS or request.endpoint in UNGATED_ENDPOINTS:
            return
        gate.enter(request.method)
        g.admitted = True

    @app.teardown_request
    def give_the_turn_back(_error: BaseException | None) -> None:
        if g.pop("admitted", False):
            gate.leave()
