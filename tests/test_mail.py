"""Sending one email, as the job worker does, against real servers on loopback: one
that accepts, one that is not there, and one that answers a byte every few seconds."""
from __future__ import annotations

import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from tests.booking_helpers import Inbox, free_port
from webapp import mail


def _message(number: int):
    message = mail.new_message(f"person{number}@example.org", f"Message {number}")
    message.set_content("Hello")
    return message


def _use(app, port: int, **settings) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_TIMEOUT=5, **settings)


def test_each_message_is_delivered_over_its_own_connection(app):
    inbox, port = Inbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    _use(app, port)
    try:
        with app.app_context():
            mail.deliver(_message(1))
            mail.deliver(_message(2))
    finally:
        server.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Message 1", "Message 2"]


def test_an_unreachable_server_raises(app):
    _use(app, free_port())  # nothing listens there
    with app.app_context(), pytest.raises(OSError):
        mail.deliver(_message(1))


@pytest.fixture
def trickling_server():
    """Accepts a connection and sends its greeting one byte every 2 seconds: never slow
    enough for a read timeout, never finished."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            for byte in b"220 slow.example ESMTP\r\n":
                if stop.wait(2):
                    break
                try:
                    connection.send(bytes([byte]))
                except OSError:
                    break
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_a_server_that_trickles_bytes_is_cut_off_at_the_deadline(app, trickling_server):
    _use(app, trickling_server, MAIL_DEADLINE=3)
    started = time.monotonic()
    with app.app_context(), pytest.raises(OSError):
        mail.deliver(_message(1))
    assert time.monotonic() - started < 8
