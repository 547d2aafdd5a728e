"""gunicorn's settings for Endorsement Review (docs/operations.md, "Serving").

    gunicorn -c gunicorn.conf.py "app:create_app()"

gunicorn also reads this file by itself when started from the repository
folder. A value given on the command line or in GUNICORN_CMD_ARGS wins over
the one here; BIND and WEB_CONCURRENCY set the two that differ most between
machines.
"""

import os

# Behind nginx on the same host (docs/nginx.conf.example); never exposed directly.
bind = os.environ.get("BIND", "127.0.0.1:8000")

# Sync workers, each serving one request at a time: the work is CPU-bound Python and SQLite/PostgreSQL
# calls, so more workers than cores only queue inside the kernel instead of in nginx. Two per core plus
# one (gunicorn's own advice) covers a worker waiting on the database; capped because every worker holds
# a full copy of the app (~150 MB resident after a large export).
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8)))

# The longest a request may run before gunicorn kills its worker. The export and the letters run in a
# background thread (app/jobs/service.py), so no page waits on them; the longest request left is a large
# import upload (a 36,000-row scores file takes ~10 s of CPU, far longer on a busy server). 60 s lets that
# finish while still recovering a worker that is truly stuck. Keep nginx's proxy_read_timeout above it.
timeout = 60

# Graceful restarts: `kill -HUP <master>` (systemctl reload) starts new workers with the new code and
# settings, then stops the old ones; a stopping worker gets this long to finish the requests it holds.
graceful_timeout = 60
# The app is imported in each worker, not in the master, so HUP really loads new code.
preload_app = False

# Replace each worker after about this many requests (the jitter keeps them from restarting together):
# Python seldom returns memory to the system, so this bounds what one large export leaves behind.
max_requests = 1000
max_requests_jitter = 100

# Managed through signals and systemd (docs/operations.md). gunicorn's control socket sits at one path per
# user, which a second instance on the host would take over.
control_socket_disable = True

# Behind nginx, idle keep-alive connections are nginx's business; a short wait frees the sync worker.
keepalive = 5

# Logs go to stderr (journald under systemd). The access log leaves out the query string, the referrer and
# the user agent: searches and links can carry names or e-mail addresses. The request id ties a line to the
# app's own log lines and to what the user saw (X-Request-ID).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

if os.environ.get("LOG_FORMAT") == "json":
    # gunicorn's own lines in the same one-object-per-line shape as the app's (app/ops/logs.py).
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.ops.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": []},  # the app adds its own (app/ops/logs.py)
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        },
    }

# --- The headers gunicorn itself sends (its Server header) ------------------------------------------
# Hardening of what the server layer adds to every response goes below this line.


def post_worker_init(worker):
    """Send no ``Server`` header: gunicorn writes "Server: gunicorn" before any header of the app's, and has no
    setting to leave it out. Done in each worker (a hook, not at import), so every worker started, or started
    again after a crash or a reload, serves without it."""
    from gunicorn.http import wsgi

    default_headers = wsgi.Response.default_headers
    if getattr(default_headers, "without_server", False):
        return

    def headers_without_server(self):
        return [line for line in default_headers(self) if not line.lower().startswith("server:")]

    headers_without_server.without_server = True
    wsgi.Response.default_headers = headers_without_server
