"""One small SMTP sender over the standard library's smtplib, set up from the ``MAIL_*`` settings.

A delivery run opens one connection for all the messages it sends
(``SmtpSender`` is a context manager that connects on the first message) and
closes it at the end. Every failure of the server or the network is a
``DeliveryFailed`` carrying a one-line reason for the outbox's ``last_error``.
"""

import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from types import TracebackType
from typing import Any


class DeliveryFailed(Exception):
    """The mail server did not take a message; ``connection`` says whether the server could be reached at all
    (a run stops at the first connection failure: the next messages would fail the same way)."""

    def __init__(self, reason: str, *, connection: bool = False):
        super().__init__(reason)
        self.connection = connection


def build_message(sender: str, recipient: str, subject: str, body: str, message_id: str | None = None) -> EmailMessage:
    """A plain-text UTF-8 message; a line break in the subject (which would start a new header) becomes a space."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    message.set_content(body)
    return message


def message_id_for(outbox_id: int, sender: str) -> str:
    """The same Message-ID on every attempt of one outbox row, so a receiving server can drop a duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<outbox-{outbox_id}@{domain}>"


def check_address(address: str) -> str | None:
    """Why ``address`` cannot be a recipient (None when it can)."""
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        return f"{address!r} is not an e-mail address ({exc})"
    return None


class SmtpSender:
    """Sends messages over one SMTP connection, opened on the first ``send``."""

    def __init__(self, config: Mapping[str, Any]):
        self.host: str = config["MAIL_SERVER"]
        self.port: int = config["MAIL_PORT"]
        self.use_ssl: bool = config["MAIL_USE_SSL"]
        self.use_tls: bool = config["MAIL_USE_TLS"]
        self.username: str | None = config["MAIL_USERNAME"]
        self.password: str | None = config["MAIL_PASSWORD"]
        self.timeout: float = config["MAIL_TIMEOUT_SECONDS"]
        self.sender: str = config["MAIL_DEFAULT_SENDER"]
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSender":
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        smtp = self._connection()
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"the server refused the recipient: {_first_reason(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"the server answered {exc.smtp_code}: {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise DeliveryFailed(f"the connection to {self.host}:{self.port} failed: {exc}", connection=True) from exc
        if refused:
            raise DeliveryFailed(f"the server refused the recipient: {_first_reason(refused)}")

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        try:
            if self.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls and not self.use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(
                f"the server refused MAIL_USERNAME's sign-in ({exc.smtp_code})", connection=True
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:  # timeouts are OSErrors too
            raise DeliveryFailed(
                f"cannot reach the mail server {self.host}:{self.port}: {exc}", connection=True
            ) from exc
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass  # the messages are sent; a server hanging up early changes nothing
        finally:
            self._drop()


def _text(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value).strip()[:300]


def _first_reason(refused: Mapping[str, tuple[int, bytes]]) -> str:
    address, (code, text) = next(iter(refused.items()))
    return f"{address}: {code} {_text(text)}"
