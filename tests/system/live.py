"""A real multi-worker gunicorn server on 127.0.0.1 and a small cookie-keeping HTTP client."""

import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(instance: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ENDORSEMENT_INSTANCE": str(instance),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "system-test-secret",
            "ENDORSEMENT_LOCAL_HTTP": "1",
        }
    )
    return env


class GunicornServer:
    """``gunicorn -w N app:create_app()`` on a free loopback port; its log is kept for inspection."""

    def __init__(self, instance: Path, database_url: str, workers: int = 4):
        self.port = free_port()
        self.log_path = instance / f"gunicorn-{self.port}.log"
        self.env = server_env(instance, database_url)
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self._log_file = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "GunicornServer":
        self._log_file = log = open(self.log_path, "ab")  # noqa: SIM115 (closed in _closed)
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "app:create_app()",
            ],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log()}")

    def kill_hard(self) -> None:
        """kill -9 the master and every worker, as a power cut would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._closed()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_hard()
        self._closed()

    def _closed(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seat:
    """A reviewer of a live deployment and the one assignment they score."""

    email: str
    assignment_id: int


def window_of(seat: Seat) -> dict[str, str]:
    """The window fields of one reviewer's autosaves (app/scoring/saves.py): one scoring window per reviewer."""
    return {"tab": f"system-window-{seat.assignment_id}", "base_version": "0"}


class Browserless:
    """One signed-in user: cookies kept, CSRF token taken from the last page like htmx would. ``headers`` go
    with every request (e.g. an ``X-Forwarded-For`` naming another client address behind a trusted proxy)."""

    def __init__(self, base_url: str, timeout: float = 30, headers: dict[str, str] | None = None):
        self.base_url = base_url
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def request(self, method: str, path: str, data: dict | None = None, htmx: bool = False) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=self.headers)
        if self.csrf:
            req.add_header("X-CSRFToken", self.csrf)
        if htmx:
            req.add_header("HX-Request", "true")
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                reply = Reply(resp.status, resp.read().decode("utf-8", "replace"), dict(resp.headers))
        except urllib.error.HTTPError as err:
            reply = Reply(err.code, err.read().decode("utf-8", "replace"), dict(err.headers))
        self._remember_token(reply.body)
        return reply

    def _remember_token(self, body: str) -> None:
        match = CSRF_HEADER.search(html.unescape(body)) or CSRF_INPUT.search(body)
        if match:
            self.csrf = match.group(1)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, data: dict, htmx: bool = False) -> Reply:
        return self.request("POST", path, data, htmx)

    def login(self, email: str, password: str) -> None:
        """Sign in; turned away while every password turn is taken (429), wait as asked and try again."""
        self.get("/login")
        while True:
            reply = self.post("/login", {"email": email, "password": password, "csrf_token": self.csrf or ""})
            if reply.status != 429:
                break
            time.sleep(float(reply.headers.get("Retry-After") or 1))
        if reply.status != 200:
            raise AssertionError(f"login failed for {email}: {reply.status}")
