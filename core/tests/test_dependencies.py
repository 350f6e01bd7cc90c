"""Dependencies point one way (core.registry): read every module's imports (ast) and check them.

core ← clients ← activities ← sales, and the apps built on them (analytics, marketing, service, knowledge,
integrations) are imported by nobody but themselves. No app imports another app's contributions
to shared features (demo, bench, calendar, card tabs, dashboard, UI entries): it registers them.

Exempt: ``core/tests`` — core's tests exercise the shared mechanisms (base model, pagination,
the bench command) on the apps' real models. Migrations are checked like any module.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ["core", "clients", "activities", "sales"]
FUTURE_APPS = ["analytics", "marketing", "service", "knowledge", "integrations"]
# integrations is built on every app (issue 13): it may import them all; nobody imports it.
TOP_APPS = {"integrations"}
# Who may not import whom (besides the future apps, forbidden to all others).
FORBIDDEN = {
    "core": {"clients", "activities", "sales"},
    "clients": {"activities", "sales"},
    "activities": {"sales"},
}
# Modules through which an app contributes to a shared feature: only their own app imports them.
CONTRIBUTIONS = {"demo", "bench", "calendar", "dashboard", "ui", "services.calendar", "services.dashboard",
                 "views.dashboard", "views.card"}
EXEMPT = [ROOT / "core" / "tests"]
# Known exceptions (module, imported prefix): none.
PENDING = set()


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path.name == "__init__.py"


def imports_of(path, name=None, is_package=False):
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    if name is None:
        name, is_package = module_name(path)
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)  # "from x import submodule"
    return name, found


def all_modules():
    for app in APPS + FUTURE_APPS:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if not any(path.is_relative_to(exempt) for exempt in EXEMPT):
                yield app, path


def problems(app, name, imported):
    """[(module, imported name, why)] for what module ``name`` of ``app`` may not import."""
    found = []
    for target in sorted(imported):
        target_app = target.split(".")[0]
        if target_app == app or target_app not in APPS + FUTURE_APPS:
            continue
        rest = target[len(target_app) + 1:]
        if (target_app in FUTURE_APPS and app not in TOP_APPS) or target_app in FORBIDDEN.get(app, ()):
            found.append((name, target, f"{app} may not import {target_app}"))
        elif target_app != "core" and any(rest == c or rest.startswith(c + ".") for c in CONTRIBUTIONS):
            found.append((name, target, f"{target_app}'s {rest} is its contribution: read the registry"))
    return [v for v in found if not any(v[0] == m and v[1].startswith(t) for m, t in PENDING)]


def violations():
    found = []
    for app, path in all_modules():
        found += problems(app, *imports_of(path))
    return found


def test_imports_point_one_way():
    assert violations() == []


def test_the_checker_sees_imports(tmp_path):
    """Forbidden imports, absolute or relative, are caught (the test above is not vacuous)."""
    name, imported = imports_of(ROOT / "activities" / "services" / "calendar.py")
    assert name == "activities.services.calendar"
    assert {"clients.services", "core.calendar", "activities.models"} <= imported
    assert "activities.models.Interaction" in imported  # relative "from ..models import Interaction"
    probe = tmp_path / "probe.py"
    probe.write_text("from sales.models import Deal\nfrom activities import demo\nfrom core import calendar\n"
                     "import marketing.models\nfrom ..bench import generate\n", encoding="utf-8")
    found = {(v[1], v[2]) for v in problems("clients", *imports_of(probe, "clients.views.probe"))}
    assert found == {("sales.models", "clients may not import sales"),
                     ("sales.models.Deal", "clients may not import sales"),
                     ("activities", "clients may not import activities"),
                     ("activities.demo", "clients may not import activities"),
                     ("marketing.models", "clients may not import marketing")}
    found = {v[1] for v in problems("sales", *imports_of(probe, "sales.views.probe"))}
    assert found == {"activities.demo", "marketing.models"}  # sales may use activities, not its demo
