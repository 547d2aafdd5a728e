"""Every number a request carries is read as ASCII digits: odd digits and huge values are refused, never a 500.

"²" passes ``str.isdigit()`` but ``int()`` refuses it; "٣" (Arabic-Indic three) is read by ``int()`` as 3;
"1_0" is 10 to ``int()``; 5,000 digits exceed ``int()``'s limit; 25 digits overflow SQLite's integer.
"""

import pytest
from sqlalchemy import select

from app.assignment.models import Assignment
from app.cycles.models import Cycle, Item
from app.errors import InputError
from app.extensions import db
from app.numbers import coerce_whole_number, optional_whole_number, whole_number
from app.people.models import ReviewerProfile, User
from tests import committee_world
from tests import factories as f
from tests.committee_world import PASSWORD
from tests.factories import ESSAY_DOMAINS
from tests.web.helpers import csrf_token_from, page_token, signed_in_client

ODD_NUMBERS = ["²", "٣", "①", "1_0", "+3", "-1", "3.0", "0x1", "9" * 5000, "9" * 25, "\u00a03\u00a0x"]
HUGE = "9" * 5000  # past int()'s 4,300-digit limit


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_whole_number_refuses_anything_but_ascii_digits_by_field_name(raw):
    with pytest.raises(InputError) as refused:
        whole_number(raw, "page", maximum=10**9)
    assert list(refused.value.problems) == ["page"]


@pytest.mark.parametrize(("raw", "expected"), [("7", 7), (" 42 ", 42), ("007", 7), (12, 12)])
def test_whole_number_reads_plain_digits(raw, expected):
    assert whole_number(raw, "n") == expected


def test_whole_number_bounds_default_and_optional():
    assert whole_number("", "page", default=1) == 1
    assert whole_number(None, "page", default=1) == 1
    assert optional_whole_number("  ", "version") is None
    with pytest.raises(InputError, match="readers: must be between 1 and 9, got 10"):
        whole_number("10", "readers", minimum=1, maximum=9)
    with pytest.raises(InputError, match="page: a whole number is required"):
        whole_number("", "page")
    with pytest.raises(InputError, match="True is not a whole number"):
        whole_number(True, "n")
    with pytest.raises(ValueError):
        coerce_whole_number("٣")


@pytest.fixture
def world(app):
    with app.app_context():
        world = committee_world.build(passwords=True)
        ann = db.session.get(User, world["ids"]["ann"])
        cycle = db.session.get(Cycle, world["cycle"])
        essay = f.make_essay(cycle, f.make_applicant(cycle, applicant_id="A-9"), item_id="E-9")
        world["draft"] = f.assign(essay, ann).id
        for n in range(2):  # a pool, so that the assignment preview has a plan to confirm
            f.add_member(cycle, f.make_user(email=f"pool{n}@example.org", designations="C"))
        db.session.commit()
        return world


def signed_in(app, world, who):
    return signed_in_client(app, world["emails"][who], PASSWORD)


def _no_server_error(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    return response


@pytest.mark.parametrize("raw", ["%C2%B2", "%D9%A3", "1_0", HUGE], ids=["sup2", "arabic3", "underscore", "huge"])
def test_the_board_page_number_is_a_400_naming_page(app, world, raw):
    client = signed_in(app, world, "maya")
    response = _no_server_error(client.get(f"/committee/cycles/{world['cycle']}/?page={raw}"))
    assert response.status_code == 400
    assert "page" in response.get_data(as_text=True)


@pytest.mark.parametrize("raw", ["²", "٣", HUGE], ids=["sup2", "arabic3", "huge"])
def test_a_committee_version_in_odd_digits_is_a_400(app, world, raw):
    client = signed_in(app, world, "maya")
    csrf = page_token(client, f"/committee/items/{world['split']}")
    form = {f"score_{key}": "3" for key in ESSAY_DOMAINS}
    resolution = client.post(
        f"/committee/items/{world['split']}/resolution",
        data=form | {"rationale": "Why", "version": raw, "csrf_token": csrf},
    )
    decision = client.post(
        f"/committee/applications/{world['ada']}/decision",
        data={"decision": "endorse", "rationale": "Why", "version": raw, "csrf_token": csrf},
    )
    for response in (resolution, decision):
        assert _no_server_error(response).status_code == 400
        assert "version" in response.get_data(as_text=True)


def _preview(client, world):
    page = client.get(f"/console/cycles/{world['cycle']}/assignments/preview?readers=2").get_data(as_text=True)
    return csrf_token_from(page), page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]


@pytest.mark.parametrize("raw", ["²", "٣", HUGE, "1_0"], ids=["sup2", "arabic3", "huge", "underscore"])
def test_assignment_confirm_and_preview_refuse_odd_reader_counts(app, world, raw):
    client = signed_in(app, world, "cora")
    csrf, fingerprint = _preview(client, world)
    confirm = client.post(
        f"/console/cycles/{world['cycle']}/assignments/confirm",
        data={"csrf_token": csrf, "readers": raw, "fingerprint": fingerprint},
    )
    assert _no_server_error(confirm).status_code == 400
    preview = client.get(f"/console/cycles/{world['cycle']}/assignments/preview", query_string={"readers": raw})
    assert _no_server_error(preview).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Assignment)) == 5  # nothing assigned


@pytest.mark.parametrize("path", ["/console/cycles/{cycle}/assignments", "/console/audit"])
@pytest.mark.parametrize("raw", ["²", "٣", HUGE], ids=["sup2", "arabic3", "huge"])
def test_console_page_numbers_refuse_odd_digits(app, world, path, raw):
    client = signed_in(app, world, "cora")
    response = client.get(path.format(cycle=world["cycle"]), query_string={"page": raw})
    assert _no_server_error(response).status_code == 400


@pytest.mark.parametrize("raw", ["²", "٣", "9" * 25], ids=["sup2", "arabic3", "overflow"])
def test_a_reviewers_maximum_load_in_odd_digits_is_a_form_error(app, world, raw):
    client = signed_in(app, world, "cora")
    user_id = world["ids"]["ann"]
    csrf = page_token(client, f"/console/users/{user_id}")
    response = client.post(
        f"/console/users/{user_id}/profile",
        data={"csrf_token": csrf, "profile-designations": "C", "profile-max_load": raw},
    )
    assert _no_server_error(response).status_code == 422
    assert "not a whole number" in response.get_data(as_text=True) or "between" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ReviewerProfile, user_id).max_load is None


@pytest.mark.parametrize("raw", ["٣", "9" * 25], ids=["arabic3", "overflow"])
def test_a_reviewer_picked_by_odd_digits_is_refused(app, world, raw):
    client = signed_in(app, world, "cora")
    csrf = page_token(client, f"/console/items/{world['agreed']}")
    response = client.post(f"/console/items/{world['agreed']}/assign", data={"csrf_token": csrf, "reviewer": raw})
    assert _no_server_error(response).status_code in (400, 422)


@pytest.mark.parametrize(
    ("field", "raw"),
    [("seq", "²"), ("seq", "٣"), ("seq", HUGE), ("score", "٣"), ("score", "²")],
    ids=["seq-sup2", "seq-arabic3", "seq-huge", "score-arabic3", "score-sup2"],
)
def test_autosave_numbers_in_odd_digits_are_a_422_naming_the_field(app, world, field, raw):
    client = signed_in(app, world, "ann")
    headers = {"HX-Request": "true", "X-CSRFToken": page_token(client, f"/reviews/{world['draft']}")}
    data = {"score": "3", "comment": "", "seq": "1", "tab": "numbers-window", "base_version": "0"} | {field: raw}
    response = client.post(f"/reviews/{world['draft']}/domains/reflection", data=data, headers=headers)
    assert _no_server_error(response).status_code == 422
    assert response.get_data(as_text=True).startswith(f"{field}:")


def test_ids_in_paths_take_ascii_digits_only_and_never_overflow(app, world):
    """Every route with an id in its path: Unicode digits and ids past a 64-bit column are simply not found."""
    client = signed_in(app, world, "cora")
    with app.app_context():
        item_pk = db.session.scalar(select(Item.id).limit(1))
    assert client.get(f"/console/items/{item_pk}").status_code == 200
    int_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if any(type(conv).__name__ == "DatabaseIdConverter" for conv in rule._converters.values())
    ]
    assert len(int_rules) >= 20
    for rule in int_rules:
        for odd in ("٣", "²", "9" * 25, "99999999999"):
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", odd)
            path = path.replace("<any(disable, enable):action>", "disable").replace("<domain_key>", "reflection")
            path = path.replace("<requirement_key>", "r1").replace("<kind>", "reviewers")
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)
