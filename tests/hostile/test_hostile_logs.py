"""No essay or response text in application logs (docs/security.md, requirement 22).

A whole scoring flow runs with every logger captured at DEBUG and a gunicorn-style access log (request line,
referrer, user agent — what gunicorn's default ``access_log_format`` writes) around the WSGI app. Essay text,
prompts and reviewers' comments must appear in neither: they travel in request bodies, never in URLs.
"""

import logging

import pytest

from tests.factories import ESSAY_DOMAINS
from tests.hostile.routes import session_token, signed_in_client
from tests.hostile.world import WINDOW, build_world

ESSAY = "Marigold-essay-text: the toddler biting eased once the family routine was steadied"
PROMPT = "Marigold-prompt-text: a parent describes nightly wakings"
COMMENT = "Marigold-comment-text: links behaviour to the routine"
SECRETS = (ESSAY, PROMPT, COMMENT, "Marigold")


def marigold_text(field: str, default: str) -> str:
    return {"response": ESSAY, "prompt": PROMPT, "score_comment": COMMENT}.get(field, default)


class AccessLog:
    """WSGI middleware writing one gunicorn-format access line per request to the ``gunicorn.access`` logger."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.logger = logging.getLogger("gunicorn.access")

    def __call__(self, environ, start_response):
        status_holder = {}

        def record_status(status, headers, exc_info=None):
            status_holder["status"] = status.split()[0]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, record_status)
        query = f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else ""
        self.logger.info(
            '%s - - "%s %s%s %s" %s - "%s" "%s"',
            environ.get("REMOTE_ADDR", "-"),
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"],
            query,
            environ["SERVER_PROTOCOL"],
            status_holder.get("status"),
            environ.get("HTTP_REFERER", "-"),
            environ.get("HTTP_USER_AGENT", "-"),
        )
        return body


def marigold_world():
    return build_world(marigold_text)


pytestmark = pytest.mark.seeded(seed=marigold_world)


@pytest.fixture
def world(seeded):
    return seeded


def test_a_scoring_flow_logs_no_essay_prompt_or_comment_text(app, world, caplog):
    app.wsgi_app = AccessLog(app.wsgi_app)
    caplog.set_level(logging.DEBUG)  # the root logger: every library and the app itself
    reviewer = signed_in_client(app, world.emails["reviewer_a"])
    page_url = f"/reviews/{world.ids['asg_a_x']}"
    page = reviewer.get(page_url, headers={"Referer": "http://localhost/reviews/"})
    assert ESSAY in page.get_data(as_text=True)  # the flow really carries the text
    token = session_token(reviewer, True)
    htmx = {"HX-Request": "true", "X-CSRFToken": token, "Referer": f"http://localhost{page_url}"}
    for seq, domain in enumerate(ESSAY_DOMAINS, start=10):
        response = reviewer.post(
            f"{page_url}/domains/{domain}", data={"score": "3", "comment": COMMENT, "seq": seq, **WINDOW}, headers=htmx
        )
        assert response.status_code == 200
    reviewer.post(f"{page_url}/overall", data={"overall_comment": ESSAY, "seq": "40", **WINDOW}, headers=htmx)
    reviewer.post(
        f"{page_url}/domains/reflection", data={"score": "9", "comment": COMMENT, "seq": "41", **WINDOW}, headers=htmx
    )  # a refused save
    submitted = reviewer.post(f"{page_url}/submit", data={"csrf_token": token})
    assert submitted.status_code == 303
    committee = signed_in_client(app, world.emails["committee_c1"])
    assert COMMENT in committee.get(f"/committee/items/{world.ids['e_x']}").get_data(as_text=True)
    coordinator = signed_in_client(app, world.emails["coordinator"])
    assert coordinator.get(f"/console/cycles/{world.ids['c1']}/export").status_code == 200

    access_lines = [r.getMessage() for r in caplog.records if r.name == "gunicorn.access"]
    assert len(access_lines) >= 12 and any("/submit" in line for line in access_lines)
    everything = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    leaked = [secret for secret in SECRETS if secret in everything]
    assert not leaked, f"log records contain {leaked}"
