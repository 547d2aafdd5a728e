"""Settings: the environment beats instance/config.py, which beats the defaults; bad values are refused by name."""

import re
from pathlib import Path

import pytest

from app import create_app
from app.config import ENVIRONMENT_ALIASES, SettingsError, StartupError, environment_settings, settings
from tests.conftest import close_app

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """An instance folder named by ENDORSEMENT_INSTANCE, and an environment holding no setting of its own."""
    for name in [*settings(), *ENVIRONMENT_ALIASES.values()]:
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setenv("ENDORSEMENT_INSTANCE", str(instance))
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "env.sqlite3"))
    apps = []

    def start(config_file: str | None = None):
        if config_file is not None:
            (instance / "config.py").write_text(config_file)
        app = create_app()
        apps.append(app)
        return app

    yield start
    for app in apps:
        close_app(app)


def test_defaults_apply_when_nothing_is_set(deployment):
    config = deployment().config
    assert config["PART1_PASS_MARK"] == 80.0
    assert config["LOG_FORMAT"] == "text" and config["TRUSTED_PROXIES"] == 0
    assert config["SESSION_COOKIE_SECURE"] is True


def test_instance_config_overrides_defaults(deployment):
    config = deployment("PART1_PASS_MARK = 70\nLOGIN_MAX_FAILURES = 3\n").config
    assert config["PART1_PASS_MARK"] == 70 and config["LOGIN_MAX_FAILURES"] == 3


def test_the_environment_overrides_instance_config(deployment, monkeypatch):
    monkeypatch.setenv("PART1_PASS_MARK", "75")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("LOGIN_MAX_FAILURES", " 7 ")
    config = deployment("PART1_PASS_MARK = 70\nSECRET_KEY = 'from-the-file'\nLOGIN_MAX_FAILURES = 3\n").config
    assert config["PART1_PASS_MARK"] == 75.0 and isinstance(config["PART1_PASS_MARK"], float)
    assert config["SECRET_KEY"] == "from-the-environment"
    assert config["LOGIN_MAX_FAILURES"] == 7 and isinstance(config["LOGIN_MAX_FAILURES"], int)


def test_database_url_from_the_environment_beats_the_file_in_either_spelling(deployment, tmp_path):
    config = deployment(
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{tmp_path}/file-a.sqlite3'\n"
        f"DATABASE_URL = 'sqlite:///{tmp_path}/file-b.sqlite3'\n"
    ).config
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite3"


def test_database_url_in_the_file_is_used_without_one_in_the_environment(deployment, tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    config = deployment("DATABASE_URL = 'postgres://reviewer@db.example/endorsement'\n").config
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://reviewer@db.example/endorsement"
    # libpq would otherwise wait for an unreachable server forever.
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 10}


def test_without_database_url_sqlite_lives_in_the_instance_folder(deployment, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL")
    assert deployment().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/instance/endorsement.sqlite3"


@pytest.mark.parametrize(
    ("text", "secure"), [("yes", False), ("1", False), ("on", False), ("no", True), ("0", True), ("false", True)]
)
def test_switches_read_yes_and_no(deployment, monkeypatch, text, secure):
    monkeypatch.setenv("LOCAL_HTTP", text)
    config = deployment().config
    assert config["SESSION_COOKIE_SECURE"] is secure and config["REMEMBER_COOKIE_SECURE"] is secure


def test_the_older_local_http_name_still_works(deployment, monkeypatch):
    monkeypatch.setenv("ENDORSEMENT_LOCAL_HTTP", "1")
    assert deployment().config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("PART1_PASS_MARK", "eighty", "PART1_PASS_MARK='eighty' in the environment: not a number"),
        ("LOGIN_MAX_FAILURES", "2.5", "LOGIN_MAX_FAILURES='2.5' in the environment: not a whole number"),
        ("LOCAL_HTTP", "maybe", "LOCAL_HTTP='maybe' in the environment: use yes or no"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of text, json, not 'xml'"),
    ],
)
def test_a_bad_value_from_the_environment_is_refused_by_name(deployment, monkeypatch, name, text, message):
    monkeypatch.setenv(name, text)
    with pytest.raises(SettingsError) as caught:
        deployment()
    assert message in str(caught.value)


def test_a_value_of_the_wrong_type_in_the_file_is_refused(deployment):
    with pytest.raises(SettingsError, match=r"PART1_PASS_MARK must be a number, not '80'"):
        deployment("PART1_PASS_MARK = '80'\n")


def test_a_misspelt_setting_in_the_file_is_refused_with_a_suggestion(deployment):
    with pytest.raises(SettingsError) as caught:
        deployment("PART1_PASSMARK = 70\nhelper = 3  # lower case: a helper variable, not a setting\n")
    assert "PART1_PASSMARK is not a setting (did you mean PART1_PASS_MARK?)" in str(caught.value)


def test_a_broken_file_names_its_line(deployment):
    with pytest.raises(SettingsError, match=r"config\.py, line 2: SyntaxError"):
        deployment("PART1_PASS_MARK = 70\nLOG_FORMAT = 'json\n")


def test_a_file_that_raises_is_reported_not_propagated(deployment):
    with pytest.raises(SettingsError, match=r"config\.py: NameError: name 'undefined_thing' is not defined"):
        deployment("PART1_PASS_MARK = undefined_thing\n")


def test_a_test_mapping_replaces_file_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PART1_PASS_MARK", "12")
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "config.py").write_text("LOGIN_MAX_FAILURES = 1\n")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "t.sqlite3"),
        }
    )
    assert app.config["PART1_PASS_MARK"] == 80.0 and app.config["LOGIN_MAX_FAILURES"] == 5
    close_app(app)


def test_an_instance_folder_under_a_missing_parent_is_a_startup_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ENDORSEMENT_INSTANCE", str(tmp_path / "typo" / "instance"))
    with pytest.raises(StartupError, match="does not exist"):
        create_app()
    assert not (tmp_path / "typo").exists()


def test_a_missing_instance_folder_is_created_on_first_run(deployment, tmp_path, monkeypatch):
    monkeypatch.setenv("ENDORSEMENT_INSTANCE", str(tmp_path / "fresh"))
    deployment()
    assert (tmp_path / "fresh" / "secret_key").exists()


def readme_settings() -> set[str]:
    section = README.read_text(encoding="utf-8").split("### Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_readme_configuration_table_lists_every_setting_and_nothing_else():
    assert readme_settings() == set(settings())


def test_every_scalar_setting_can_come_from_the_environment():
    assert set(settings()) - set(environment_settings()) == {"SQLALCHEMY_ENGINE_OPTIONS"}
