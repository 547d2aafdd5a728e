"""What the real server adds to every response: no Server header naming gunicorn (or its version)."""

import http.client

import pytest

from tests.system.live import GunicornServer

pytestmark = pytest.mark.slow


def test_gunicorn_names_itself_in_no_header(deployment):
    with GunicornServer(deployment.instance, deployment.database_url, workers=2) as server:
        replies = []
        for path in ("/login", "/static/js/app.js", "/no-such-page"):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            replies.append((path, response.status, response.getheaders()))
            connection.close()
    assert [status for _, status, _ in replies] == [200, 200, 404]
    for path, _, headers in replies:
        names = {name.lower() for name, _ in headers}
        assert "server" not in names, path
        assert not any("gunicorn" in value.lower() for _, value in headers), path
