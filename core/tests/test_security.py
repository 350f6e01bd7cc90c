"""Security baseline: deploy checks, CSP without inline scripts, password hashing and rules,
login throttling, POST-only logout, no third-party assets."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

import klientura.settings as production
from core.tests.factories import UserFactory

BASE_DIR = Path(settings.BASE_DIR)
# A script, style sheet, image or frame from another origin (absolute or protocol-relative URL).
EXTERNAL_ASSET = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*?\s(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SECURE_", "KLIENTURA_", "DJANGO_")) and k not in ("DEBUG", "SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="klientura.settings", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64),
               ALLOWED_HOSTS="crm.example.com", KLIENTURA_VAR_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def script_src(response):
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return next(values for name, *values in filter(None, directives) if name == "script-src")


@pytest.mark.django_db
def test_csp_forbids_inline_and_eval_scripts(client, manager, client_for):
    for response in (client.get("/login/"), client_for(manager).get("/clients/")):
        sources = script_src(response)
        assert "'self'" in sources
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources


def project_templates():
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine["DIRS"]]
    dirs += [Path(app.path) / "templates" for app in apps.get_app_configs()
             if Path(app.path).is_relative_to(BASE_DIR) and ".venv" not in Path(app.path).parts]
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*.html"))


INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
# on*= handlers, htmx's hx-on (evaluated code) and javascript: URLs all need 'unsafe-inline'/'unsafe-eval'.
INLINE_HANDLER = re.compile(r"<[a-z][^>]*?\s(?:on[a-z]{3,}|hx-on[:\w-]*)\s*=|javascript:", re.S | re.I)


def test_templates_have_no_inline_scripts_or_handlers():
    templates = project_templates()
    assert len(templates) > 10
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for m in INLINE_SCRIPT.finditer(text):
            is_data = re.search(r"type=[\"']application/(ld\+)?json", m["attrs"])
            if m["body"].strip() and not is_data:
                problems.append(f"{path.relative_to(BASE_DIR)}: inline <script>")
        problems += [f"{path.relative_to(BASE_DIR)}: {m[0][-40:]!r}" for m in INLINE_HANDLER.finditer(text)]
    assert problems == []


def test_production_hashes_passwords_with_argon2(settings):
    # The test settings use a fast hasher; production's list is checked and exercised here.
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    encoded = make_password("Correct-horse-42")
    assert encoded.startswith("argon2$") and check_password("Correct-horse-42", encoded)


@pytest.mark.parametrize("password", ["password123", "Password123", "qwerty123"])
def test_common_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_strong_password_is_accepted():
    validate_password("Vintage-otter-mango-57")


@pytest.mark.django_db
def test_login_page_and_wrong_credentials():
    UserFactory(username="alice")
    c = Client()
    page = c.get("/login/")
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    assert EXTERNAL_ASSET.findall(page.content.decode()) == []
    wrong = c.post("/login/", {"username": "alice", "password": "wrong-password"})
    assert wrong.status_code == 200 and "alert-danger" in wrong.content.decode()
    assert "_auth_user_id" not in c.session
    right = c.post("/login/", {"username": "alice", "password": "Secret-pass-123"})
    assert right.status_code == 302 and "_auth_user_id" in c.session


@pytest.mark.django_db
def test_login_is_locked_after_too_many_failures():
    UserFactory(username="alice")
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        c.post("/login/", {"username": "alice", "password": "wrong-password"})
    locked = c.post("/login/", {"username": "alice", "password": "Secret-pass-123"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in c.session


@pytest.mark.django_db
def test_logout_is_post_only(manager, client_for):
    c = client_for(manager)
    assert c.get("/logout/").status_code == 405
    assert "_auth_user_id" in c.session
    assert c.post("/logout/").status_code == 302
    assert "_auth_user_id" not in c.session


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/clients/", "/clients/persons/", "/clients/settings/group/", "/trash/",
                                  "/api/docs/"])
def test_pages_load_no_external_scripts_or_styles(path, admin_user, client_for):
    response = client_for(admin_user).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script" in html
    assert EXTERNAL_ASSET.findall(html) == []
