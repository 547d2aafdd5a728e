"""Delivery after the response: a request that queued mail wakes one short-lived thread of its process.

No request waits for the mail server. The thread runs ``outbox.deliver``
until nothing more is due (a request that queues more meanwhile makes it go
round once more) and ends; what it cannot send stays in the outbox for the
next run, or for ``flask mail send`` from cron (docs/operations.md). A worker
that dies mid-run leaves at most one message claimed; it is tried again when
its claim lapses.
"""

import logging
import threading

from flask import Flask, Response, current_app, g

from app.extensions import db
from app.mail import outbox

log = logging.getLogger(__name__)


class _Worker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.again = False

    def wake(self, app: Flask) -> None:
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                self.again = True
                return
            self.again = False
            self.thread = threading.Thread(target=self._run, args=(app,), name="mail-delivery", daemon=True)
            self.thread.start()

    def _run(self, app: Flask) -> None:
        while True:
            with app.app_context():
                try:
                    outbox.deliver()
                except Exception:  # noqa: BLE001 — a thread has nobody to raise to; the outbox keeps the mail
                    log.exception("mail delivery after a response failed; the messages stay in the outbox")
                finally:
                    db.session.remove()
            with self.lock:
                if not self.again:
                    self.thread = None
                    return
                self.again = False

    def join(self, timeout: float) -> bool:
        """Wait for the current run to end (tests); True when no run is going."""
        thread = self.thread
        if thread is not None:
            thread.join(timeout)
        return self.thread is None or not self.thread.is_alive()


def worker(app: Flask) -> _Worker:
    return app.extensions.setdefault("mail_worker", _Worker())


def init_app(app: Flask) -> None:
    @app.after_request
    def deliver_after_response(response: Response) -> Response:
        config = current_app.config
        if g.get("mail_queued") and config["MAIL_SERVER"] and config["MAIL_SEND_AFTER_RESPONSE"]:
            target = current_app._get_current_object()  # type: ignore[attr-defined]
            response.call_on_close(lambda: worker(target).wake(target))
        return response
