"""Enumerating ``app.url_map`` and filling each rule's parameters from the hostile world."""

import io
import zipfile
from dataclasses import dataclass

from flask import Flask, url_for
from flask.testing import FlaskClient

from tests.hostile.world import ID_PARAMETERS, PASSWORD, SCENARIOS, World
from tests.web import helpers

# Parameters that name no object: what to put in them.
OTHER_PARAMETERS = {
    "domain_key": lambda world: world.domain_key,
    "requirement_key": lambda world: world.requirement_key,
    "action": lambda world: "disable",
    "kind": lambda world: "reviewers",
    "message_id": lambda world: world.ids["message"],  # the outbox: coordinators only
    "flag_id": lambda world: world.ids["flag"],  # a reported problem: coordinators only
}
UNFILLABLE = (
    "{rule}: the access matrix cannot fill URL parameter {name!r}; add it to SCENARIOS (an object id) or "
    "OTHER_PARAMETERS (anything else) in tests/hostile/routes.py / world.py so the route is checked"
)


@dataclass(frozen=True)
class Probe:
    endpoint: str
    method: str
    url: str
    scenario: str | None  # None when the rule names no object
    objects: tuple[str, ...]  # the world's object names in the URL


def is_static(rule) -> bool:
    """Flask's static-file rules (the app's and blueprints'): files shipped with the code, no personal data."""
    return (rule.endpoint == "static" or rule.endpoint.endswith(".static")) and rule.rule.endswith("<path:filename>")


def probes(
    app: Flask,
    world: World,
    methods: frozenset[str] = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"}),
) -> tuple[list[Probe], list[str]]:
    """Every (rule, method, object scenario) as a request to make, and the rules that could not be filled."""
    found, problems = [], []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if is_static(rule):
                continue
            unknown = sorted(rule.arguments - ID_PARAMETERS - set(OTHER_PARAMETERS))
            if unknown:
                problems += [UNFILLABLE.format(rule=rule.rule, name=name) for name in unknown]
                continue
            id_args = sorted(rule.arguments & ID_PARAMETERS)
            scenarios = list(SCENARIOS) if id_args else [None]
            for scenario in scenarios:
                values = {name: OTHER_PARAMETERS[name](world) for name in rule.arguments - ID_PARAMETERS}
                objects = tuple(SCENARIOS[scenario][name] for name in id_args) if scenario else ()
                values |= {name: world.value(SCENARIOS[scenario][name]) for name in id_args}
                url = url_for(rule.endpoint, **values)
                for method in sorted((rule.methods or set()) & methods):
                    found.append(Probe(rule.endpoint, method, url, scenario, objects))
    return found, problems


def signed_in_client(app: Flask, email: str) -> FlaskClient:
    return helpers.signed_in_client(app, email, PASSWORD)


def session_token(client: FlaskClient, signed_in: bool) -> str:
    """A valid CSRF token of this client's session."""
    return helpers.page_token(client, "/account/password" if signed_in else "/login")


def response_text(response) -> str:
    """Everything a client receives that could carry a name: body and headers (download file names)."""
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    return headers + "\n" + body_text(response.get_data())


def body_text(body: bytes) -> str:
    """A body as text; a zip (an .xlsx download) as the text of every part inside it."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return body.decode("utf-8", "replace")
