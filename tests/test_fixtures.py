"""A fixture's name means one thing everywhere: none is defined twice in the tests, so a test's meaning never
depends on the folder it sits in (a fixture of a test module or a deeper conftest shadows the one above it)."""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

# Reads only the files of the tree: run once, not again with the clock moved (scripts/test.sh).
pytestmark = pytest.mark.clock_free

TESTS = Path(__file__).resolve().parent


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fixture"


def fixtures_defined() -> dict[str, list[str]]:
    """Each fixture name and the files of the tests that define it. Only these files count: a conftest fixture that
    extends a plugin's of the same name (django_db_setup asks for pytest-django's) is defined once here."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(_is_fixture(d) for d in node.decorator_list):
                found[node.name].append(str(path.relative_to(TESTS)))
    return found


def test_no_fixture_is_defined_twice():
    twice = {name: files for name, files in fixtures_defined().items() if len(files) > 1}
    assert twice == {}, f"give each its own name: {twice}"


def test_the_check_sees_a_fixture_written_with_or_without_arguments():
    source = "import pytest\n@pytest.fixture\ndef a(): pass\n@pytest.fixture(scope='session')\ndef b(): pass\n"
    decorated = [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and any(_is_fixture(d) for d in node.decorator_list)
    ]
    assert decorated == ["a", "b"]
