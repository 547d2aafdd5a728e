"""A real SMTP server on a loopback port (aiosmtpd), for tests that read what the app sends.

``SmtpSink`` starts aiosmtpd's server in its own thread on a free port of
127.0.0.1 and keeps every message it accepts, parsed; ``stop`` and ``start``
take it down and bring it back on the same port (a mail server that was
down); ``refuse`` makes it answer every RCPT with a permanent error.
"""

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.sink.refusing:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.refusing = False
        self._controller: Controller | None = None

    @property
    def config(self) -> dict:
        """The app's settings for sending here."""
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_TIMEOUT_SECONDS": 5,
            "MAIL_DEFAULT_SENDER": "Endorsement Review <review@example.org>",
        }

    def start(self) -> "SmtpSink":
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.received if address in m.recipients]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10) -> list[Received]:
        """What ``address`` received once it has ``count`` messages (or after ``timeout`` seconds): a page a
        browser shows is sent before the server starts the delivery that the response queued."""
        deadline = time.monotonic() + timeout
        while len(found := self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)
