"""Who may reach a view: sign-in and roles. Every route uses these; which objects a user may then see is
``app.access`` (its ``*_or_404`` lookups).

- Every view needs a signed-in, active user unless it is marked ``@public``
  (checked before each request in ``app.people.security``, so a forgotten
  decorator fails closed).
- ``@role_required(*roles)`` on a view: anonymous users are sent to sign in
  (htmx and JSON requests get 401 instead of a redirect), other roles get 403.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from app.extensions import login_manager
from app.people.models import Role


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (the sign-in page itself)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def role_required(*roles: Role | str) -> Callable[[Callable], Callable]:
    """Allow the view only to signed-in, active users holding one of ``roles``."""
    allowed = frozenset(Role(r) for r in roles)
    if not allowed:
        raise ValueError("role_required needs at least one role")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the access-matrix tests
        return wrapped

    return decorator
