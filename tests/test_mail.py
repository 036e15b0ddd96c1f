"""Sending many messages over one SMTP connection, against a real server on loopback."""
from __future__ import annotations

import logging

from aiosmtpd.controller import Controller

from tests.booking_helpers import Inbox, free_port
from webapp import mail


def _message(number: int):
    message = mail.new_message(f"person{number}@example.org", f"Message {number}")
    message.set_content("Hello")
    return message


def _use(app, port: int) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_TIMEOUT=5)


def test_a_batch_goes_over_one_connection_and_reconnects_once_if_the_server_hangs_up(app):
    inbox, port = Inbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    _use(app, port)
    try:
        with app.test_request_context(), mail.one_connection():
            assert mail.send(_message(1)) and mail.send(_message(2))
            server.stop()  # the server restarts, closing our connection
            server = Controller(inbox, hostname="127.0.0.1", port=port)
            server.start()
            assert mail.send(_message(3))
    finally:
        server.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Message 1", "Message 2", "Message 3"]
    assert inbox.peers[0] == inbox.peers[1] != inbox.peers[2]


def test_without_a_batch_each_message_has_its_own_connection(app):
    inbox, port = Inbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    _use(app, port)
    try:
        with app.test_request_context():
            assert mail.send(_message(1)) and mail.send(_message(2))
    finally:
        server.stop()
    assert len(set(inbox.peers)) == 2


def test_an_unreachable_server_fails_the_batch_and_is_logged_without_addresses(app, caplog):
    _use(app, free_port())  # nothing listens there
    with caplog.at_level(logging.ERROR, logger="webapp.mail"):
        with app.test_request_context(), mail.one_connection():
            assert [mail.send(_message(n)) for n in (1, 2, 3)] == [False, False, False]
    assert caplog.text.count("Could not send email") == 3
    assert "failed earlier in this batch" in caplog.text  # the 2nd and 3rd did not try again
    assert "example.org" not in caplog.text
