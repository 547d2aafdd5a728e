"""Where each role starts, and the role-aware links in the header.

Areas add their own header links from their ``init_app`` with ``add_nav_link``;
links whose endpoint is not registered are left out, so the layout never breaks.
"""

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for

from app.people.models import Role, User

# Each role's start page, first existing wins. "/…" is a URL path, anything else an endpoint.
ROLE_HOMES: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.REVIEWER: (("My reviews", "scoring.queue"),),
    Role.COMMITTEE: (("Committee board", "/committee/"),),
    Role.COORDINATOR: (("Console", "/console/"),),
}


@dataclass(frozen=True)
class NavLink:
    label: str
    target: str  # endpoint or "/path"
    roles: frozenset[Role]
    order: int = 100


def add_nav_link(app: Flask, label: str, target: str, roles: tuple[Role | str, ...], order: int = 100) -> None:
    """Show a header link to users holding one of ``roles`` (once ``target`` exists)."""
    app.extensions.setdefault("nav_links", []).append(NavLink(label, target, frozenset(Role(r) for r in roles), order))


def _url(target: str) -> str | None:
    """The URL of an endpoint or path if the app serves it, else None."""
    if target.startswith("/"):
        exists = any(rule.rule == target for rule in current_app.url_map.iter_rules())
        return target if exists else None
    if target in current_app.view_functions:
        return url_for(target)
    return None


def home_url_for(user: User) -> str | None:
    """The start page of the user's role, or None while that area does not exist yet."""
    for _label, target in ROLE_HOMES.get(user.role, ()):
        url = _url(target)
        if url is not None:
            return url
    return None


def nav_links(user: User) -> list[dict[str, object]]:
    """The header links for this user: their start page, then links areas registered for the role."""
    candidates = [(label, target) for label, target in ROLE_HOMES.get(user.role, ())]
    registered = sorted(current_app.extensions.get("nav_links", []), key=lambda link: link.order)
    candidates += [(link.label, link.target) for link in registered if user.role in link.roles]
    links, seen = [], set()
    for label, target in candidates:
        url = _url(target)
        if url is None or url in seen:
            continue
        seen.add(url)
        links.append({"label": label, "url": url, "current": request.path == url})
    return links
