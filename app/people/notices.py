"""Telling an account holder that someone is failing to sign in as them.

``sign_ins_delayed`` is called once per episode, when failed sign-ins from
unknown devices start delaying the account (see ``authenticate``), inside the
transaction that records that failure. It audits the event and sends the
``account_sign_ins_delayed`` signal; the e-mail to the holder is sent by the
receiver the mail outbox connects to it, so the notice is queued in the same
transaction. See docs/security-hardening.md ("Sign-in limits").
"""

from blinker import Namespace
from flask import current_app

from app.audit.service import record
from app.people.models import User

_signals = Namespace()
# Receivers get the app as sender and keyword arguments user, failures, client.
account_sign_ins_delayed = _signals.signal("account-sign-ins-delayed")


def sign_ins_delayed(user: User, *, failures: int, client: str | None) -> None:
    record("user.sign_in_delayed", "user", user.id, after={"failures": failures, "client": client})
    # The proxy's target, as Flask's own signals send it.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    account_sign_ins_delayed.send(app, user=user, failures=failures, client=client)
