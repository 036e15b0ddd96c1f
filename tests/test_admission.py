"""The booking form's admission gate (webapp/admission.py): a booking in hand goes before
a new page load, no page load waits for ever, and a failing view gives its turn back."""
from __future__ import annotations

import threading
import time

import pytest

from tests.booking_helpers import csrf_from, make_session, person
from webapp.admission import EXTENSION, AdmissionGate
from webapp.bookings.models import Registration
from webapp.extensions import db

WAIT = 5  # seconds: only ever reached when the gate is broken


def wait_until(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


class Holder:
    """Holds one of the gate's slots from another thread until released."""

    def __init__(self, gate: AdmissionGate, method: str = "GET"):
        self.entered, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(gate, method))
        self.thread.start()
        assert self.entered.wait(WAIT)

    def _hold(self, gate, method):
        with gate.turn(method):
            self.entered.set()
            self.release.wait(WAIT)

    def done(self):
        self.release.set()
        self.thread.join(WAIT)


def queue_up(gate: AdmissionGate, methods: list[str], order: list[str]) -> list[threading.Thread]:
    """One thread per method, each joining the queue after the one before it."""
    threads = []
    for method in methods:
        def visit(method=method):
            with gate.turn(method):
                order.append(method)
        thread = threading.Thread(target=visit)
        expected = gate.waiting + 1
        thread.start()
        wait_until(lambda expected=expected: gate.waiting == expected)
        threads.append(thread)
    return threads


def test_a_booking_sent_goes_before_page_loads_that_arrived_first():
    gate = AdmissionGate(slots=1, page_grace_seconds=10)
    holder = Holder(gate)
    order: list[str] = []
    threads = queue_up(gate, ["GET", "HEAD", "POST", "GET"], order)
    holder.done()
    for thread in threads:
        thread.join(WAIT)
    assert order == ["POST", "GET", "HEAD", "GET"]


def test_a_page_load_waits_no_longer_than_the_grace_behind_bookings():
    gate = AdmissionGate(slots=1, page_grace_seconds=0.05)
    holder = Holder(gate)
    order: list[str] = []
    threads = queue_up(gate, ["GET"], order)
    time.sleep(0.1)  # past the page's grace: a booking arriving now comes after it
    threads += queue_up(gate, ["POST"], order)
    holder.done()
    for thread in threads:
        thread.join(WAIT)
    assert order == ["GET", "POST"]


def test_slots_run_at_once_and_a_failing_request_gives_its_slot_back():
    gate = AdmissionGate(slots=2, page_grace_seconds=0.5)
    first = Holder(gate)
    with pytest.raises(RuntimeError), gate.turn("POST"):  # the second slot
        raise RuntimeError("the view failed")
    second = Holder(gate)  # inside at once beside the first: the failure gave its slot back
    order: list[str] = []
    threads = queue_up(gate, ["POST"], order)  # a third waits
    first.done()
    threads[0].join(WAIT)
    second.done()
    assert order == ["POST"] and gate.waiting == 0


@pytest.fixture
def app_config():
    return {"ADMISSION_SLOTS": 1}


def test_a_booking_waits_for_its_turn_and_sign_in_and_health_checks_do_not(app):
    """Wired in: while the process's only slot is held, a booking waits, then is made;
    the sign-in page and /healthz answer at once all the while."""
    session_id = make_session(app)
    gate = app.extensions[EXTENSION]
    client = app.test_client()
    url = f"/sessions/{session_id}/register"
    form = {"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), **person(1)}
    holder = Holder(gate)
    answers: list[int] = []
    booking = threading.Thread(target=lambda: answers.append(client.post(url, data=form).status_code))
    booking.start()
    wait_until(lambda: gate.waiting == 1)
    assert client.get("/login").status_code == 200 and client.get("/healthz").status_code == 200
    with app.app_context():
        assert db.session.query(Registration).filter_by(session_id=session_id).count() == 0
    holder.done()
    booking.join(WAIT)
    assert answers == [302] and gate.waiting == 0
    with app.app_context():
        assert db.session.query(Registration).filter_by(session_id=session_id).count() == 1
    assert client.get(url).status_code == 200  # the slot was given back


def test_a_request_that_fails_gives_its_turn_back(app):
    gate = app.extensions[EXTENSION]
    client = app.test_client()
    assert client.get("/sessions/999999/register").status_code == 404  # aborted inside its turn
    with gate.turn("GET"):  # the only slot is free again
        pass


def test_production_gates_and_development_does_not(database_url):
    from config import DevelopmentConfig, ProductionConfig
    from tests.conftest import make_config
    from webapp import create_app

    assert ProductionConfig.ADMISSION_SLOTS == 1 and DevelopmentConfig.ADMISSION_SLOTS == 0
    assert EXTENSION not in create_app(make_config(database_url)).extensions
