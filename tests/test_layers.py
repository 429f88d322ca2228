"""App dependencies run one way: an app imports only the apps below it, so there is no cycle between apps."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

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


def _sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


MODEL_LABEL = re.compile(r"^(\w+)\.([A-Z]\w*)$")

# The one upward reference left, and the lookup through it: an action's foreign key to the discussion that agreed it
# (and the chair read through it). Moving it into strategy is a link table there and a data migration (with the
# bench generator's SQL), a change of its own; nothing else may be added here.
KNOWN_UPWARD = {
    ("strategy.Discussion", "actions/models.py"),
    ("discussion", "actions/access.py"),
}


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_names_no_model_above_it_as_a_string(app):
    """A label such as "strategy.Discussion" in actions: a foreign key or a model lookup pointing up, unseen by the
    import test."""
    above = set(LAYERS[LAYERS.index(app) + 1 :])
    wrong = sorted(
        (node.value, where, node.lineno)
        for where, tree in _sources(app)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (match := MODEL_LABEL.match(node.value))
        and match.group(1) in above
        and (node.value, where) not in KNOWN_UPWARD
    )
    assert wrong == [], f"{app} names a model of an app above it: {wrong}"


# The ORM calls whose string arguments and keyword names are lookups ("discussions__status", discussion__isnull=...).
LOOKUP_CALLS = {
    "filter", "exclude", "get", "get_or_create", "update_or_create", "select_related", "prefetch_related",
    "values", "values_list", "order_by", "only", "defer", "annotate", "aggregate", "Q", "F", "Prefetch", "Count",
    "Exists", "OuterRef", "Subquery", "Min", "Max", "Sum",
}  # fmt: skip


def upward_relations(app: str) -> set[str]:
    """The names by which the models of `app` and the apps below it reach a model of an app above `app`: reverse
    relations an upper app declared onto them (Deadline.discussion, Referral.discussions) and any field pointing up."""
    index = LAYERS.index(app)
    below = set(LAYERS[: index + 1])
    above = set(LAYERS[index + 1 :])
    names = set()
    for model in apps.get_models():
        if model._meta.app_label not in below:
            continue
        for field in model._meta.get_fields(include_hidden=False):
            related = getattr(field, "related_model", None)
            if field.is_relation and related is not None and related._meta.app_label in above:
                names.add(field.name)
    return names


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_makes_no_lookup_that_reaches_an_app_above_it(app):
    """A lookup by a raw string (`filter(discussion__isnull=False)` in referrals, `select_related("discussion")` in
    actions) goes through a relation an upper app owns: the lower app then depends on it unseen by its imports."""
    upward = upward_relations(app)
    wrong = []
    for where, tree in _sources(app):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in LOOKUP_CALLS:
                continue
            lookups = [kw.arg for kw in node.keywords if kw.arg] + [
                arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            wrong += [
                (lookup, where, node.lineno)
                for lookup in lookups
                if lookup.lstrip("-").split("__")[0] in upward and (lookup, where) not in KNOWN_UPWARD
            ]
    assert wrong == [], f"{app} looks up through a relation of an app above it: {sorted(wrong)}"


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
