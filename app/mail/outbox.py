"""Queueing messages in the outbox and delivering them (docs/mail.md, "The outbox").

``queue`` adds a message in the caller's transaction (the caller commits, so
a message exists exactly when what caused it does). ``deliver`` sends what is
due: each message is claimed in a short transaction of its own, sent with no
transaction open, and its outcome committed at once — a message the server
took is marked sent before the next one is tried, a failure is retried later
with a doubling pause, and nothing is sent twice by two processes.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import current_app, g, has_request_context
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.audit.service import record
from app.extensions import db
from app.mail.messages import render
from app.mail.models import OutboxMessage
from app.mail.sender import DeliveryFailed, SmtpSender, build_message, check_address, message_id_for
from app.timeutil import utcnow

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=10)  # a claimed message is left alone this long (then its run is presumed dead)
FIRST_RETRY = timedelta(minutes=1)  # the pause after a first failure; it doubles per failure …
LAST_RETRY = timedelta(hours=6)  # … up to this
BATCH = 100
# One-time links are never written to the log (the console's outbox shows them to coordinators).
_SECRET_LINK = re.compile(r"(/password/set\?token=)[A-Za-z0-9_-]+")


ONE_TIME_KINDS = frozenset({"invitation", "password_reset"})


class OutboxError(ValueError):
    """A coordinator's request about a message that cannot be done; the message says why."""


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # still unsent after this run (failed ones included)
    error: str | None = None  # the last failure's reason
    server: bool = True  # False: MAIL_SERVER is not set, nothing was tried

    def describe(self) -> str:
        if not self.server:
            return (
                f"MAIL_SERVER is not set: {self.waiting} message{'s' if self.waiting != 1 else ''} "
                "kept in the outbox (the console's Mail page shows them)"
            )
        line = f"sent {self.sent}"
        if self.failed:
            line += f", {self.failed} failed ({self.error}); they stay in the outbox and are retried"
        if self.waiting:
            line += f", {self.waiting} waiting"
        return line


def queue(kind: str, recipient: str, key: str, *, template: str | None = None, **context) -> OutboxMessage | None:
    """Add the message of ``kind`` for ``recipient`` about ``key``, unless it is already in the outbox.

    Returns the new message, or None when (kind, recipient, key) was queued
    before: the same cause never makes a second message. The words come from
    the kind's template (or ``template``: ``app.mail.messages``) with ``context``.
    """
    recipient = recipient.strip().lower()
    if db.session.scalar(select(OutboxMessage.id).filter_by(kind=kind, recipient=recipient, key=key)) is not None:
        return None
    words = render(template or kind, **context)
    message = OutboxMessage(kind=kind, recipient=recipient, key=key[:200], subject=words.subject[:300], body=words.body)
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None  # a parallel request queued it first
    if not current_app.config["MAIL_SERVER"]:
        # One line each (a command inviting a whole pool writes one per person); the text at DEBUG.
        log.info(
            "mail kept in the outbox (MAIL_SERVER is not set): to=%s kind=%s subject=%r",
            recipient,
            kind,
            message.subject,
        )
        log.debug("the text of that message:\n%s", for_log(message.body))
    wake_delivery()  # app.mail.background delivers it after the response
    return message


def wake_delivery() -> None:
    """Have this request's response start a delivery run (``app.mail.background``)."""
    if has_request_context():
        g.mail_queued = True


def for_log(body: str) -> str:
    return _SECRET_LINK.sub(r"\1[link shown on the console's Mail page]", body)


class HideLinkSecrets(logging.Filter):
    """Takes set-password secrets out of a log line (the development server logs each request's query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/password/set?token=" in message:
            record.msg, record.args = for_log(message), ()
        return True


def retry_delay(attempts: int) -> timedelta:
    """The pause before the next try after ``attempts`` failed ones: 1, 2, 4 … minutes, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LAST_RETRY)


def _due(now: datetime):
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.attempts < current_app.config["MAIL_MAX_ATTEMPTS"],
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def waiting_count() -> int:
    return (
        db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) or 0
    )


def deliver(*, only: Iterable[int] | None = None) -> DeliveryReport:
    """Send every due message (or only those ids), oldest first; commits after each one.

    Call it with no transaction of the caller's open: it commits. Stops at the
    first failure to reach the server (the rest would fail alike and are
    retried on the next run); a message the server refuses fails alone.
    """
    config = current_app.config
    db.session.commit()
    if not config["MAIL_SERVER"]:
        return DeliveryReport(waiting=waiting_count(), server=False)
    wanted = set(only) if only is not None else None
    sent = failed = 0
    error = None
    done: set[int] = set()
    with SmtpSender(config) as sender:
        while True:
            batch = [i for i in _due_ids(wanted) if i not in done]
            if not batch:
                break
            for message_id in batch:
                done.add(message_id)
                message = _claim(message_id)
                if message is None:
                    continue  # another run took it, or sent it, first
                try:
                    _send(sender, message)
                except DeliveryFailed as exc:
                    failed += 1
                    error = str(exc)
                    _failed(message_id, error)
                    if exc.connection:
                        return DeliveryReport(sent, failed, waiting_count(), error)
                else:
                    sent += 1
                    _sent(message_id)
    return DeliveryReport(sent, failed, waiting_count(), error)


def _due_ids(wanted: set[int] | None) -> list[int]:
    query = select(OutboxMessage.id).where(*_due(utcnow())).order_by(OutboxMessage.id).limit(BATCH)
    if wanted is not None:
        query = query.where(OutboxMessage.id.in_(wanted))
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    recipient: str
    subject: str
    body: str


def _claim(message_id: int) -> _Claimed | None:
    """Take the message for this run (one UPDATE that only one process can win), or None."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now)).values(claimed_until=now + CLAIM)
    )
    if not cast(CursorResult, result).rowcount:
        db.session.commit()
        return None
    row = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body).where(
            OutboxMessage.id == message_id
        )
    ).one()
    db.session.commit()
    return _Claimed(message_id, *row)


def _send(sender: SmtpSender, message: _Claimed) -> None:
    problem = check_address(message.recipient)
    if problem:
        raise DeliveryFailed(problem)
    sender.send(
        build_message(
            sender.sender, message.recipient, message.subject, message.body, message_id_for(message.id, sender.sender)
        )
    )


def _sent(message_id: int) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(sent_at=utcnow(), attempts=OutboxMessage.attempts + 1, last_error=None, claimed_until=None)
    )
    db.session.commit()


def _failed(message_id: int, error: str) -> None:
    message = db.session.get_one(OutboxMessage, message_id)
    message.attempts += 1
    message.last_error = error[:1000]
    message.next_attempt_at = utcnow() + retry_delay(message.attempts)
    message.claimed_until = None
    db.session.commit()
    log.warning(
        "mail to %s (%s) not delivered, attempt %d: %s", message.recipient, message.kind, message.attempts, error
    )


def resend(message: OutboxMessage, *, actor_id: int) -> OutboxMessage:
    """A coordinator's resend: a waiting or failed message is tried again now (its count of attempts starts
    again); a sent one is queued once more as a copy. Audited; the caller commits."""
    if message.sent_at is not None and message.kind in ONE_TIME_KINDS:
        raise OutboxError(
            "This message's link may already be used or expired, so it is not sent again: send a "
            "new invitation from the user's page, or they can use “Forgot your password?”."
        )
    if message.sent_at is None:
        message.attempts = 0
        message.next_attempt_at = utcnow()
        message.claimed_until = None
        target = message
    else:
        copies = (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.kind == message.kind,
                    OutboxMessage.recipient == message.recipient,
                    OutboxMessage.key.like(f"{message.key[:180]}#resend-%"),
                )
            )
            or 0
        )
        target = OutboxMessage(
            kind=message.kind,
            recipient=message.recipient,
            key=f"{message.key[:180]}#resend-{copies + 1}",
            subject=message.subject,
            body=message.body,
        )
        db.session.add(target)
    db.session.flush()
    record(
        "mail.resend",
        "outbox_message",
        message.id,
        actor_id=actor_id,
        after={"message": target.id, "recipient": message.recipient, "kind": message.kind},
    )
    wake_delivery()
    return target


PAGE_SIZE = 50
STATUSES = ("waiting", "failed", "sent")


@dataclass(frozen=True)
class OutboxPage:
    rows: list[OutboxMessage]
    number: int
    pages: int
    total: int
    counts: dict[str, int]


def _status_condition(status: str):
    if status == "sent":
        return OutboxMessage.sent_at.is_not(None)
    if status == "failed":
        return OutboxMessage.sent_at.is_(None) & OutboxMessage.last_error.is_not(None)
    return OutboxMessage.sent_at.is_(None) & OutboxMessage.last_error.is_(None)


def outbox_page(*, status: str = "", recipient: str = "", number: int = 1) -> OutboxPage:
    """The outbox newest first for the console: optionally one status, or recipients containing some text."""
    where = []
    if status in STATUSES:
        where.append(_status_condition(status))
    if recipient.strip():
        where.append(OutboxMessage.recipient.contains(recipient.strip().lower(), autoescape=True))
    counts = {
        name: db.session.scalar(select(func.count()).select_from(OutboxMessage).where(_status_condition(name))) or 0
        for name in STATUSES
    }
    total = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages)
    rows = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(*where)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(PAGE_SIZE)
            .offset((number - 1) * PAGE_SIZE)
        )
    )
    return OutboxPage(rows, number, pages, total, counts)
