"""App dependencies run one way: an app imports only the apps below it, so there is no cycle between apps."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first. core: shared building blocks and the pure timescale engine; work: each user's home page of queues
# (it reads every app's work); administration: the Django admin.
LAYERS = ["core", "agencies", "referrals", "actions", "strategy", "minutes", "work", "administration"]


def imported_apps(app: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found.update((name.split(".")[0], str(path.relative_to(ROOT))) for name in names)
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_apps_below_it(app):
    below = set(LAYERS[: LAYERS.index(app)])
    above = set(LAYERS) - below - {app}
    wrong = sorted((module, where) for module, where in imported_apps(app) if module in above)
    assert wrong == [], f"{app} imports from an app above it: {wrong}"


def test_the_timescale_engine_is_pure():
    """No ORM, no settings, no clock: dates and a calendar in, a moment out (STYLE: rules that are pure stay pure)."""
    source = (ROOT / "core" / "timescales.py").read_text()
    tree = ast.parse(source)
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names} | {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert not any(module.startswith("django") for module in modules)
    calls = {
        node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"now", "today", "utcnow"}
