"""klientura.env: strict parsing of settings from the environment."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from klientura.env import env, env_bool, env_int, env_list


@pytest.mark.parametrize("raw, expected", [
    ("1", True), ("true", True), (" Yes ", True), ("ON", True),
    ("0", False), ("false", False), ("no", False), ("off", False), ("", False),
])
def test_bool_words(raw, expected):
    assert env_bool("DEBUG", environ={"DEBUG": raw}) is expected


def test_bool_default_when_unset():
    assert env_bool("DEBUG", True, environ={}) is True


@pytest.mark.parametrize("raw", ["yes please", "tru", "2", "enabled"])
def test_unknown_bool_is_an_error_naming_the_variable(raw):
    with pytest.raises(ImproperlyConfigured, match="KLIENTURA_DEMO"):
        env_bool("KLIENTURA_DEMO", environ={"KLIENTURA_DEMO": raw})


def test_int():
    assert env_int("EMAIL_PORT", 25, environ={"EMAIL_PORT": " 587 "}) == 587
    assert env_int("EMAIL_PORT", 25, environ={}) == 25
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT"):
        env_int("EMAIL_PORT", environ={"EMAIL_PORT": "25a"})
    with pytest.raises(ImproperlyConfigured, match="KLIENTURA_TRUSTED_PROXIES"):
        env_int("KLIENTURA_TRUSTED_PROXIES", min_value=0, environ={"KLIENTURA_TRUSTED_PROXIES": "-1"})


def test_list():
    assert env_list("ALLOWED_HOSTS", environ={"ALLOWED_HOSTS": "a.example, ,b.example"}) == ["a.example",
                                                                                           "b.example"]


def test_secret_from_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("s3cret value\n")
    assert env("SECRET_KEY", environ={"SECRET_KEY_FILE": str(secret)}) == "s3cret value"
    url = tmp_path / "db"
    url.write_text("postgresql://u:p@h/db")
    assert env("DATABASE_URL", environ={"DATABASE_URL_FILE": str(url)}) == "postgresql://u:p@h/db"


def test_value_and_file_both_set_is_an_error(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("x")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_HOST_PASSWORD"):
        env("EMAIL_HOST_PASSWORD", environ={"EMAIL_HOST_PASSWORD": "y", "EMAIL_HOST_PASSWORD_FILE": str(secret)})


def test_unreadable_file_is_an_error(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FILE"):
        env("SECRET_KEY", environ={"SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_settings_refuse_a_bad_boolean():
    """The settings module itself stops on a typo (checked in a fresh interpreter)."""
    import os
    import subprocess
    import sys

    environ = {**os.environ, "KLIENTURA_DEMO": "tru", "SECRET_KEY": "x" * 50,
               "DJANGO_SETTINGS_MODULE": "klientura.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "KLIENTURA_DEMO" in result.stderr
