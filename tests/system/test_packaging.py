"""The built wheel works on its own: installed into a fresh venv and run from another directory.

The wheel is built from a copy of the source tree and installed without its
dependencies into a venv of its own; the dependencies come from the test
venv's site-packages through a ``.pth`` line (added to ``sys.path`` only: the
test venv's editable-install hook is not run), so nothing is fetched from an
index and the app that runs is the wheel's, not the checkout's.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from tests.system.live import free_port

REPO = Path(__file__).resolve().parents[2]
LEFT_OUT = shutil.ignore_patterns(
    ".git",
    ".venv",
    "instance",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "out",
    "node_modules",
    ".pytest_cache",
    ".hypothesis",
)

pytestmark = pytest.mark.slow


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv holding only the wheel, and the environment of a deployment outside the checkout."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=LEFT_OUT)
    built = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--wheel-dir",
        str(root / "dist"),
        str(source),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (root / "dist").glob("endorsement_review-*.whl")

    venv = root / "venv"
    made = run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    pip = run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel))
    assert pip.returncode == 0, pip.stdout + pip.stderr
    site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "test_dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(ours)))

    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("FLASK_APP", "PYTHONPATH", "DATABASE_URL", "TEST_DATABASE_URL")
    }
    env.update(
        {
            "ENDORSEMENT_INSTANCE": str(root / "instance"),
            "SECRET_KEY": "packaging-test-secret",
            "ENDORSEMENT_LOCAL_HTTP": "1",
        }
    )
    return venv, elsewhere, env


def test_the_wheel_ships_rubrics_and_migrations_and_runs_outside_the_checkout(installed):
    venv, elsewhere, env = installed
    located = run(str(venv / "bin" / "python"), "-c", "import app; print(app.__file__)", cwd=elsewhere, env=env)
    assert Path(located.stdout.strip()).is_relative_to(venv), located.stdout + located.stderr

    upgrade = run(str(venv / "bin" / "endorsement"), "db", "upgrade", cwd=elsewhere, env=env)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    check = run(str(venv / "bin" / "endorsement"), "rubrics", "check", cwd=elsewhere, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    shipped = len(list((REPO / "rubrics").glob("*.toml")))
    assert f"{shipped} rubrics OK" in check.stdout
    # Every shipped pack is read from the installed package, none from the checkout.
    assert str(REPO / "rubrics") not in check.stdout
    assert check.stdout.count(str(venv)) == shipped
    # An association's overlay packs ship too.
    virginia = run(
        str(venv / "bin" / "endorsement"), "rubrics", "check", cwd=elsewhere, env={**env, "ASSOCIATION": "VAIMH"}
    )
    assert virginia.returncode == 0, virginia.stdout + virginia.stderr
    overlay = next(line for line in virginia.stdout.splitlines() if line.startswith("imhm-c-application"))
    assert str(venv) in overlay and "associations/VAIMH" in overlay
    # The default letter templates ship, and compile from the installed package.
    letters = run(
        str(venv / "bin" / "python"),
        "-c",
        "from app.letters import service as s; from app.letters."
        "template import load_template as load; print(sorted((p.name, sorted(load(p.read_bytes(), p.name, "
        "s.FIELDS, s.LIST_FIELDS).fields)[:2]) for p in s.DEFAULTS.glob('*.docx')), s.DEFAULTS)",
        cwd=elsewhere,
        env=env,
    )
    assert letters.returncode == 0, letters.stdout + letters.stderr
    assert "('endorse.docx', ['address', 'applicant_id'])" in letters.stdout and str(venv) in letters.stdout
    assert "not_endorsed.docx" in letters.stdout and "revise.docx" in letters.stdout


def test_the_installed_app_serves_a_request(installed):
    venv, elsewhere, env = installed
    upgrade = run(str(venv / "bin" / "endorsement"), "db", "upgrade", cwd=elsewhere, env=env)  # idempotent
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    port = free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert _get_when_up(f"http://127.0.0.1:{port}/healthz", server) == "ok\n"
        page = _get_when_up(f"http://127.0.0.1:{port}/login", server)
        assert "Sign in" in page
        stylesheet = _get_when_up(f"http://127.0.0.1:{port}/static/css/app.css", server)
        assert stylesheet.strip()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output.decode()


def _get_when_up(url: str, server: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
