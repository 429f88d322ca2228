"""App dependencies run one way: an app imports only the apps below it, so there is no cycle between apps."""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

# Reads only the files of the tree: run once, not again with the clock moved (scripts/test.sh).
pytestmark = pytest.mark.clock_free

ROOT = Path(__file__).resolve().parents[1]
# Lowest first. core: shared building blocks and the pure timescale engine; work: each user's home page of queues
# (it reads every app's work); administration: the Django admin.
LAYERS = [
    "core",
    "agencies",
    "referrals",
    "actions",
    "strategy",
    "contributions",
    "minutes",
    "disputes",
    "work",
    "reports",
    "administration",
]


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


def labels_up(app: str, sources) -> list[tuple[str, str, int]]:
    """String labels ("strategy.Discussion") of a model of an app above `app`, in its sources."""
    above = set(LAYERS[LAYERS.index(app) + 1 :])
    return sorted(
        (node.value, where, node.lineno)
        for where, tree in sources
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (match := MODEL_LABEL.match(node.value))
        and match.group(1) in above
    )


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_names_no_model_above_it_as_a_string(app):
    """A label such as "strategy.Discussion" in actions: a foreign key or a model lookup pointing up, unseen by the
    import test."""
    wrong = labels_up(app, _sources(app))
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


def upward_accessors(app: str) -> set[str]:
    """The attributes by which those models reach up: `referral.discussions`, `action.agreed_in`."""
    index = LAYERS.index(app)
    below, above = set(LAYERS[: index + 1]), set(LAYERS[index + 1 :])
    names = set()
    for model in apps.get_models():
        if model._meta.app_label not in below:
            continue
        for field in model._meta.get_fields(include_hidden=False):
            related = getattr(field, "related_model", None)
            if field.is_relation and related is not None and related._meta.app_label in above:
                names.add(field.get_accessor_name() if field.auto_created else field.name)
    return names


def lookups_up(app: str, sources) -> list[tuple[str, str, int]]:
    """ORM lookups in `app`'s sources whose first step is a relation owned by (or pointing to) an app above it."""
    upward, accessors = upward_relations(app), upward_accessors(app)
    wrong = []
    for where, tree in sources:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in accessors:
                wrong.append((f".{node.attr}", where, node.lineno))
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in LOOKUP_CALLS:
                continue
            lookups = [kw.arg for kw in node.keywords if kw.arg] + [
                arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
            wrong += [(lookup, where, node.lineno) for lookup in lookups if lookup.lstrip("-").split("__")[0] in upward]
    return sorted(wrong)


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_makes_no_lookup_that_reaches_an_app_above_it(app):
    """A lookup by a raw string (`filter(discussion__isnull=False)` in referrals, `select_related("discussion")` in
    actions) goes through a relation an upper app owns: the lower app then depends on it unseen by its imports."""
    wrong = lookups_up(app, _sources(app))
    assert wrong == [], f"{app} looks up through a relation of an app above it: {wrong}"


@pytest.mark.parametrize("app", LAYERS)
def test_an_apps_models_point_only_at_models_of_it_or_below(app):
    """A foreign key, one-to-one or many-to-many declared in `app` names a model of `app` or of an app below it.
    Issue 27 moved the last one that pointed up: an action's discussion is strategy's link
    (`strategy.DiscussionAction`), no longer a key on the action."""
    above = set(LAYERS[LAYERS.index(app) + 1 :])
    wrong = sorted(
        f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}"
        for model in apps.get_models()
        if model._meta.app_label == app
        for field in model._meta.get_fields()
        if field.is_relation
        and not field.auto_created
        and field.related_model is not None
        and field.related_model._meta.app_label in above
    )
    assert wrong == [], f"{app} declares a relation to a model above it: {wrong}"


def test_the_checks_catch_what_the_review_found():
    """The two references issue 27 found, as they were written, are caught; the same lookups in strategy are not."""
    found = [
        ("actions/new.py", 'discussion = models.ForeignKey("strategy.Discussion", on_delete=models.PROTECT)'),
        ("referrals/services.py", 'referral.discussions.filter(status="in_progress").exists()'),
        ("referrals/services.py", "Deadline.objects.filter(pk=deadline.pk, discussion__isnull=False).exists()"),
        ("referrals/selectors.py", 'referral.discussions.prefetch_related("decisions__child")'),
    ]
    assert [label for label, *_ in labels_up("actions", [(found[0][0], ast.parse(found[0][1]))])] == [
        "strategy.Discussion"
    ]
    caught = lookups_up("referrals", [(where, ast.parse(code)) for where, code in found[2:]])
    assert [lookup for lookup, *_ in caught] == [".discussions", "decisions__child", "discussion__isnull"]
    caught = lookups_up("referrals", [(found[1][0], ast.parse(found[1][1]))])
    assert [lookup for lookup, *_ in caught] == [".discussions"]
    assert lookups_up("strategy", [(where, ast.parse(code)) for where, code in found[1:]]) == []


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
